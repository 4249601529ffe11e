//! The observatory's views of one dataset, each at a stable URL where every choice is a query
//! parameter (`/{lang}/observatory/{dataset}?view=map&level=province&period=2023-01-01&sex=total`):
//! a choropleth map of one period, a time series of a territory (or two, compared), and a
//! breakdown of one territory and period. Each chart is server-rendered SVG inside a
//! `<figure>` whose caption gives the source and the date, with the same figures in an HTML
//! table right below and links to export that table as CSV and JSON-stat. A plain GET form
//! changes the choices, so everything works without JavaScript.

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use crocevia_app::statistics::labels::{
    Tr, category_label, dataset_title, dimension_label, period_label, territory_label,
};
use crocevia_app::statistics::official::{
    self, Catalog, Choice, TableParams, View, breakdowns, map_levels,
};
use crocevia_core::stat_table::StatTable;
use crocevia_core::statistics::{Dimension, TerritoryLevel};

use crate::charts::figure::{Figure, FigureKind, FigureLabels, HtmlTable, figure};
use crate::charts::maps;
use crate::error::AppError;
use crate::kit::Lang;
use crate::kit::{Page, render};
use crate::{AppState, territories};

pub struct Tab {
    pub label: String,
    pub href: String,
    pub current: bool,
}

pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Select {
    pub name: &'static str,
    pub label: String,
    pub options: Vec<SelectOption>,
}

pub struct Export {
    pub label: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "observatory_view.html")]
pub(crate) struct ViewTemplate {
    pub(crate) page: Page,
    pub(crate) heading: String,
    pub(crate) tabs: Vec<Tab>,
    pub(crate) action: String,
    pub(crate) view: &'static str,
    pub(crate) selects: Vec<Select>,
    pub(crate) svg: String,
    pub(crate) caption: String,
    pub(crate) notes: Vec<String>,
    pub(crate) table: HtmlTable,
    pub(crate) table_caption: String,
    pub(crate) exports: Vec<Export>,
    pub(crate) permalink: String,
}

fn option(value: impl Into<String>, label: impl Into<String>, selected: bool) -> SelectOption {
    SelectOption {
        value: value.into(),
        label: label.into(),
        selected,
    }
}

fn level_label(tr: &Tr, level: TerritoryLevel) -> String {
    match level {
        TerritoryLevel::Italy => tr.t("ob-italy"),
        TerritoryLevel::MacroArea => tr.t("ob-level-macro-area"),
        TerritoryLevel::Region => tr.t("ob-level-region"),
        TerritoryLevel::Province => tr.t("ob-level-province"),
        TerritoryLevel::HistoricalProvince => tr.t("ob-level-historical-province"),
        TerritoryLevel::Comune => tr.t("ob-level-comune"),
    }
}

/// The form's fields for this view.
fn selects(tr: &Tr, choice: &Choice, catalog: &Catalog) -> Vec<Select> {
    let mut out = Vec::new();
    let view = choice.view;
    if view == View::Map {
        out.push(Select {
            name: "level",
            label: tr.t("ob-form-level"),
            options: map_levels(catalog)
                .into_iter()
                .map(|l| option(l.as_str(), level_label(tr, l), l == choice.level))
                .collect(),
        });
        if choice.level == TerritoryLevel::Comune {
            out.push(Select {
                name: "region",
                label: tr.t("ob-level-region"),
                options: territories()
                    .regions
                    .iter()
                    .map(|r| option(&r.code, &r.name, Some(&r.code) == choice.region.as_ref()))
                    .collect(),
            });
        }
    }
    if view != View::Series {
        out.push(Select {
            name: "period",
            label: dimension_label(tr, Dimension::Period),
            options: catalog
                .periods
                .iter()
                .rev()
                .map(|p| option(p.key(), period_label(&tr.lang, p), *p == choice.period))
                .collect(),
        });
    }
    if view != View::Map {
        let places: Vec<_> = catalog
            .territories
            .iter()
            .filter(|(l, _)| *l != TerritoryLevel::Comune)
            .map(|(l, c)| {
                let t = crocevia_core::statistics::Territory::new(*l, c.clone());
                let label = if *l == TerritoryLevel::Italy {
                    territory_label(tr, &t)
                } else {
                    format!("{} – {}", territory_label(tr, &t), level_label(tr, *l))
                };
                (t, label)
            })
            .collect();
        out.push(Select {
            name: "territory",
            label: dimension_label(tr, Dimension::Territory),
            options: places
                .iter()
                .map(|(t, label)| option(&t.code, label, *t == choice.territory))
                .collect(),
        });
        if view == View::Series {
            let mut options = vec![option(
                "",
                tr.t("ob-form-no-comparison"),
                choice.compare.is_none(),
            )];
            options.extend(
                places
                    .iter()
                    .map(|(t, label)| option(&t.code, label, Some(t) == choice.compare.as_ref())),
            );
            out.push(Select {
                name: "compare",
                label: tr.t("ob-form-compare"),
                options,
            });
        }
    }
    if view == View::Breakdown {
        out.push(Select {
            name: "by",
            label: tr.t("ob-form-by"),
            options: breakdowns(choice.info)
                .into_iter()
                .map(|d| option(d.id(), dimension_label(tr, d), Some(d) == choice.by))
                .collect(),
        });
    }
    let by = |d: Dimension| view == View::Breakdown && choice.by == Some(d);
    let mut add =
        |d: Dimension, name: &'static str, codes: Vec<String>, current: Option<String>| {
            if choice.info.dimensions.contains(&d) && !by(d) && codes.len() > 1 {
                out.push(Select {
                    name,
                    label: dimension_label(tr, d),
                    options: codes
                        .into_iter()
                        .map(|c| {
                            let selected = Some(&c) == current.as_ref();
                            let label = category_label(tr, d, &c);
                            option(c, label, selected)
                        })
                        .collect(),
                });
            }
        };
    add(
        Dimension::Sex,
        "sex",
        catalog
            .sexes
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        choice.sex.map(|s| s.as_str().to_owned()),
    );
    add(
        Dimension::Citizenship,
        "citizenship",
        catalog.citizenships.iter().map(|c| c.key()).collect(),
        choice.citizenship.as_ref().map(|c| c.key()),
    );
    add(
        Dimension::PermitType,
        "permit_type",
        catalog
            .permit_types
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
        choice.permit_type.map(|p| p.as_str().to_owned()),
    );
    add(
        Dimension::Measure,
        "measure",
        catalog.measures.clone(),
        choice.measure.clone(),
    );
    out
}

/// The labels of the dimensions fixed to one category, for the caption.
fn selection(table: &StatTable, skip: &[&str]) -> String {
    table
        .dimensions
        .iter()
        .filter(|d| d.categories.len() == 1 && !skip.contains(&d.id.as_str()))
        .map(|d| d.categories[0].label.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `GET /{lang}/observatory/{dataset}?view=…`.
///
/// A URL that leaves choices to their defaults, or names them in another order (as the form
/// does), is redirected to the canonical one, which names every choice: a bookmark keeps
/// showing the same figures when newer ones are shipped.
pub async fn page(
    State(state): State<AppState>,
    Lang(language): Lang,
    Path((_, id)): Path<(String, String)>,
    Query(params): Query<TableParams>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let info = official::dataset(&id)?;
    let statistics = state.official_statistics();
    let (choice, catalog) = statistics.choose(info, &params).await?;
    let query = choice.query();
    if raw.as_deref() != Some(query.as_str()) {
        let to = format!("/{}/observatory/{}?{query}", language.code, info.id);
        return Ok(Redirect::to(&to).into_response());
    }
    let mut page = Page::new(language, format!("/observatory/{}?{query}", info.id));
    let tr = Tr::new(language.code, territories());
    let table = statistics.table(&choice, &catalog, language.code).await?;
    let title = dataset_title(info, language.code);
    page.title = title.clone();
    let lang = language.code;

    let tabs = View::ALL
        .into_iter()
        .filter(|v| *v != View::Breakdown || !breakdowns(info).is_empty())
        .map(|v| {
            let mut other = choice.clone();
            other.view = v;
            Tab {
                label: match v {
                    View::Map => tr.t("ob-view-map"),
                    View::Series => tr.t("ob-view-series"),
                    View::Breakdown => tr.t("ob-view-table"),
                },
                href: page.href(&format!("/observatory/{}?{}", info.id, other.query())),
                current: v == choice.view,
            }
        })
        .collect();

    let unit = table.unit.label.clone();
    let date = period_label(lang, &choice.period);
    let labels = FigureLabels {
        caption_id: "ob-caption".into(),
        hidden: crate::kit::messages().get(
            lang,
            "ob-legend-hidden",
            &[("threshold", crocevia_i18n::Arg::Number(5.0))],
        ),
        missing: tr.t("ob-legend-missing"),
        top_bars_note: tr.t("ob-note-top-bars"),
    };
    let (kind, what) = match choice.view {
        View::Map => {
            let layer = match choice.level {
                TerritoryLevel::Region => Some(maps::regions()),
                TerritoryLevel::Province => Some(maps::provinces()),
                TerritoryLevel::Comune => choice.region.as_deref().and_then(maps::comuni),
                _ => None,
            };
            let kind = FigureKind::Map {
                dimension: "territory",
                layer,
            };
            (kind, level_label(&tr, choice.level))
        }
        View::Series => {
            let what = std::iter::once(&choice.territory)
                .chain(choice.compare.as_ref())
                .map(|t| territory_label(&tr, t))
                .collect::<Vec<_>>()
                .join(" / ");
            let kind = FigureKind::Lines {
                time: "period",
                series: "territory",
            };
            (kind, what)
        }
        View::Breakdown => {
            let by = choice.by.unwrap_or(Dimension::Sex);
            (
                FigureKind::Bars { dimension: by.id() },
                territory_label(&tr, &choice.territory),
            )
        }
    };
    let Figure {
        svg,
        table: table_html,
        notes: figure_notes,
    } = figure(&table, kind, lang, &labels);
    let mut notes = table.notes.clone();
    notes.extend(figure_notes);
    if choice.view == View::Map && svg.is_empty() {
        notes.push(if choice.level == TerritoryLevel::HistoricalProvince {
            tr.t("ob-note-no-map")
        } else {
            tr.t("ob-note-no-map-level")
        });
    }
    let fixed = selection(&table, &["territory"]);
    let caption_date = match choice.view {
        View::Series => {
            let first = catalog.periods.first().map(|p| period_label(lang, p));
            let last = catalog.periods.last().map(|p| period_label(lang, p));
            format!(
                "{} – {}",
                first.unwrap_or_default(),
                last.unwrap_or_default()
            )
        }
        _ => date,
    };
    let caption = format!(
        "{title}: {what}{}{fixed}. {} {}. {}",
        if fixed.is_empty() { "" } else { ", " },
        tr.t("ob-caption-date"),
        caption_date,
        table.source
    );
    let api = format!(
        "/api/observatory/datasets/{}/table?{query}&lang={lang}",
        info.id
    );
    let exports = vec![
        Export {
            label: tr.t("ob-export-csv"),
            href: format!("{api}&format=csv"),
        },
        Export {
            label: tr.t("ob-export-jsonstat"),
            href: format!("{api}&format=jsonstat"),
        },
    ];
    let table_caption = format!("{} ({})", tr.t("ob-table-of-figures"), unit);
    Ok(render(&ViewTemplate {
        heading: title.clone(),
        tabs,
        action: page.href(&format!("/observatory/{}", info.id)),
        view: choice.view.as_str(),
        selects: selects(&tr, &choice, &catalog),
        svg,
        caption,
        notes,
        table: table_html,
        table_caption,
        exports,
        permalink: page.href(&format!("/observatory/{}?{query}", info.id)),
        page,
    }))
}
