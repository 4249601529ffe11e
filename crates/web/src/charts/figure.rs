//! A [`StatTable`] drawn as a chart with its accessible HTML table: the seam where any table
//! (official statistics now, the network's indicators with hidden "<5" cells later) becomes a
//! map, a line chart or a bar chart. The caller picks the dimensions; the others must have one
//! category each.

use std::collections::HashMap;

use crocevia_core::stat_table::{StatTable, TableValue};
use crocevia_core::territory::map::MapLayer;

use super::bar::{Bar, BarChart};
use super::choropleth::Choropleth;
use super::format_value;
use super::line::{LineChart, Series};

/// At most this many bars in a chart (the table lists them all).
pub const MAX_BARS: usize = 30;

/// How to draw a table.
pub enum FigureKind<'a> {
    /// A choropleth of `dimension` (area codes of `layer`); no layer: the table alone.
    Map {
        dimension: &'a str,
        layer: Option<&'a MapLayer>,
    },
    /// One line per category of `series` (one or two) along `time`.
    Lines { time: &'a str, series: &'a str },
    /// One bar per category of `dimension`.
    Bars { dimension: &'a str },
}

/// The words a figure needs, in the page's language.
pub struct FigureLabels {
    /// The id of the caption naming the chart.
    pub caption_id: String,
    pub hidden: String,
    pub missing: String,
    /// Said when a bar chart shows only the largest [`MAX_BARS`].
    pub top_bars_note: String,
}

/// An HTML table: header cells, then rows of a header and cells.
pub struct HtmlTable {
    pub head: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

pub struct Figure {
    /// Empty when there is nothing to draw (a map without boundaries).
    pub svg: String,
    pub table: HtmlTable,
    pub notes: Vec<String>,
}

/// The cells along dimension `id`, the other dimensions fixed by `fixed` or by having one
/// category: (code, label, value).
pub fn along(
    table: &StatTable,
    id: &str,
    fixed: &[(&str, &str)],
) -> Vec<(String, String, TableValue)> {
    let Some(d) = table.dimension(id) else {
        return Vec::new();
    };
    d.categories
        .iter()
        .map(|c| {
            let mut codes = fixed.to_vec();
            codes.push((id, c.code.as_str()));
            let value = table.get(&codes).unwrap_or(TableValue::Missing);
            (c.code.clone(), c.label.clone(), value)
        })
        .collect()
}

fn label_of(table: &StatTable, id: &str) -> String {
    table
        .dimension(id)
        .map(|d| d.label.clone())
        .unwrap_or_default()
}

/// Draws `table` as `kind`, with the same figures in an HTML table.
pub fn figure(table: &StatTable, kind: FigureKind, lang: &str, labels: &FigureLabels) -> Figure {
    let decimals = table.unit.decimals;
    let unit = table.unit.label.as_str();
    let hidden = table.hidden_label();
    let value = |v: TableValue| format_value(lang, v, decimals, &hidden);
    let mut notes = Vec::new();
    match kind {
        FigureKind::Map { dimension, layer } => {
            let rows = along(table, dimension, &[]);
            let values: HashMap<String, TableValue> =
                rows.iter().map(|(c, _, v)| (c.clone(), *v)).collect();
            let names: HashMap<String, String> = rows
                .iter()
                .map(|(c, l, _)| (c.clone(), l.clone()))
                .collect();
            let svg = layer
                .map(|layer| {
                    Choropleth {
                        id: "ob-map",
                        labelled_by: &labels.caption_id,
                        layer,
                        values: &values,
                        names: &names,
                        lang,
                        decimals,
                        hidden: &hidden,
                        legend_title: unit,
                        hidden_label: &labels.hidden,
                        missing_label: &labels.missing,
                    }
                    .render()
                })
                .unwrap_or_default();
            let mut sorted = rows;
            sorted.sort_by(|a, b| a.1.cmp(&b.1));
            Figure {
                svg,
                table: HtmlTable {
                    head: vec![label_of(table, dimension), unit.to_owned()],
                    rows: sorted
                        .into_iter()
                        .map(|(_, label, v)| (label, vec![value(v)]))
                        .collect(),
                },
                notes,
            }
        }
        FigureKind::Lines { time, series } => {
            let places = along(table, series, &[]);
            let x_labels: Vec<String> = table
                .dimension(time)
                .map(|d| d.categories.iter().map(|c| c.label.clone()).collect())
                .unwrap_or_default();
            let lines: Vec<Series> = places
                .iter()
                .map(|(code, label, _)| Series {
                    label: label.clone(),
                    values: along(table, time, &[(series, code.as_str())])
                        .into_iter()
                        .map(|(_, _, v)| v)
                        .collect(),
                })
                .collect();
            let x_title = label_of(table, time);
            let svg = LineChart {
                labelled_by: &labels.caption_id,
                x_labels: &x_labels,
                series: &lines,
                lang,
                decimals,
                hidden: &hidden,
                x_title: &x_title,
                y_title: unit,
            }
            .render();
            let mut head = vec![x_title];
            head.extend(lines.iter().map(|s| s.label.clone()));
            let rows = x_labels
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    let cells = lines
                        .iter()
                        .map(|s| value(s.values.get(i).copied().unwrap_or(TableValue::Missing)))
                        .collect();
                    (label.clone(), cells)
                })
                .collect();
            Figure {
                svg,
                table: HtmlTable { head, rows },
                notes,
            }
        }
        FigureKind::Bars { dimension } => {
            let rows = along(table, dimension, &[]);
            let mut bars: Vec<Bar> = rows
                .iter()
                .map(|(_, label, v)| Bar {
                    label: label.clone(),
                    value: *v,
                })
                .collect();
            if bars.len() > MAX_BARS {
                let key = |v: &TableValue| match v {
                    TableValue::Number(n) => *n,
                    TableValue::Hidden => 0.0,
                    TableValue::Missing => f64::NEG_INFINITY,
                };
                bars.sort_by(|a, b| key(&b.value).total_cmp(&key(&a.value)));
                bars.truncate(MAX_BARS);
                notes.push(labels.top_bars_note.clone());
            }
            let svg = BarChart {
                id: "ob-bars",
                labelled_by: &labels.caption_id,
                bars: &bars,
                lang,
                decimals,
                hidden: &hidden,
                value_title: unit,
            }
            .render();
            Figure {
                svg,
                table: HtmlTable {
                    head: vec![label_of(table, dimension), unit.to_owned()],
                    rows: rows
                        .into_iter()
                        .map(|(_, label, v)| (label, vec![value(v)]))
                        .collect(),
                },
                notes,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crocevia_core::stat_table::{TableCategory, TableDimension, TableUnit};

    use super::*;

    /// An indicator-like table: referrals by province and month, one cell hidden.
    fn table() -> StatTable {
        let mut t = StatTable {
            id: "referrals".into(),
            label: "Referrals".into(),
            dimensions: vec![
                TableDimension {
                    id: "territory".into(),
                    label: "Province".into(),
                    role: None,
                    categories: vec![
                        TableCategory::new("066", "L'Aquila"),
                        TableCategory::new("110", "Barletta-Andria-Trani"),
                    ],
                },
                TableDimension {
                    id: "month".into(),
                    label: "Month".into(),
                    role: None,
                    categories: vec![
                        TableCategory::new("2026-10", "Oct 2026"),
                        TableCategory::new("2026-11", "Nov 2026"),
                    ],
                },
            ],
            values: vec![],
            unit: TableUnit {
                code: "referrals".into(),
                label: "referrals".into(),
                decimals: 0,
            },
            source: "Crocevia".into(),
            updated: "2026-11-30".into(),
            notes: vec![],
            disclosure_threshold: None,
        };
        t.fill([
            (vec!["066", "2026-10"], TableValue::Number(1_200.0)),
            (vec!["066", "2026-11"], TableValue::Hidden),
            (vec!["110", "2026-10"], TableValue::Number(40.0)),
        ])
        .unwrap();
        t
    }

    fn labels() -> FigureLabels {
        FigureLabels {
            caption_id: "cap".into(),
            hidden: "<5".into(),
            missing: "none".into(),
            top_bars_note: "top".into(),
        }
    }

    #[test]
    fn any_table_becomes_lines_with_their_table() {
        let f = figure(
            &table(),
            FigureKind::Lines {
                time: "month",
                series: "territory",
            },
            "en",
            &labels(),
        );
        assert!(
            f.svg
                .contains("<title>L&#39;Aquila, Oct 2026: 1,200</title>")
        );
        assert_eq!(
            f.table.head,
            vec!["Month", "L'Aquila", "Barletta-Andria-Trani"]
        );
        assert_eq!(
            f.table.rows,
            vec![
                (
                    "Oct 2026".to_owned(),
                    vec!["1,200".to_owned(), "40".to_owned()]
                ),
                ("Nov 2026".to_owned(), vec!["<5".to_owned(), "–".to_owned()]),
            ]
        );
    }

    #[test]
    fn a_map_without_boundaries_is_a_table() {
        let mut t = table();
        t.dimensions[1].categories.truncate(1);
        t.values.truncate(0);
        t.fill([(vec!["066", "2026-10"], TableValue::Hidden)])
            .unwrap();
        let f = figure(
            &t,
            FigureKind::Map {
                dimension: "territory",
                layer: None,
            },
            "it",
            &labels(),
        );
        assert!(f.svg.is_empty());
        assert_eq!(
            f.table.rows[1],
            ("L'Aquila".to_owned(), vec!["<5".to_owned()])
        );
    }
}
