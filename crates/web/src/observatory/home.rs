//! The observatory's first page: foreign residents by province on 1 January of a year, with
//! Italy's total, men and women, and the non-EU permit holders, each figure as ISTAT publishes
//! it, with its source. Maps, series and the network's own indicators come next.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use crocevia_app::statistics::labels::{Tr, dataset_title};
use crocevia_core::statistics::{
    ATTRIBUTION_ISTAT, ObservationFilter, Period, PermitType, Sex, Territory, TerritoryLevel,
};
use serde::Deserialize;

use crate::error::AppError;
use crate::kit::Lang;
use crate::kit::{Page, render};
use crate::{AppState, territories};

/// Years with figures on 1 January in the shipped data.
const YEARS: std::ops::RangeInclusive<i32> = 2019..=2024;
const DEFAULT_YEAR: i32 = 2023;

pub struct ProvinceRow {
    pub name: String,
    pub region: String,
    pub total: String,
    pub men: String,
    pub women: String,
}

#[derive(Template)]
#[template(path = "observatory.html")]
struct ObservatoryTemplate {
    page: Page,
    year: i32,
    years: Vec<(i32, String, bool)>,
    italy_total: String,
    italy_men: String,
    italy_women: String,
    permits: String,
    rows: Vec<ProvinceRow>,
    source: &'static str,
    datasets: Vec<DatasetLink>,
    /// The network's indicators: (title, link to its first view).
    indicators: Vec<(String, String)>,
}

/// A dataset and the links to its views.
pub struct DatasetLink {
    pub title: String,
    pub map: String,
    pub series: String,
    pub table: String,
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<i32>,
}

/// Thousands separated as the page's language writes them.
fn number(lang: &str, n: Option<i64>) -> String {
    let Some(n) = n else {
        return "–".to_owned();
    };
    let separator = if lang == "en" { ',' } else { '.' };
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(separator);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `GET /{lang}/observatory?year=2023`.
pub async fn page(
    State(state): State<AppState>,
    Lang(language): Lang,
    Query(query): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = query
        .year
        .filter(|y| YEARS.contains(y))
        .unwrap_or(DEFAULT_YEAR);
    let mut page = Page::new(language, format!("/observatory?year={year}"));
    page.title = page.t("ob-title");
    let at = ObservationFilter::default().period(Period::january_first(year));
    let residents = state.store.observations("foreign_residents", &at).await?;
    let value = |territory: &Territory, sex: Sex| {
        residents
            .iter()
            .find(|o| o.territory == *territory && o.sex == Some(sex))
            .map(|o| o.value)
    };
    let italy = Territory::italy();
    let t = territories();
    let mut provinces: Vec<_> = t.provinces.iter().collect();
    provinces.sort_by(|a, b| a.name.cmp(&b.name));
    let rows = provinces
        .into_iter()
        .map(|p| {
            let here = Territory::new(TerritoryLevel::Province, p.code.clone());
            ProvinceRow {
                name: p.name.clone(),
                region: t
                    .region(&p.region_code)
                    .map(|r| r.name.clone())
                    .unwrap_or_default(),
                total: number(language.code, value(&here, Sex::Total)),
                men: number(language.code, value(&here, Sex::Male)),
                women: number(language.code, value(&here, Sex::Female)),
            }
        })
        .collect();
    let permits = state
        .store
        .observations(
            "residence_permits_by_province",
            &at.clone()
                .territory(&italy)
                .sex(Sex::Total)
                .permit_type(PermitType::Total),
        )
        .await?
        .first()
        .map(|o| o.value);
    let years = YEARS
        .map(|y| (y, page.href(&format!("/observatory?year={y}")), y == year))
        .collect();
    let datasets = crocevia_core::statistics::DATASETS
        .iter()
        .map(|d| {
            let view = |v: &str| page.href(&format!("/observatory/{}?view={v}", d.id));
            DatasetLink {
                title: dataset_title(d, language.code),
                map: view("map"),
                series: view("series"),
                table: view("table"),
            }
        })
        .collect();
    let tr = Tr::new(language.code, territories());
    let indicators = crocevia_observatory::indicators::INDICATORS
        .iter()
        .map(|i| {
            let by = i.dimensions.get(1).map_or("province", |d| d.as_str());
            (
                tr.t(&format!("ob-ind-{}", i.id)),
                page.href(&format!("/observatory/indicators/{}?by={by}", i.id)),
            )
        })
        .collect();
    Ok(render(&ObservatoryTemplate {
        datasets,
        indicators,
        year,
        years,
        italy_total: number(language.code, value(&italy, Sex::Total)),
        italy_men: number(language.code, value(&italy, Sex::Male)),
        italy_women: number(language.code, value(&italy, Sex::Female)),
        permits: number(language.code, permits),
        rows,
        source: ATTRIBUTION_ISTAT,
        page,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(super::number("it", Some(5_141_341)), "5.141.341");
        assert_eq!(super::number("en", Some(23_047)), "23,047");
        assert_eq!(super::number("it", Some(999)), "999");
        assert_eq!(super::number("it", None), "–");
    }
}
