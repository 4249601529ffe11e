//! The network's own indicators (needs, referrals, services) as pages of the observatory:
//! `/{lang}/observatory/indicators/{id}?by=province&region=13&from=2026-01&to=2026-10`, a map
//! when the first breakdown is territorial, a time series when it is by month or year, bars
//! otherwise, the table below, CSV and JSON-stat links. Every query parameter is the API's,
//! so the page and `GET /api/observatory/indicators/{id}` show the same figures, hidden cells
//! included.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Datelike;
use crocevia_app::statistics::indicators::{self, IndicatorParams};
use crocevia_app::statistics::labels::Tr;
use crocevia_core::stat_table::StatTable;
use crocevia_core::taxonomy;
use crocevia_observatory::facts::{month_key, month_number};
use crocevia_observatory::indicators::Dim;

use super::views::{Export, Select, SelectOption, Tab, ViewTemplate};
use crate::charts::figure::{FigureKind, FigureLabels, figure};
use crate::charts::maps;
use crate::error::AppError;
use crate::kit::Lang;
use crate::kit::{Page, render};
use crate::{AppState, territories};

/// The page's parameters: the API's, and the form's second breakdown (`then`), which joins
/// `by` so that the URL the page gives is the API's.
#[derive(serde::Deserialize)]
pub struct PageParams {
    #[serde(flatten)]
    api: IndicatorParams,
    then: Option<String>,
}

/// `GET /{lang}/observatory/indicators/{id}`.
pub async fn page(
    State(state): State<AppState>,
    Lang(language): Lang,
    Path((_, id)): Path<(String, String)>,
    Query(PageParams {
        api: mut params,
        then,
    }): Query<PageParams>,
) -> Result<Response, AppError> {
    let lang = language.code;
    let info = indicators::indicator(&id)?;
    if let Some(then) = then.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        params.by = match params.by.as_deref().map(str::trim) {
            Some(first) if first == then => Some(first.to_owned()),
            Some(first) if !first.is_empty() => Some(format!("{first},{then}")),
            _ => Some(then.to_owned()),
        };
    }
    // Two territories are compared over time (by month, or year if asked) where the
    // indicator has a time; otherwise by the breakdown asked for. Their level comes second.
    let compared = compared_level(&params);
    if let Some(level) = compared {
        let asked = first_breakdown(&params).filter(|d| !d.is_territory());
        let first = if info.dimensions.contains(&Dim::Month) {
            asked
                .filter(|d| matches!(d, Dim::Month | Dim::Year))
                .or(Some(Dim::Month))
        } else {
            asked
        };
        params.by = Some(match first {
            Some(first) => format!("{},{}", first.as_str(), level.as_str()),
            None => level.as_str().to_owned(),
        });
    }
    let query = query_string(&params);
    let mut page = Page::new(language, format!("/observatory/indicators/{id}?{query}"));
    let tr = Tr::new(lang, territories());
    let today = state.clock.now().date_naive();
    let indicators = state.indicators();
    let table_data = match indicators.table(&id, &params).await.map_err(AppError::from) {
        Ok(t) => t,
        // A question the indicator cannot answer: the form again, with what to change.
        Err(e) if e.status == StatusCode::BAD_REQUEST => {
            page.title = tr.t(&format!("ob-ind-{id}"));
            let mut response = render(&ViewTemplate {
                heading: page.title.clone(),
                tabs: Vec::new(),
                action: page.href(&format!("/observatory/indicators/{id}")),
                view: "indicator",
                selects: selects(&tr, info.dimensions, &params, today),
                svg: String::new(),
                caption: String::new(),
                notes: vec![tr.t(&format!("ob-ind-error-{}", e.code))],
                table: crate::charts::figure::HtmlTable {
                    head: Vec::new(),
                    rows: Vec::new(),
                },
                table_caption: String::new(),
                exports: Vec::new(),
                permalink: page.href(&format!("/observatory/indicators/{id}?{query}")),
                page,
            });
            *response.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(response);
        }
        Err(e) => return Err(e),
    };
    let table = indicators.stat_table(&table_data, lang).await?;
    page.title = table.label.clone();
    let labels = FigureLabels {
        caption_id: "ob-caption".into(),
        hidden: crate::kit::messages().get(
            lang,
            "ob-legend-hidden",
            &[(
                "threshold",
                crocevia_i18n::Arg::Number(f64::from(table_data.disclosure_threshold.unwrap_or(5))),
            )],
        ),
        missing: tr.t("ob-legend-missing"),
        top_bars_note: tr.t("ob-note-top-bars"),
    };
    let first = table_data.rows.dim;
    let region_code = params.region.clone().unwrap_or_default();
    let kind = match (compared, first) {
        (Some(level), Some(Dim::Month | Dim::Year)) => FigureKind::Lines {
            time: first.map_or("", Dim::as_str),
            series: level.as_str(),
        },
        (Some(level), _) => FigureKind::Bars {
            dimension: level.as_str(),
        },
        (None, first) => match first {
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
            Some(Dim::Month | Dim::Year) if table_data.columns.dim.is_some() => FigureKind::Lines {
                time: first.map_or("", Dim::as_str),
                series: table_data.columns.dim.map_or("", Dim::as_str),
            },
            Some(dim) => FigureKind::Bars {
                dimension: dim.as_str(),
            },
            None => FigureKind::Bars { dimension: "" },
        },
    };
    // A chart of one breakdown and its totals: the other side is fixed to "total". A time
    // axis has no "total" point, and two compared territories no "total" line or bar.
    let two = table.dimensions.len() == 2;
    let for_chart = match (&kind, compared) {
        (FigureKind::Lines { .. }, Some(_)) => {
            keep(&keep(&table, 0, |c| c != "total"), 1, |c| c != "total")
        }
        (FigureKind::Lines { .. }, None) => keep(&table, 0, |c| c != "total"),
        (_, Some(_)) if two => keep(&keep(&table, 0, |c| c == "total"), 1, |c| c != "total"),
        (_, Some(_)) => keep(&table, 0, |c| c != "total"),
        _ if two => keep(&table, 1, |c| c == "total"),
        _ => table.clone(),
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
    let selects = selects(&tr, info.dimensions, &params, today);
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

/// The same table with only the categories of dimension `d` whose code `wanted` accepts.
fn keep(table: &StatTable, d: usize, wanted: impl Fn(&str) -> bool) -> StatTable {
    let sizes: Vec<usize> = table
        .dimensions
        .iter()
        .map(|d| d.categories.len())
        .collect();
    let kept: Vec<usize> = (0..sizes[d])
        .filter(|&i| wanted(&table.dimensions[d].categories[i].code))
        .collect();
    // Values are row-major: `outer` blocks of `sizes[d]` runs of `inner` values each.
    let inner: usize = sizes[d + 1..].iter().product();
    let outer: usize = sizes[..d].iter().product();
    let size = sizes[d];
    let mut out = table.clone();
    out.dimensions[d].categories = kept
        .iter()
        .map(|&i| table.dimensions[d].categories[i].clone())
        .collect();
    out.values = (0..outer)
        .flat_map(|o| {
            kept.iter().flat_map(move |&k| {
                let start = (o * size + k) * inner;
                table.values[start..start + inner].iter().copied()
            })
        })
        .collect();
    out
}

/// The first breakdown asked for, if it is one.
fn first_breakdown(p: &IndicatorParams) -> Option<Dim> {
    p.by.as_deref()?
        .split(',')
        .next()
        .map(str::trim)
        .and_then(Dim::parse)
}

/// The level of the territory a comparison extends (the API refuses a comparison unless
/// exactly one territory is chosen).
fn compared_level(p: &IndicatorParams) -> Option<Dim> {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
    if !given(&p.compare) {
        return None;
    }
    [
        (&p.region, Dim::Region),
        (&p.province, Dim::Province),
        (&p.comune, Dim::Comune),
    ]
    .into_iter()
    .find(|(v, _)| given(v))
    .map(|(_, level)| level)
}

/// A two-way table: rows × columns, totals included.
fn cross_table(table: &StatTable, lang: &str) -> crate::charts::figure::HtmlTable {
    let columns = table.dimensions[1].categories.len();
    let hidden = table.hidden_label();
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
                        .map(|v| {
                            crate::charts::format_value(lang, *v, table.unit.decimals, &hidden)
                        })
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
        ("compare", &p.compare),
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

/// The form: two breakdowns, the region and one to compare it with, the period, sex and
/// need category; every other parameter of the API works in the URL.
fn selects(tr: &Tr, dims: &[Dim], p: &IndicatorParams, today: chrono::NaiveDate) -> Vec<Select> {
    let option = |value: &str, label: String, selected: bool| SelectOption {
        value: value.to_owned(),
        label,
        selected,
    };
    let chosen = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or("").to_owned();
    let mut by = p.by.as_deref().unwrap_or("").split(',').map(str::trim);
    let (first, second) = (by.next().unwrap_or(""), by.next().unwrap_or(""));
    let region = chosen(&p.region);
    let breakdown = |name: &'static str, label: &str, current: &str| {
        let mut options = vec![option("", tr.t("ob-ind-none"), current.is_empty())];
        options.extend(
            dims.iter()
                .filter(|d| **d != Dim::Comune || !region.is_empty())
                .map(|d| {
                    let code = d.as_str();
                    option(code, tr.t(&format!("ob-ind-dim-{code}")), current == code)
                }),
        );
        Select {
            name,
            label: tr.t(label),
            options,
        }
    };
    let regions = |name: &'static str, label: &str, none: &str, current: &str| {
        let mut options = vec![option("", tr.t(none), current.is_empty())];
        options.extend(
            territories()
                .regions
                .iter()
                .map(|r| option(&r.code, r.name.clone(), r.code == current)),
        );
        Select {
            name,
            label: tr.t(label),
            options,
        }
    };
    // The months of the last five years, newest first.
    let this_month = month_number(today.year(), today.month());
    let months = |name: &'static str, label: &str, current: &str| {
        let mut options = vec![option(
            "",
            tr.t("ob-ind-last-12-months"),
            current.is_empty(),
        )];
        options.extend((0..60).map(|back| {
            let key = month_key(this_month - back);
            let selected = key == current;
            option(&key, key.clone(), selected)
        }));
        Select {
            name,
            label: tr.t(label),
            options,
        }
    };
    let mut out = vec![
        breakdown("by", "ob-form-by", first),
        breakdown("then", "ob-ind-form-then", second),
        regions("region", "ob-level-region", "ob-italy", &region),
        regions(
            "compare",
            "ob-form-compare",
            "ob-form-no-comparison",
            &chosen(&p.compare),
        ),
        months("from", "ob-ind-form-from", &chosen(&p.from)),
        months("to", "ob-ind-form-to", &chosen(&p.to)),
    ];
    if dims.contains(&Dim::Sex) {
        let current = chosen(&p.sex);
        let mut options = vec![option("", tr.t("ob-ind-all"), current.is_empty())];
        options.extend(
            ["female", "male", "not_stated"]
                .map(|s| option(s, tr.t(&format!("ob-ind-sex-{s}")), current == s)),
        );
        out.push(Select {
            name: "sex",
            label: tr.t("ob-ind-dim-sex"),
            options,
        });
    }
    if dims.contains(&Dim::Category) {
        let current = chosen(&p.category);
        let mut options = vec![option("", tr.t("ob-ind-all"), current.is_empty())];
        options.extend(
            taxonomy::needs_taxonomy()
                .iter()
                .filter(|t| t.parent.is_none())
                .map(|t| option(&t.code, t.label(&tr.lang).name.clone(), t.code == current)),
        );
        out.push(Select {
            name: "category",
            label: tr.t("ob-ind-dim-category"),
            options,
        });
    }
    out
}
