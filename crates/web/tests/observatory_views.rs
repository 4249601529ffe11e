//! The observatory's views (map, time series, breakdown, comparison) and the table exports
//! behind them: the issue's acceptance figures come out in the page, as JSON, CSV and
//! JSON-stat 2.0; every view has a stable URL; bad parameters are refused with a stable code.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use crocevia_core::stat_table::json_stat_problems;
use serde_json::Value;

mod common;
use common::{app_on, escaped, fresh_store, get_json, get_text};

async fn app() -> axum::Router {
    app_with(fresh_store().await).await
}

async fn app_with(store: std::sync::Arc<dyn crocevia_store::Store>) -> axum::Router {
    for dataset in crocevia_core::statistics::load_embedded().expect("the shipped statistics parse")
    {
        store.replace_dataset(&dataset).await.unwrap();
    }
    app_on(store, Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap())
}

const API: &str = "/api/observatory/datasets";

/// A page, after the redirect to its canonical URL if there is one.
async fn follow(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let (status, location) = redirect(app, uri).await;
    if status == StatusCode::SEE_OTHER {
        get_text(app, &location).await
    } else {
        get_text(app, uri).await
    }
}

/// The status and `Location` of a GET.
async fn redirect(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    use tower::ServiceExt;
    let response = app
        .clone()
        .oneshot(
            axum::http::Request::get(uri)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status(), location)
}

/// The value of the cell of a JSON-stat document at these category codes.
fn json_stat_cell(doc: &Value, codes: &[(&str, &str)]) -> Value {
    let ids: Vec<&str> = doc["id"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let sizes: Vec<u64> = doc["size"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let mut index = 0;
    for (id, size) in ids.iter().zip(&sizes) {
        let position = match codes.iter().find(|(d, _)| d == id) {
            Some((_, code)) => doc["dimension"][id]["category"]["index"][code]
                .as_u64()
                .unwrap_or_else(|| panic!("{id} has no category {code}")),
            None => {
                assert_eq!(*size, 1, "dimension {id} needs a code");
                0
            }
        };
        index = index * size + position;
    }
    doc["value"][index as usize].clone()
}

#[tokio::test]
async fn the_acceptance_figures_come_out_of_the_table_api_in_every_format() {
    acceptance_figures(&app().await).await;
}

async fn acceptance_figures(app: &axum::Router) {
    let app = app.clone();

    // L'Aquila on 1 January 2023 by sex, as JSON.
    let (status, body) = get_json(
        &app,
        &format!("{API}/foreign_residents/table?view=table&territory=066&period=2023-01-01&by=sex&lang=it"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["query"],
        "view=table&period=2023-01-01&territory=066&by=sex"
    );
    let table = &body["table"];
    assert_eq!(
        table["values"],
        serde_json::json!([23_047, 11_382, 11_665]),
        "total, men, women"
    );
    assert_eq!(table["dimensions"][0]["categories"][0]["label"], "L'Aquila");
    assert_eq!(table["dimensions"][2]["categories"][2]["label"], "donne");
    assert!(table["source"].as_str().unwrap().contains("ISTAT"));
    assert_eq!(table["updated"], "2023-01-01");

    // The map of the 107 provinces, as CSV: L'Aquila's row, and the rows add up to Italy.
    let (status, csv) = get_text(
        &app,
        &format!(
            "{API}/foreign_residents/table?view=map&level=province&period=2023-01-01&format=csv"
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let mut lines = csv
        .strip_prefix('\u{feff}')
        .expect("Excel's byte order mark")
        .lines();
    assert_eq!(
        lines.next().unwrap(),
        "territory,territory_label,period,period_label,sex,sex_label,value,status"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 107);
    assert!(
        rows.contains(&"066,L'Aquila,2023-01-01,1 Jan 2023,total,total,23047,"),
        "{csv}"
    );
    let sum: i64 = rows
        .iter()
        .map(|r| r.rsplit(',').nth(1).unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(sum, 5_141_341);

    // Italy and L'Aquila compared over time, as JSON-stat 2.0.
    let (status, doc) = get_json(
        &app,
        &format!(
            "{API}/foreign_residents/table?view=series&territory=IT&compare=066&format=jsonstat"
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!(json_stat_problems(&doc), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["class"], "dataset");
    assert_eq!(doc["size"], serde_json::json!([2, 6, 1]));
    assert_eq!(
        json_stat_cell(&doc, &[("territory", "IT"), ("period", "2023-01-01")]),
        5_141_341
    );
    assert_eq!(
        json_stat_cell(&doc, &[("territory", "066"), ("period", "2023-01-01")]),
        23_047
    );
    assert_eq!(doc["role"]["geo"], serde_json::json!(["territory"]));
    assert_eq!(doc["role"]["time"], serde_json::json!(["period"]));

    // Non-EU permit holders in Italy on 1 January 2024, in all three formats.
    let base = format!("{API}/residence_permits_by_province/table?view=series&territory=IT");
    let (_, doc) = get_json(&app, &format!("{base}&format=jsonstat")).await;
    assert_eq!(json_stat_problems(&doc), Vec::<String>::new());
    assert_eq!(json_stat_cell(&doc, &[("period", "2024-01-01")]), 3_607_160);
    assert!(
        doc["note"][0].as_str().unwrap().contains("103"),
        "says the provinces are the pre-2009 ones: {}",
        doc["note"]
    );
    let (_, csv) = get_text(&app, &format!("{base}&format=csv")).await;
    assert!(
        csv.contains(",2024-01-01,") && csv.contains(",3607160,"),
        "{csv}"
    );
    let (_, json) = get_json(&app, &base).await;
    assert_eq!(
        json["table"]["values"].as_array().unwrap().last().unwrap(),
        3_607_160
    );
}

#[tokio::test]
async fn every_dataset_and_view_has_a_page_and_a_valid_json_stat_export() {
    let app = app().await;
    for dataset in crocevia_core::statistics::DATASETS {
        for view in ["map", "series", "table"] {
            let uri = format!("{API}/{}/table?view={view}&format=jsonstat", dataset.id);
            let (status, doc) = get_json(&app, &uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {doc}");
            assert_eq!(json_stat_problems(&doc), Vec::<String>::new(), "{uri}");
            let values = doc["value"].as_array().unwrap();
            assert!(values.iter().any(Value::is_number), "{uri} has figures");
            for lang in ["it", "en", "ar"] {
                let page = format!("/{lang}/observatory/{}?view={view}", dataset.id);
                let (status, html) = follow(&app, &page).await;
                assert_eq!(status, StatusCode::OK, "{page}");
                assert!(html.contains(r#"id="ob-caption""#), "{page}");
                assert!(html.contains(r#"<table class="table table-sm" id="ob-table">"#));
            }
        }
    }
}

#[tokio::test]
async fn views_have_stable_urls_and_show_the_figures() {
    let app = app().await;

    // The default view is the map of provinces at the latest date: the bare URL, or one
    // naming choices in another order (as the form does), redirects to the canonical one,
    // which names every choice and is the page's permalink.
    let canonical =
        "/it/observatory/foreign_residents?view=map&level=province&period=2024-01-01&sex=total";
    for uri in [
        "/it/observatory/foreign_residents",
        "/it/observatory/foreign_residents?sex=total&view=map",
        "/it/observatory/foreign_residents?view=map&level=province&period=2024-01-01&sex=total&compare=",
    ] {
        let (status, location) = redirect(&app, uri).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(location, canonical, "{uri}");
    }
    let (status, html) = get_text(&app, canonical).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains(&format!(
            r#"id="ob-permalink">{}<"#,
            canonical.replace('&', "&#38;")
        )),
        "{html}"
    );

    // The map of 2023: an accessible SVG named by its caption, each province with its
    // figure, the same figures in a table, the source and date in the caption, exports.
    let (_, html) = follow(
        &app,
        "/it/observatory/foreign_residents?view=map&level=province&period=2023-01-01&sex=total",
    )
    .await;
    assert!(html.contains(r#"role="img" aria-labelledby="ob-caption""#));
    assert!(html.contains(r#"<figcaption class="figure-caption mt-2" id="ob-caption">"#));
    assert_eq!(html.matches("<path d=").count(), 107, "107 provinces drawn");
    assert!(
        html.contains("<title>L&#39;Aquila: 23.047</title>"),
        "{html}"
    );
    assert!(html.contains(&format!(
        "<th scope=\"row\">{}</th><td class=\"text-end\">23.047</td>",
        escaped("L'Aquila")
    )));
    assert!(html.contains("Dati al 1/1/2023"), "caption date");
    assert!(html.contains("ISTAT (CC BY)"), "caption source");
    assert!(html.contains(
        "/api/observatory/datasets/foreign_residents/table?view=map&#38;level=province&#38;period=2023-01-01&#38;sex=total&#38;lang=it&#38;format=csv"
    ));
    assert!(html.contains("format=jsonstat"));

    // In English, numbers are grouped the English way; by region, 20 areas.
    let (_, html) = follow(
        &app,
        "/en/observatory/foreign_residents?view=map&level=region&period=2023-01-01",
    )
    .await;
    assert_eq!(html.matches("<path d=").count(), 20);
    assert!(html.contains("<title>Abruzzo: "), "{html}");

    // L'Aquila's breakdown by sex, in English.
    let (_, html) = follow(
        &app,
        "/en/observatory/foreign_residents?view=table&territory=066&period=2023-01-01&by=sex",
    )
    .await;
    for figure in ["23,047", "11,382", "11,665"] {
        assert!(
            html.contains(&format!("<td class=\"text-end\">{figure}</td>")),
            "{figure}"
        );
    }
    assert!(html.contains("<title>women: 11,665</title>"), "{html}");

    // Italy compared with L'Aquila: two series on one chart and two columns in the table.
    let (_, html) = follow(
        &app,
        "/it/observatory/foreign_residents?view=series&territory=IT&compare=066",
    )
    .await;
    assert!(html.contains(r#"class="ob-chart ob-line""#));
    assert!(
        html.contains("<title>Italia, 1/1/2023: 5.141.341</title>"),
        "{html}"
    );
    assert!(html.contains("<title>L&#39;Aquila, 1/1/2023: 23.047</title>"));
    assert!(html.contains(r#"<th scope="col" class="text-end">Italia</th><th scope="col" class="text-end">L&#39;Aquila</th>"#), "{html}");

    // Permits: mapped by region; the pre-2009 provinces as a table, said to be such.
    let (status, html) = follow(
        &app,
        "/it/observatory/residence_permits_by_province?view=map",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("level=historical_province")
            || html.contains(r#"value="historical_province""#)
    );
    assert_eq!(html.matches("<path d=").count(), 20, "default: regions");
    let (_, html) = follow(
        &app,
        "/it/observatory/residence_permits_by_province?view=map&level=historical_province&period=2024-01-01",
    )
    .await;
    assert!(html.contains("103 province in vigore prima del 2009"));
    assert!(
        !html.contains(r#"class="ob-chart"#),
        "no boundaries for them, no map"
    );
    assert_eq!(html.matches("<th scope=\"row\">").count(), 103);

    // The observatory's page links to the views.
    let (_, html) = get_text(&app, "/en/observatory").await;
    assert!(html.contains("/en/observatory/foreign_residents?view=map"));
}

#[tokio::test]
async fn bad_parameters_are_refused_with_a_stable_code() {
    let app = app().await;
    for query in [
        "view=pie",
        "level=county",
        "level=comune",
        "period=1999-01-01",
        "period=yesterday",
        "sex=other",
        "territory=999",
        "view=series&territory=IT&compare=IT",
        "view=table&by=territory",
        "permit_type=total",
        "format=xml",
        "lang=xx",
    ] {
        let (status, body) =
            get_json(&app, &format!("{API}/foreign_residents/table?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], "invalid_parameter", "{query}");
    }
    let (status, _) = get_text(&app, "/it/observatory/foreign_residents?view=pie").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = get_json(&app, &format!("{API}/nothing/table")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, _) = get_text(&app, "/it/observatory/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_dataset_with_comune_figures_is_mapped_by_comune_within_a_region() {
    use crocevia_core::statistics::{
        Dataset, Observation, Period, Sex, Territory, TerritoryLevel, dataset_info,
    };
    // The official datasets stop at provinces; a dataset with figures for three comuni of
    // Abruzzo shows the comune level, with the region's other comuni drawn as missing.
    let store = fresh_store().await;
    let observation = |code: &str, value: i64| Observation {
        territory: Territory::new(TerritoryLevel::Comune, code),
        period: Period::january_first(2023),
        sex: Some(Sex::Total),
        citizenship: None,
        permit_type: None,
        measure: None,
        value,
    };
    let dataset = Dataset {
        info: dataset_info("foreign_residents").unwrap(),
        observations: vec![
            observation("066049", 6_512),
            observation("069022", 2_000),
            observation("067041", 5_100),
        ],
    };
    store.replace_dataset(&dataset).await.unwrap();
    let app = app_on(store, Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap());
    let (status, location) = redirect(&app, "/it/observatory/foreign_residents?level=comune").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location,
        "/it/observatory/foreign_residents?view=map&level=comune&region=13&period=2023-01-01&sex=total"
    );
    let (status, html) = get_text(&app, &location).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(html.matches("<path d=").count(), 305, "Abruzzo's comuni");
    assert!(
        html.contains("<title>L&#39;Aquila: 6.512</title>"),
        "{html}"
    );
    assert!(html.contains("<title>Teramo: 5.100</title>"));
    assert_eq!(
        html.matches("url(#ob-map-missing)").count(),
        302 + 1,
        "and the legend"
    );
    // Another region has none of these comuni: all missing, the table empty.
    let (status, html) = follow(
        &app,
        "/it/observatory/foreign_residents?view=map&level=comune&region=01&period=2023-01-01&sex=total",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("<th scope=\"row\">").count(), 0);
    let (_, doc) = get_json(
        &app,
        &format!("{API}/foreign_residents/table?level=comune&region=13&format=jsonstat"),
    )
    .await;
    assert_eq!(json_stat_problems(&doc), Vec::<String>::new());
    assert_eq!(doc["size"], serde_json::json!([3, 1, 1]));
}
