//! A choropleth map: each area filled by the class of its value, a legend of the classes, and
//! patterns for hidden ("<5") and missing figures.

use std::collections::HashMap;
use std::fmt::Write;

use crocevia_core::stat_table::TableValue;
use crocevia_core::territory::map::MapLayer;

use super::{PALETTE, class_of, esc, format_number, format_value, pattern_defs, quantile_breaks};

/// What to draw.
pub struct Choropleth<'a> {
    /// Unique on the page: prefixes the patterns' ids.
    pub id: &'a str,
    /// The id of the element (the figure's caption) that names the map.
    pub labelled_by: &'a str,
    pub layer: &'a MapLayer,
    /// Value by area code; areas without one are drawn as missing.
    pub values: &'a HashMap<String, TableValue>,
    /// Name by area code (the layer's own name otherwise).
    pub names: &'a HashMap<String, String>,
    pub lang: &'a str,
    pub decimals: u8,
    /// How a hidden figure reads ("<5").
    pub hidden: &'a str,
    pub legend_title: &'a str,
    pub hidden_label: &'a str,
    pub missing_label: &'a str,
}

/// Space between the map and its legend.
const LEGEND_GAP: f64 = 12.0;
const ROW: f64 = 22.0;

impl Choropleth<'_> {
    /// The breaks the map uses, for tests and the legend.
    pub fn breaks(&self) -> Vec<f64> {
        let numbers: Vec<f64> = self
            .layer
            .areas
            .iter()
            .filter_map(|a| self.values.get(&a.code).and_then(|v| v.number()))
            .collect();
        quantile_breaks(&numbers, PALETTE.len())
    }

    pub fn render(&self) -> String {
        let breaks = self.breaks();
        let (w, h) = (self.layer.width, self.layer.height);
        let labels = self.legend_labels(&breaks);
        // The legend goes under the map, classes in a first column, the patterns in a second,
        // so it stays legible when a phone shrinks the drawing.
        let rows = (labels.len() - 2).max(2) as f64;
        let total_h = h + LEGEND_GAP + 28.0 + rows * ROW;
        let mut svg = String::with_capacity(self.layer.path_bytes() + 16 * 1024);
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {total_h}" width="100%" style="max-width:{w}px" role="img" aria-labelledby="{}" direction="ltr" class="ob-chart ob-map">"#,
            esc(self.labelled_by)
        );
        svg.push_str(&pattern_defs(self.id));
        svg.push_str(r##"<g stroke="#6a7b91" stroke-width="0.45" stroke-linejoin="round">"##);
        for area in &self.layer.areas {
            let value = self
                .values
                .get(&area.code)
                .copied()
                .unwrap_or(TableValue::Missing);
            let fill = match value {
                TableValue::Number(n) => {
                    PALETTE[class_of(n, &breaks).min(PALETTE.len() - 1)].to_owned()
                }
                TableValue::Hidden => format!("url(#{}-hidden)", self.id),
                TableValue::Missing => format!("url(#{}-missing)", self.id),
            };
            let name = self.names.get(&area.code).unwrap_or(&area.name);
            let _ = write!(
                svg,
                r#"<path d="{}" fill="{fill}" data-code="{}"><title>{}: {}</title></path>"#,
                area.path,
                esc(&area.code),
                esc(name),
                esc(&format_value(self.lang, value, self.decimals, self.hidden))
            );
        }
        svg.push_str("</g>");
        self.legend(&mut svg, &labels, h + LEGEND_GAP);
        svg.push_str("</svg>");
        svg
    }

    /// (fill, label) of each legend entry: the classes, then hidden, then missing.
    fn legend_labels(&self, breaks: &[f64]) -> Vec<(String, String)> {
        let n = |v: f64| format_number(self.lang, v, self.decimals);
        let mut labels: Vec<(String, String)> = Vec::new();
        if breaks.is_empty() {
            let numbers: Vec<f64> = self.values.values().filter_map(|v| v.number()).collect();
            if let Some(v) = numbers.first() {
                labels.push((PALETTE[0].to_owned(), n(*v)));
            }
        } else {
            for i in 0..=breaks.len() {
                let label = if i == 0 {
                    format!("< {}", n(breaks[0]))
                } else if i == breaks.len() {
                    format!("≥ {}", n(breaks[i - 1]))
                } else {
                    format!("{} – {}", n(breaks[i - 1]), n(breaks[i]))
                };
                labels.push((PALETTE[i].to_owned(), label));
            }
        }
        labels.push((
            format!("url(#{}-hidden)", self.id),
            self.hidden_label.to_owned(),
        ));
        labels.push((
            format!("url(#{}-missing)", self.id),
            self.missing_label.to_owned(),
        ));
        labels
    }

    fn legend(&self, svg: &mut String, labels: &[(String, String)], top: f64) {
        let _ = write!(
            svg,
            r##"<g font-family="sans-serif" font-size="14" fill="#1a1a1a"><text x="4" y="{}" font-weight="bold">{}</text>"##,
            top + 14.0,
            esc(self.legend_title)
        );
        let classes = labels.len() - 2;
        for (i, (fill, label)) in labels.iter().enumerate() {
            let (x, row) = if i < classes {
                (4.0, i)
            } else {
                (self.layer.width / 2.0 + 10.0, i - classes)
            };
            let y = top + 26.0 + row as f64 * ROW;
            let _ = write!(
                svg,
                r##"<rect x="{x}" y="{y}" width="18" height="14" fill="{fill}" stroke="#555" stroke-width="0.5"/><text x="{}" y="{}">{}</text>"##,
                x + 24.0,
                y + 12.0,
                esc(label)
            );
        }
        svg.push_str("</g>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crocevia_core::territory::map::MapArea;

    fn layer() -> MapLayer {
        let square = |x: u32| format!("M{x} 0l10 0 0 10-10 0z");
        MapLayer {
            width: 100.0,
            height: 20.0,
            areas: ["a", "b", "c", "d"]
                .iter()
                .enumerate()
                .map(|(i, c)| MapArea {
                    code: (*c).into(),
                    name: c.to_uppercase(),
                    path: square(i as u32 * 20),
                })
                .collect(),
        }
    }

    #[test]
    fn areas_have_classes_titles_and_patterns() {
        let layer = layer();
        let values: HashMap<String, TableValue> = [
            ("a", TableValue::Number(23_047.0)),
            ("b", TableValue::Number(100.0)),
            ("c", TableValue::Hidden),
        ]
        .into_iter()
        .map(|(c, v)| (c.to_owned(), v))
        .collect();
        let names: HashMap<String, String> = [("a".to_owned(), "L'Aquila".to_owned())].into();
        let map = Choropleth {
            id: "m",
            labelled_by: "cap",
            layer: &layer,
            values: &values,
            names: &names,
            lang: "it",
            decimals: 0,
            hidden: "<5",
            legend_title: "persone",
            hidden_label: "<5 (nascosto)",
            missing_label: "nessun dato",
        };
        let svg = map.render();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains(r#"role="img" aria-labelledby="cap""#));
        assert!(svg.contains("<title>L&#39;Aquila: 23.047</title>"), "{svg}");
        assert!(
            svg.contains(r#"fill="url(#m-hidden)" data-code="c"><title>C: &lt;5</title>"#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"fill="url(#m-missing)" data-code="d"><title>D: –</title>"#),
            "{svg}"
        );
        assert!(svg.contains("&lt;5 (nascosto)") && svg.contains("nessun dato"));
        // Two numbers: the larger one is in the darkest class, the smaller in the lightest.
        assert_eq!(map.breaks(), vec![4_700.0, 9_300.0, 14_000.0, 18_000.0]);
        assert!(
            svg.contains(&format!(r#"fill="{}" data-code="a""#, PALETTE[4])),
            "{svg}"
        );
        assert!(
            svg.contains(&format!(r#"fill="{}" data-code="b""#, PALETTE[0])),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>"));
    }
}
