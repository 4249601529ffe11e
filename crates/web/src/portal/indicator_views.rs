//! The network's own indicators (needs, referrals, services) as pages of the observatory:
//! `/{lang}/observatory/indicators/{id}?by=province&region=13&from=2026-01&to=2026-10`, a map
//! when the first breakdown is territorial, a time series when it is by month or year, bars
//! otherwise, the table below, CSV and JSON-stat links. Every query parameter is the API's,
//! so the page and `GET /api/observatory/indicators/{id}` show the same figures, hidden cells
//! included.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use crocevia_core::stat_table::{
    DimensionRole, StatTable, TableCategory, TableDimension, TableUnit, TableValue,
};
use crocevia_core::taxonomy;
use crocevia_observatory::facts::Codes;
use crocevia_observatory::indicators::{Cell, Dim, IndicatorTable, Measure, indicator};

use super::observatory_views::{Export, Select, SelectOption, Tab, ViewTemplate};
use super::{Page, lang_or_404, render};
use crate::charts::figure::{FigureKind, FigureLabels, figure};
use crate::charts::maps;
use crate::error::AppError;
use crate::indicators_api::{IndicatorParams, table};
use crate::observatory_table::Tr;
use crate::{AppState, territories};

/// The label of one category of a dimension, in `lang`.
fn category_label(tr: &Tr, codes: &Codes, dim: Dim, code: &str, lang: &str) -> String {
    if code == "unknown" {
        return tr.t("ob-ind-unknown");
    }
    let t = territories();
    match dim {
        Dim::Region => t.region(code).map(|r| r.name.clone()),
        Dim::Province => t.province(code).map(|p| p.name.clone()),
        Dim::Comune => t.comune(code).map(|c| c.name.clone()),
        Dim::Sex => Some(tr.t(&format!("ob-ind-sex-{code}"))),
        Dim::CitizenshipArea => codes
            .areas
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, name)| (*name).to_owned()),
        Dim::Category => taxonomy::term(code).map(|term| term.label(lang).name.clone()),
        Dim::State => Some(tr.t(&format!("dk-state-{code}"))),
        Dim::Reason => Some(tr.t(&format!("dk-code-{code}"))),
        Dim::Month | Dim::Year | Dim::AgeBand | Dim::Organisation => None,
    }
    .unwrap_or_else(|| code.to_owned())
}

fn value(cell: &Cell) -> TableValue {
    match cell {
        Cell::Value(v) => TableValue::Number(*v),
        Cell::Hidden => TableValue::Hidden,
        Cell::Missing => TableValue::Missing,
    }
}

/// An indicator's table as a [`StatTable`] (for charts and exports), labelled in `lang`,
/// organisations named from the directory.
pub async fn indicator_stat_table(
    state: &AppState,
    table: &IndicatorTable,
    lang: &str,
) -> Result<StatTable, AppError> {
    let names = organisation_names(state, table).await?;
    let updated = state.clock.now().date_naive().to_string();
    Ok(state
        .observatory
        .with_facts(|facts| {
            stat_table(
                table,
                &facts.codes,
                &|id| names.get(id).cloned().unwrap_or_else(|| id.to_owned()),
                lang,
                updated,
            )
        })
        .await)
}

/// The breakdowns, each with a last "total" category, so totals travel with the cells.
fn stat_table(
    t: &IndicatorTable,
    codes: &Codes,
    organisation_names: &dyn Fn(&str) -> String,
    lang: &str,
    updated: String,
) -> StatTable {
    let tr = Tr::new(lang);
    let total_label = tr.t("ob-total");
    let dimension = |axis: &crocevia_observatory::indicators::Axis| {
        axis.dim.map(|dim| TableDimension {
            id: dim.as_str().to_owned(),
            label: tr.t(&format!("ob-ind-dim-{}", dim.as_str())),
            role: match dim {
                Dim::Region | Dim::Province | Dim::Comune => Some(DimensionRole::Geo),
                Dim::Month | Dim::Year => Some(DimensionRole::Time),
                _ => None,
            },
            categories: axis
                .categories
                .iter()
                .map(|code| {
                    let label = if dim == Dim::Organisation {
                        organisation_names(code)
                    } else {
                        category_label(&tr, codes, dim, code, lang)
                    };
                    TableCategory::new(code.clone(), label)
                })
                .chain(std::iter::once(TableCategory::new(
                    "total",
                    total_label.clone(),
                )))
                .collect(),
        })
    };
    let rows = dimension(&t.rows);
    let columns = dimension(&t.columns);
    let mut values = Vec::new();
    match (&rows, &columns) {
        (Some(_), Some(_)) => {
            for (cells, total) in t.cells.iter().zip(&t.row_totals) {
                values.extend(cells.iter().map(value));
                values.push(value(total));
            }
            values.extend(t.column_totals.iter().map(value));
            values.push(value(&t.total));
        }
        (Some(_), None) => {
            values.extend(t.row_totals.iter().map(value));
            values.push(value(&t.total));
        }
        _ => values.push(value(&t.total)),
    }
    let measure = indicator(t.indicator).map(|i| i.measure);
    let (unit, decimals) = match measure {
        Some(Measure::MedianHoursToFirstAnswer) => ("hours", 1),
        Some(Measure::DeclinedShare) => ("percent", 1),
        Some(Measure::ServicesPer10000) => ("per_10000", 2),
        _ => ("count", 0),
    };
    StatTable {
        id: t.indicator.to_owned(),
        label: tr.t(&format!("ob-ind-{}", t.indicator)),
        dimensions: rows.into_iter().chain(columns).collect(),
        values,
        unit: TableUnit {
            code: unit.to_owned(),
            label: tr.t(&format!("ob-ind-unit-{unit}")),
            decimals,
        },
        source: tr.t("ob-ind-source"),
        updated,
        notes: t
            .disclosure_threshold
            .map(|n| {
                super::messages().get(
                    lang,
                    "ob-ind-note-hidden",
                    &[("threshold", crocevia_i18n::Arg::Number(f64::from(n)))],
                )
            })
            .into_iter()
            .collect(),
    }
}

/// Names of organisations from the directory, by id.
async fn organisation_names(
    state: &AppState,
    table: &IndicatorTable,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let ids: Vec<String> = [&table.rows, &table.columns]
        .into_iter()
        .filter(|a| a.dim == Some(Dim::Organisation))
        .flat_map(|a| a.categories.clone())
        .collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(state
        .store
        .get_many(Some("organization"), &ids)
        .await?
        .into_iter()
        .filter_map(|r| Some((r.id.clone(), r.text("name")?.to_owned())))
        .collect())
}

/// `GET /{lang}/observatory/indicators/{id}`.
pub async fn page(
    State(state): State<AppState>,
    Path((lang, id)): Path<(String, String)>,
    Query(params): Query<IndicatorParams>,
) -> Result<Response, AppError> {
    let language = lang_or_404(&lang)?;
    let lang = language.code;
    let info = indicator(&id).ok_or_else(|| AppError::not_found("indicator", &id))?;
    let table_data = table(&state, &id, &params).await?;
    let table = indicator_stat_table(&state, &table_data, lang).await?;
    let query = query_string(&params);
    let mut page = Page::new(language, format!("/observatory/indicators/{id}?{query}"));
    let tr = Tr::new(lang);
    page.title = table.label.clone();
    let labels = FigureLabels {
        caption_id: "ob-caption".into(),
        hidden: tr.t("ob-legend-hidden"),
        missing: tr.t("ob-legend-missing"),
        top_bars_note: tr.t("ob-note-top-bars"),
    };
    let first = table_data.rows.dim;
    let region_code = params.region.clone().unwrap_or_default();
    let kind = match first {
        Some(Dim::Region) => FigureKind::Map {
            dimension: "region",
            layer: Some(maps::regions()),
        },
        Some(Dim::Province) => FigureKind::Map {
            dimension: "province",
            layer: Some(maps::provinces()),
        },
        Some(Dim::Comune) => FigureKind::Map {
            dimension: "comune",
            layer: maps::comuni(&region_code),
        },
        Some(Dim::Month) | Some(Dim::Year) if table_data.columns.dim.is_some() => {
            FigureKind::Lines {
                time: first.map_or("", Dim::as_str),
                series: table_data.columns.dim.map_or("", Dim::as_str),
            }
        }
        Some(dim) => FigureKind::Bars {
            dimension: dim.as_str(),
        },
        None => FigureKind::Bars { dimension: "" },
    };
    // A chart of one breakdown and its totals: the other side is fixed to "total".
    let for_chart = if table.dimensions.len() == 2 && !matches!(kind, FigureKind::Lines { .. }) {
        fix_second_to_total(&table)
    } else {
        table.clone()
    };
    let drawn = figure(&for_chart, kind, lang, &labels);
    let mut notes = table.notes.clone();
    notes.extend(drawn.notes);
    let caption = format!(
        "{}: {} – {}. {}",
        table.label, table_data.from, table_data.to, table.source
    );
    let api = format!("/api/observatory/indicators/{id}?{query}");
    let separator = if query.is_empty() { "" } else { "&" };
    let exports = ["csv", "jsonstat"]
        .into_iter()
        .map(|format| Export {
            label: tr.t(&format!("ob-export-{format}")),
            href: format!("{api}{separator}format={format}&lang={lang}"),
        })
        .collect();
    let selects = selects(&tr, info.dimensions, &params);
    // Two breakdowns: a cross table; one: the chart's own table of every category.
    let table_html = if table.dimensions.len() == 2 {
        cross_table(&table, lang)
    } else {
        figure(
            &table,
            FigureKind::Bars {
                dimension: table.dimensions.first().map_or("", |d| d.id.as_str()),
            },
            lang,
            &labels,
        )
        .table
    };
    let html = render(&ViewTemplate {
        heading: table.label.clone(),
        tabs: Vec::<Tab>::new(),
        action: page.href(&format!("/observatory/indicators/{id}")),
        view: "indicator",
        selects,
        svg: drawn.svg,
        caption,
        notes,
        table: table_html,
        table_caption: format!("{} ({})", tr.t("ob-table-of-figures"), table.unit.label),
        exports,
        permalink: page.href(&format!("/observatory/indicators/{id}?{query}")),
        page,
    });
    Ok(html)
}

/// The same table with its second dimension reduced to its "total" category.
fn fix_second_to_total(table: &StatTable) -> StatTable {
    let mut out = table.clone();
    let columns = table.dimensions[1].categories.len();
    out.dimensions[1].categories = vec![table.dimensions[1].categories[columns - 1].clone()];
    out.values = table
        .values
        .chunks(columns)
        .map(|row| row[columns - 1])
        .collect();
    out
}

/// A two-way table: rows × columns, totals included.
fn cross_table(table: &StatTable, lang: &str) -> crate::charts::figure::HtmlTable {
    let columns = table.dimensions[1].categories.len();
    crate::charts::figure::HtmlTable {
        head: std::iter::once(table.dimensions[0].label.clone())
            .chain(
                table.dimensions[1]
                    .categories
                    .iter()
                    .map(|c| c.label.clone()),
            )
            .collect(),
        rows: table.dimensions[0]
            .categories
            .iter()
            .zip(table.values.chunks(columns))
            .map(|(c, row)| {
                (
                    c.label.clone(),
                    row.iter()
                        .map(|v| crate::charts::format_value(lang, *v, table.unit.decimals))
                        .collect(),
                )
            })
            .collect(),
    }
}

/// The page's query string: the parameters given, in a fixed order.
fn query_string(p: &IndicatorParams) -> String {
    [
        ("by", &p.by),
        ("region", &p.region),
        ("province", &p.province),
        ("comune", &p.comune),
        ("from", &p.from),
        ("to", &p.to),
        ("sex", &p.sex),
        ("age_band", &p.age_band),
        ("citizenship_area", &p.citizenship_area),
        ("category", &p.category),
        ("organisation", &p.organisation),
        ("state", &p.state),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        let v = value.as_deref()?.trim();
        (!v.is_empty()).then(|| {
            format!(
                "{name}={}",
                form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
    })
    .collect::<Vec<_>>()
    .join("&")
}

/// The form: what to break down by, the region, the period.
fn selects(tr: &Tr, dims: &[Dim], p: &IndicatorParams) -> Vec<Select> {
    let by = p.by.as_deref().unwrap_or("");
    let option = |value: String, label: String, selected: bool| SelectOption {
        value,
        label,
        selected,
    };
    let mut by_options = vec![option(String::new(), tr.t("ob-ind-none"), by.is_empty())];
    by_options.extend(dims.iter().filter(|d| **d != Dim::Comune).map(|d| {
        option(
            d.as_str().to_owned(),
            tr.t(&format!("ob-ind-dim-{}", d.as_str())),
            by == d.as_str(),
        )
    }));
    let region = p.region.as_deref().unwrap_or("");
    let mut regions = vec![option(String::new(), tr.t("ob-italy"), region.is_empty())];
    regions.extend(
        territories()
            .regions
            .iter()
            .map(|r| option(r.code.clone(), r.name.clone(), r.code == region)),
    );
    vec![
        Select {
            name: "by",
            label: tr.t("ob-form-by"),
            options: by_options,
        },
        Select {
            name: "region",
            label: tr.t("ob-level-region"),
            options: regions,
        },
    ]
}
