//! A horizontal bar chart for breakdowns (by sex, citizenship, permit type…): one bar per
//! category with its figure written at the end, from a common zero.

use std::fmt::Write;

use crocevia_core::stat_table::TableValue;

use super::{PALETTE, esc, format_value, pattern_defs};

pub struct Bar {
    pub label: String,
    pub value: TableValue,
}

pub struct BarChart<'a> {
    /// Unique on the page: prefixes the patterns' ids.
    pub id: &'a str,
    pub labelled_by: &'a str,
    pub bars: &'a [Bar],
    pub lang: &'a str,
    pub decimals: u8,
    /// How a hidden figure reads ("<5").
    pub hidden: &'a str,
    /// What the bars measure (the unit), under the chart.
    pub value_title: &'a str,
}

const WIDTH: f64 = 680.0;
const LABELS: f64 = 230.0;
const VALUES: f64 = 90.0;
const ROW: f64 = 26.0;

impl BarChart<'_> {
    pub fn render(&self) -> String {
        let max = self
            .bars
            .iter()
            .filter_map(|b| b.value.number())
            .fold(0.0_f64, f64::max);
        let span = WIDTH - LABELS - VALUES;
        let height = 16.0 + self.bars.len() as f64 * ROW + 30.0;
        let mut svg = String::new();
        let _ = write!(
            svg,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" style="max-width:{WIDTH}px" role="img" aria-labelledby="{}" direction="ltr" class="ob-chart ob-bars" font-family="sans-serif" font-size="13" fill="#1a1a1a">"##,
            esc(self.labelled_by)
        );
        svg.push_str(&pattern_defs(self.id));
        for (i, bar) in self.bars.iter().enumerate() {
            let top = 8.0 + i as f64 * ROW;
            let text = format_value(self.lang, bar.value, self.decimals, self.hidden);
            let (width, fill) = match bar.value {
                TableValue::Number(n) if max > 0.0 => (span * n / max, PALETTE[3].to_owned()),
                TableValue::Number(_) => (0.0, PALETTE[3].to_owned()),
                TableValue::Hidden => (12.0, format!("url(#{}-hidden)", self.id)),
                TableValue::Missing => (0.0, "none".to_owned()),
            };
            let _ = write!(
                svg,
                r##"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{LABELS}" y="{top}" width="{width:.1}" height="{}" fill="{fill}"><title>{}: {}</title></rect><text x="{:.1}" y="{}">{}</text>"##,
                LABELS - 8.0,
                top + 16.0,
                esc(&bar.label),
                ROW - 8.0,
                esc(&bar.label),
                esc(&text),
                LABELS + width + 6.0,
                top + 16.0,
                esc(&text)
            );
        }
        let axis_y = 8.0 + self.bars.len() as f64 * ROW;
        let _ = write!(
            svg,
            r##"<line x1="{LABELS}" x2="{LABELS}" y1="4" y2="{axis_y}" stroke="#555"/><text x="{}" y="{}" text-anchor="middle" font-weight="bold">{}</text></svg>"##,
            LABELS + span / 2.0,
            axis_y + 26.0,
            esc(self.value_title)
        );
        svg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_proportional_and_labelled() {
        let bars = vec![
            Bar {
                label: "uomini".into(),
                value: TableValue::Number(11_382.0),
            },
            Bar {
                label: "donne".into(),
                value: TableValue::Number(11_665.0),
            },
            Bar {
                label: "altro".into(),
                value: TableValue::Hidden,
            },
        ];
        let svg = BarChart {
            id: "b",
            labelled_by: "cap",
            bars: &bars,
            lang: "it",
            decimals: 0,
            hidden: "<5",
            value_title: "persone",
        }
        .render();
        assert!(svg.contains(r#"aria-labelledby="cap""#));
        assert!(svg.contains("<title>donne: 11.665</title>"), "{svg}");
        assert!(
            svg.contains(r#"width="360.0""#),
            "the largest bar spans the plot: {svg}"
        );
        assert!(svg.contains(r#"width="351.3""#), "{svg}");
        assert!(svg.contains("url(#b-hidden)") && svg.contains("<title>altro: &lt;5</title>"));
    }
}
