//! The public portal in-process over the demo network: languages, directions, content
//! fallbacks and what must never be shown.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use common::{escaped as askama_escape, get_text as page};
use crocevia_core::hsds::Record;
use crocevia_core::taxonomy;
use crocevia_store::Store;
use tower::ServiceExt;

/// Friday 20 November 2026, 10:00 in Rome.
async fn app() -> (axum::Router, std::sync::Arc<dyn Store>, Vec<Record>) {
    common::demo_app(Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()).await
}

#[tokio::test]
async fn the_root_sends_visitors_to_their_language() {
    let (app, _, _) = app().await;
    let to = |headers: &[(header::HeaderName, &str)]| {
        let mut request = Request::get("/");
        for (k, v) in headers {
            request = request.header(k, *v);
        }
        let app = app.clone();
        let request = request.body(Body::empty()).unwrap();
        async move {
            app.oneshot(request).await.unwrap().headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(
        to(&[(header::ACCEPT_LANGUAGE, "ar-MA,fr;q=0.8")]).await,
        "/ar/"
    );
    assert_eq!(to(&[(header::ACCEPT_LANGUAGE, "de")]).await, "/it/");
    assert_eq!(
        to(&[
            (header::COOKIE, "x=1; lang=uk"),
            (header::ACCEPT_LANGUAGE, "fr")
        ])
        .await,
        "/uk/"
    );
}

#[tokio::test]
async fn every_portal_language_renders_the_home_with_its_direction() {
    let (app, _, _) = app().await;
    for (lang, dir) in [
        ("it", "ltr"),
        ("en", "ltr"),
        ("fr", "ltr"),
        ("ar", "rtl"),
        ("es", "ltr"),
        ("uk", "ltr"),
    ] {
        let (status, html) = page(&app, &format!("/{lang}/")).await;
        assert_eq!(status, StatusCode::OK, "{lang}");
        assert!(
            html.contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")),
            "{lang}"
        );
        assert!(
            html.contains(&askama_escape(
                &taxonomy::term("health").unwrap().label(lang).name
            )),
            "need labels in {lang}"
        );
        assert!(
            !html.contains("portal-") && !html.contains("common-"),
            "no raw message id in {lang}"
        );
        assert!(
            html.contains(&format!("href=\"/{lang}/login\"")),
            "staff find the login from the portal in {lang}"
        );
    }
    let (status, _) = page(&app, "/xx/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn search_finds_services_by_words_and_need() {
    let (app, _, _) = app().await;
    let (_, html) = page(&app, "/it/search?q=italiano").await;
    assert!(html.contains("servizi trovati"), "{html}");
    let (_, html) = page(&app, "/it/search?need=health").await;
    assert!(html.contains("crocevia-map"), "results come with a map");
    let (_, html) = page(&app, "/it/search?q=zzzzqqq").await;
    assert!(html.contains("Nessun servizio trovato"));
    // Filters that found nothing stay chosen, with their 0.
    let (_, html) = page(&app, "/it/search?q=zzzzqqq&comune=066049&language=ur").await;
    assert!(html.contains("Nessun servizio trovato"));
    assert!(
        html.contains(r#"<option value="066049" selected lang="it">L&#39;Aquila (0)</option>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<option value="ur" selected lang="ur">"#),
        "{html}"
    );
}

fn service_named(records: &[Record], pred: impl Fn(&Record) -> bool) -> &Record {
    records
        .iter()
        .find(|r| r.table == "service" && pred(r))
        .expect("a demo service")
}

#[tokio::test]
async fn a_service_page_shows_translation_or_says_it_is_italian() {
    let (app, _, records) = app().await;
    let translated_ids: Vec<&str> = records
        .iter()
        .filter(|r| {
            r.table == "translation"
                && r.text("language") == Some("ar")
                && r.text("link_entity") == Some("service")
        })
        .filter_map(|r| r.text("link_id"))
        .collect();
    let translated = service_named(&records, |s| translated_ids.contains(&s.id.as_str()));
    let arabic_name = records
        .iter()
        .find(|r| {
            r.table == "translation"
                && r.text("link_id") == Some(&translated.id)
                && r.text("language") == Some("ar")
        })
        .and_then(|r| r.text("name"))
        .unwrap();
    let (status, html) = page(&app, &format!("/ar/services/{}", translated.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&askama_escape(arabic_name)),
        "the Arabic name is shown"
    );

    let untranslated = service_named(&records, |s| !translated_ids.contains(&s.id.as_str()));
    let (_, html) = page(&app, &format!("/en/services/{}", untranslated.id)).await;
    assert!(html.contains("shown in Italian"));
    assert!(
        html.contains("lang=\"it\""),
        "Italian text is marked as Italian for screen readers"
    );
}

#[tokio::test]
async fn confidential_addresses_are_never_on_the_page() {
    let (app, _, records) = app().await;
    let hidden = records
        .iter()
        .find(|r| {
            r.table == "location"
                && r.fields.get("confidential") == Some(&serde_json::Value::Bool(true))
        })
        .unwrap();
    let address = records
        .iter()
        .find(|r| r.table == "address" && r.text("location_id") == Some(&hidden.id))
        .and_then(|a| a.text("address_1"))
        .unwrap();
    let sal = records
        .iter()
        .find(|r| r.table == "service_at_location" && r.text("location_id") == Some(&hidden.id))
        .unwrap();
    let (_, html) = page(
        &app,
        &format!("/it/services/{}", sal.text("service_id").unwrap()),
    )
    .await;
    assert!(html.contains("Indirizzo fornito al momento del contatto"));
    assert!(
        !html.contains(&askama_escape(address)),
        "the street is not shown"
    );
    let lat = hidden.fields["latitude"].to_string();
    assert!(!html.contains(&lat), "nor the coordinates");
}

#[tokio::test]
async fn stale_services_say_so() {
    let (app, _, records) = app().await;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let stale = service_named(&records, |s| {
        s.text("assured_date")
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .is_some_and(|d| (today - d).num_days() > 183)
    });
    let (_, html) = page(&app, &format!("/it/services/{}", stale.id)).await;
    assert!(html.contains("Da verificare"));
}

#[tokio::test]
async fn a_service_page_says_whether_it_is_open_now() {
    // The clock of `app()` stands on Friday 20 November 2026, 10:00 in Rome.
    let (app, _, records) = app().await;
    let schedule = |pred: &dyn Fn(&Record) -> bool| {
        records.iter().find(|r| {
            r.table == "schedule"
                && r.text("service_id").is_some()
                && r.text("valid_from").is_none()
                && r.text("freq") == Some("WEEKLY")
                && pred(r)
        })
    };
    let open = schedule(&|r| {
        r.text("byday").is_some_and(|d| d.contains("FR"))
            && r.text("opens_at").is_some_and(|t| t <= "10:00:00")
            && r.text("closes_at").is_some_and(|t| t > "10:00:00")
    })
    .expect("a service open on Friday mornings");
    let (_, html) = page(
        &app,
        &format!("/it/services/{}", open.text("service_id").unwrap()),
    )
    .await;
    assert!(html.contains("Aperto adesso"), "open on Friday at 10:00");

    let closed_service = records
        .iter()
        .filter(|r| r.table == "service")
        .find(|s| {
            let rows: Vec<&Record> = records
                .iter()
                .filter(|r| r.table == "schedule" && r.text("service_id") == Some(&s.id))
                .collect();
            !rows.is_empty()
                && rows.iter().all(|r| {
                    r.text("byday").is_some_and(|d| !d.contains("FR"))
                        && r.text("freq") == Some("WEEKLY")
                })
        })
        .expect("a service closed on Fridays");
    let (_, html) = page(&app, &format!("/it/services/{}", closed_service.id)).await;
    assert!(html.contains("Chiuso adesso"), "closed on Friday");
}

#[tokio::test]
async fn a_failed_page_is_a_page_in_the_visitors_language_never_json() {
    let (app, _, _) = app().await;
    let request = |uri: &str| {
        let app = app.clone();
        let request = Request::get(uri).body(Body::empty()).unwrap();
        async move {
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let kind = response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .to_owned();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            (status, kind, String::from_utf8(body.to_vec()).unwrap())
        }
    };
    let unknown = "/services/00000000-0000-4000-8000-000000000000";
    let (status, kind, body) = request(&format!("/ar{unknown}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(body.contains(r#"data-error-code="not_found""#), "{body}");
    assert!(body.contains("الصفحة التي طلبتها غير موجودة."), "{body}");
    assert!(body.contains(r#"dir="rtl""#));
    // No pages in Klingon: the error page is in the default language.
    let (status, kind, body) = request(&format!("/tlh{unknown}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(
        body.contains(r#"data-error-code="unknown_language""#),
        "{body}"
    );
    assert!(body.contains("La pagina richiesta non esiste."), "{body}");
    // A path no page has: a page too, in the path's language.
    let (status, kind, body) = request("/uk/nonexistent/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(body.contains(r#"lang="uk""#), "{body}");
    assert!(body.contains(r#"data-error-code="not_found""#), "{body}");
    assert!(body.contains(r#"href="/uk/""#), "a way back home: {body}");
    let (_, kind, _) = request("/favicon.ico").await;
    assert!(kind.starts_with("text/html"), "{kind}");
    // The API keeps answering JSON.
    for path in [format!("/api/hsds{unknown}"), "/api/nonexistent".to_owned()] {
        let (status, kind, body) = request(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(kind.starts_with("application/json"), "{kind}: {body}");
    }
}

#[tokio::test]
async fn pages_and_api_answers_go_out_compressed_to_browsers_that_accept_it() {
    use std::io::Read as _;
    let (app, _, _) = app().await;
    for uri in [
        "/it/",
        "/ar/search?q=طبيب",
        "/api/hsds/services?per_page=50",
    ] {
        let request = |accept: &str| {
            Request::get(uri)
                .header(header::ACCEPT_ENCODING, accept)
                .body(Body::empty())
                .unwrap()
        };
        let plain = app.clone().oneshot(request("identity")).await.unwrap();
        assert_eq!(plain.headers().get(header::CONTENT_ENCODING), None);
        let plain = http_body_util::BodyExt::collect(plain.into_body())
            .await
            .unwrap()
            .to_bytes();
        let packed = app.clone().oneshot(request("gzip, br")).await.unwrap();
        assert_eq!(packed.status(), StatusCode::OK, "{uri}");
        assert_eq!(packed.headers()[header::CONTENT_ENCODING], "br", "{uri}");
        let packed = http_body_util::BodyExt::collect(packed.into_body())
            .await
            .unwrap()
            .to_bytes();
        let mut unpacked = Vec::new();
        brotli::Decompressor::new(&packed[..], 4096)
            .read_to_end(&mut unpacked)
            .unwrap();
        assert!(
            packed.len() * 3 < unpacked.len(),
            "{uri}: {} of {} bytes",
            packed.len(),
            unpacked.len()
        );
        // The same page (a search page differs only in nothing that varies per request).
        assert_eq!(unpacked.len(), plain.len(), "{uri}");
    }
}
