//! The observatory's open API over the shipped official statistics: the acceptance
//! figures come out of it exactly, filters are checked, and every answer names its source.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use serde_json::Value;

mod common;
use common::{app_on, fresh_store, get_json};

async fn app() -> axum::Router {
    let store = fresh_store().await;
    for dataset in crocevia_core::statistics::load_embedded().expect("the shipped statistics parse")
    {
        store.replace_dataset(&dataset).await.unwrap();
    }
    app_on(store, Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap())
}

fn values(body: &Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_acceptance_figures_come_out_of_the_api() {
    let app = app().await;
    let base = "/api/observatory/datasets";

    let (status, laquila) =
        get_json(&app, &format!("{base}/foreign_residents/observations?territory=066&period=2023-01-01&territory_level=province")).await;
    assert_eq!(status, StatusCode::OK, "{laquila}");
    let by_sex = |sex: &str| {
        laquila["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["sex"] == sex)
            .unwrap()["value"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        (by_sex("total"), by_sex("male"), by_sex("female")),
        (23_047, 11_382, 11_665)
    );
    assert_eq!(laquila["items"][0]["territory_name"], "L'Aquila");
    assert!(laquila["source"].as_str().unwrap().contains("ISTAT"));

    let (_, italy) = get_json(&app, &format!("{base}/foreign_residents/observations?territory_level=italy&period=2023-01-01&sex=total")).await;
    assert_eq!(values(&italy), vec![5_141_341]);
    let (_, provinces) = get_json(&app, &format!("{base}/foreign_residents/observations?territory_level=province&period=2023-01-01&sex=total")).await;
    assert_eq!(provinces["total_items"], 107);
    assert_eq!(values(&provinces).iter().sum::<i64>(), 5_141_341);

    let (_, permits) = get_json(
        &app,
        &format!("{base}/residence_permits_by_province/observations?territory=IT&period=2024-01-01&sex=total&permit_type=total"),
    )
    .await;
    assert_eq!(values(&permits), vec![3_607_160]);
    let (_, historical) = get_json(
        &app,
        &format!("{base}/residence_permits_by_province/observations?territory_level=historical_province&period=2024-01-01&sex=total&permit_type=total"),
    )
    .await;
    assert_eq!(
        historical["total_items"], 103,
        "permits are counted on the pre-2009 provinces"
    );
}

#[tokio::test]
async fn datasets_are_listed_and_bad_filters_are_explained() {
    let app = app().await;
    let (status, list) = get_json(&app, "/api/observatory/datasets").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"foreign_residents") && ids.contains(&"reception"),
        "{ids:?}"
    );
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["observations"].as_i64().unwrap() > 0)
    );

    let (status, body) = get_json(
        &app,
        "/api/observatory/datasets/foreign_residents/observations?sex=women",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_parameter");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("total, male, female"),
        "{body}"
    );
    let (status, _) = get_json(
        &app,
        "/api/observatory/datasets/foreign_residents/observations?period=last-year",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get_json(&app, "/api/observatory/datasets/nothing/observations").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_observatory_page_shows_the_figures_with_their_source() {
    let app = app().await;
    let (status, page) = common::get_text(&app, "/it/observatory").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<strong id=\"italy-total\">5.141.341</strong>"),
        "Italy on 1 January 2023"
    );
    assert!(page.contains("<th scope=\"row\">L&#39;Aquila</th><td>Abruzzo</td><td class=\"text-end\">23.047</td><td class=\"text-end\">11.382</td><td class=\"text-end\">11.665</td>"));
    assert!(page.contains("Fonte: elaborazioni su dati ISTAT"));
    let (_, page) = common::get_text(&app, "/en/observatory?year=2024").await;
    assert!(
        page.contains("<dd class=\"col-sm-7\" id=\"italy-permits\">3,607,160</dd>"),
        "permit holders on 1 January 2024"
    );
    assert!(page.contains("Foreign residents by province on 1 January 2024"));
}
