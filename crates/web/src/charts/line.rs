//! A line chart for time series: one or two series over the same periods (a territory, or
//! two to compare), labelled axes from zero, a legend, and a marker with a `<title>` per
//! figure. Hidden and missing figures break the line.

use std::fmt::Write;

use crocevia_core::stat_table::TableValue;

use super::{esc, format_number, format_value, nice_axis};

pub struct Series {
    pub label: String,
    pub values: Vec<TableValue>,
}

pub struct LineChart<'a> {
    pub labelled_by: &'a str,
    /// One label per period, in order.
    pub x_labels: &'a [String],
    pub series: &'a [Series],
    pub lang: &'a str,
    pub decimals: u8,
    /// How a hidden figure reads ("<5").
    pub hidden: &'a str,
    pub x_title: &'a str,
    pub y_title: &'a str,
}

/// Colour, dash pattern and marker per series: told apart without colour too.
const STYLES: [(&str, &str, bool); 2] = [("#0c3266", "", true), ("#a04400", "7 4", false)];

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 330.0;
const LEFT: f64 = 96.0;
const RIGHT: f64 = 48.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 64.0;

impl LineChart<'_> {
    pub fn render(&self) -> String {
        let n = self.x_labels.len();
        let max = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().filter_map(|v| v.number()))
            .fold(0.0_f64, f64::max);
        let (top_value, step) = nice_axis(max);
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let x = |i: usize| {
            if n <= 1 {
                LEFT + plot_w / 2.0
            } else {
                LEFT + plot_w * i as f64 / (n - 1) as f64
            }
        };
        let y = |v: f64| TOP + plot_h * (1.0 - v / top_value);
        let mut svg = String::new();
        let _ = write!(
            svg,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" style="max-width:{WIDTH}px" role="img" aria-labelledby="{}" direction="ltr" class="ob-chart ob-line" font-family="sans-serif" font-size="15" fill="#1a1a1a">"##,
            esc(self.labelled_by)
        );
        // Grid and y ticks.
        let mut tick = 0.0;
        while tick <= top_value + step / 2.0 {
            let ty = y(tick);
            let _ = write!(
                svg,
                r##"<line x1="{LEFT}" x2="{}" y1="{ty:.1}" y2="{ty:.1}" stroke="#ccc" stroke-width="1"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
                WIDTH - RIGHT,
                LEFT - 8.0,
                ty + 4.0,
                esc(&format_number(self.lang, tick, self.decimals))
            );
            tick += step;
        }
        // X labels, thinned to about 6, the last one always shown (and its neighbour left out
        // when they would touch).
        let every = n.div_ceil(6).max(1);
        for (i, label) in self.x_labels.iter().enumerate() {
            let shown =
                i == n - 1 || (i % every == 0 && i + every.div_ceil(2) < n - 1) || every == 1;
            if !shown {
                continue;
            }
            let _ = write!(
                svg,
                r##"<line x1="{0:.1}" x2="{0:.1}" y1="{1}" y2="{2}" stroke="#555"/><text x="{0:.1}" y="{3}" text-anchor="middle">{4}</text>"##,
                x(i),
                TOP + plot_h,
                TOP + plot_h + 5.0,
                TOP + plot_h + 20.0,
                esc(label)
            );
        }
        // Axes and their titles.
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{0}" stroke="#555"/><line x1="{LEFT}" x2="{1}" y1="{0}" y2="{0}" stroke="#555"/><text x="{2}" y="{3}" text-anchor="middle" font-weight="bold">{4}</text><text transform="translate(16 {5}) rotate(-90)" text-anchor="middle" font-weight="bold">{6}</text>"##,
            TOP + plot_h,
            WIDTH - RIGHT,
            LEFT + plot_w / 2.0,
            HEIGHT - 12.0,
            esc(self.x_title),
            TOP + plot_h / 2.0,
            esc(self.y_title)
        );
        // Series, legend.
        let markers = n <= 40;
        for (s, (series, (colour, dash, circle))) in self.series.iter().zip(STYLES).enumerate() {
            // One subpath per run of figures.
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for (i, v) in series.values.iter().enumerate() {
                match v.number() {
                    Some(value) => runs.last_mut().expect("one run").push((x(i), y(value))),
                    None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
                    None => {}
                }
            }
            let mut d = String::new();
            for run in runs.iter().filter(|r| !r.is_empty()) {
                for (j, (px, py)) in run.iter().enumerate() {
                    let command = match j {
                        0 => "M",
                        1 => "L",
                        _ => " ",
                    };
                    let _ = write!(d, "{command}{px:.1} {py:.1}");
                }
            }
            let dash_attr = if dash.is_empty() {
                String::new()
            } else {
                format!(r#" stroke-dasharray="{dash}""#)
            };
            let _ = write!(
                svg,
                r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr}/>"#
            );
            if markers {
                for (i, v) in series.values.iter().enumerate() {
                    let Some(value) = v.number() else { continue };
                    let title = format!(
                        "{}, {}: {}",
                        series.label,
                        self.x_labels.get(i).map(String::as_str).unwrap_or(""),
                        format_value(self.lang, *v, self.decimals, self.hidden)
                    );
                    let (cx, cy) = (x(i), y(value));
                    if circle {
                        let _ = write!(
                            svg,
                            r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="4" fill="{colour}"><title>{}</title></circle>"#,
                            esc(&title)
                        );
                    } else {
                        let _ = write!(
                            svg,
                            r#"<rect x="{:.1}" y="{:.1}" width="8" height="8" fill="{colour}"><title>{}</title></rect>"#,
                            cx - 4.0,
                            cy - 4.0,
                            esc(&title)
                        );
                    }
                }
            }
            let lx = LEFT + s as f64 * 230.0;
            let _ = write!(
                svg,
                r#"<line x1="{lx}" x2="{}" y1="18" y2="18" stroke="{colour}" stroke-width="2.5"{dash_attr}/><text x="{}" y="22">{}</text>"#,
                lx + 30.0,
                lx + 36.0,
                esc(&series.label)
            );
        }
        svg.push_str("</svg>");
        svg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_series_with_a_gap() {
        let labels: Vec<String> = (2019..=2023).map(|y| y.to_string()).collect();
        let series = vec![
            Series {
                label: "Italia".into(),
                values: [5.0, 6.0, 7.0, 8.0, 9.0]
                    .map(|v| TableValue::Number(v * 1_000_000.0))
                    .to_vec(),
            },
            Series {
                label: "L'Aquila".into(),
                values: vec![
                    TableValue::Number(20_000.0),
                    TableValue::Missing,
                    TableValue::Number(21_000.0),
                    TableValue::Number(22_000.0),
                    TableValue::Number(23_047.0),
                ],
            },
        ];
        let chart = LineChart {
            labelled_by: "cap",
            x_labels: &labels,
            series: &series,
            lang: "en",
            decimals: 0,
            hidden: "<5",
            x_title: "Year",
            y_title: "Persons",
        };
        let svg = chart.render();
        assert!(svg.contains(r#"role="img" aria-labelledby="cap""#));
        assert!(
            svg.contains("<title>L&#39;Aquila, 2023: 23,047</title>"),
            "{svg}"
        );
        assert!(
            svg.contains(">10,000,000</text>"),
            "axis up to a nice bound: {svg}"
        );
        assert!(svg.contains(">Year</text>") && svg.contains(">Persons</text>"));
        // The second series' line is broken at the missing year: two moves.
        let dashed = svg
            .split("<path ")
            .nth(2)
            .unwrap()
            .split("/>")
            .next()
            .unwrap();
        assert_eq!(dashed.matches('M').count(), 2, "{dashed}");
        assert!(dashed.contains("stroke-dasharray"));
        assert_eq!(svg.matches("<circle").count(), 5);
        assert_eq!(
            svg.matches("<rect").count(),
            4,
            "4 figures of the second series"
        );
    }

    #[test]
    fn long_series_show_a_few_dates_and_the_last() {
        let labels: Vec<String> = (0..150).map(|i| format!("d{i:03}")).collect();
        let series = vec![Series {
            label: "Abruzzo".into(),
            values: (0..150).map(|i| TableValue::Number(f64::from(i))).collect(),
        }];
        let svg = LineChart {
            labelled_by: "cap",
            x_labels: &labels,
            series: &series,
            lang: "it",
            decimals: 0,
            hidden: "<5",
            x_title: "Data",
            y_title: "persone",
        }
        .render();
        let shown: Vec<&str> = svg
            .match_indices(r#"text-anchor="middle">d"#)
            .map(|(i, m)| &svg[i + m.len() - 1..i + m.len() + 3])
            .collect();
        assert_eq!(
            shown,
            vec!["d000", "d025", "d050", "d075", "d100", "d125", "d149"]
        );
        assert_eq!(
            svg.matches("<circle").count(),
            0,
            "no markers on 150 points"
        );
    }
}
