//! The back office in-process over the demo network: login, sessions, CSRF, the
//! organisation's services with "confirm still valid", and the coordinator's stale list.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Duration;
use crocevia_core::hsds::Record;

mod common;
use common::world::*;

#[tokio::test]
async fn login_succeeds_only_with_the_right_password_and_says_nothing_more() {
    let w = World::new("http://localhost:8080").await;
    let (service, org) = w.stale_service();
    w.account(&org, "Editor@Example.it", "editor").await;

    let (status, _, html) = w.login("editor@example.it", "wrong password!").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("Accesso non riuscito"), "{html}");
    let (status, _, unknown) = w.login("nobody@example.it", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(unknown.contains("Accesso non riuscito"));

    // The page is not reachable without a session.
    let (status, headers, _) = w.get("/it/backoffice", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers.contains(&"location: /it/login".to_owned()));
    let (status, headers, _) = w.get("/en/backoffice", Some("forged")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers.contains(&"location: /en/login".to_owned()));

    let (status, cookies, _) = w.login(" EDITOR@example.it", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(cookies.contains(&"location: /it/backoffice".to_owned()));
    let set = cookies
        .iter()
        .find(|c| c.starts_with("crocevia_session="))
        .unwrap();
    for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    let token = cookie_value(&cookies, "crocevia_session").unwrap();
    let (status, _, html) = w.get("/it/backoffice", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&esc(service.text("name").unwrap())), "{html}");
    assert!(html.contains("Da verificare"));
    assert!(html.contains(&esc(&w.org_name(&org))));
    let (_, _, english) = w.get("/en/backoffice", Some(&token)).await;
    assert!(english.contains("Confirm still valid"));

    // The session ends after 12 hours.
    w.clock.advance(Duration::hours(12));
    let (status, _, _) = w.get("/it/backoffice", Some(&token)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn logout_ends_the_session_and_needs_the_csrf_token() {
    let w = World::new("https://crocevia.example.it").await;
    let (_, org) = w.stale_service();
    w.account(&org, "editor@example.it", "editor").await;
    let (_, cookies, _) = w.login("editor@example.it", PASSWORD).await;
    let set = cookies
        .iter()
        .find(|c| c.starts_with("crocevia_session="))
        .unwrap();
    assert!(set.contains("; Secure"), "HTTPS: {set}");
    let token = cookie_value(&cookies, "crocevia_session").unwrap();
    let cookie = Some(format!("crocevia_session={token}"));
    let (status, _, html) = w.post("/it/logout", cookie.clone(), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("data-error-code=\"csrf\""));
    let csrf = w.csrf(&token).await;
    let (status, _, _) = w.post("/it/logout", cookie, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = w.get("/it/backoffice", Some(&token)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the session is gone");
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let w = World::new("http://localhost:8080").await;
    let (service, org) = w.stale_service();
    w.account(&org, "editor@example.it", "editor").await;
    // The login form, without its cookie.
    let (status, _, _) = w
        .post(
            "/it/login",
            None,
            &[
                ("email", "editor@example.it"),
                ("password", PASSWORD),
                ("csrf", "x"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let token = w.session("editor@example.it").await;
    let uri = format!("/it/backoffice/services/{}/confirm", service.id);
    let cookie = Some(format!("crocevia_session={token}"));
    for form in [vec![], vec![("csrf", "not-the-token")]] {
        let (status, _, html) = w.post(&uri, cookie.clone(), &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(html.contains("data-error-code=\"csrf\""), "{html}");
    }
    let stored = w.store.get("service", &service.id).await.unwrap().unwrap();
    assert_eq!(stored.text("assured_date"), service.text("assured_date"));
}

#[tokio::test]
async fn confirming_a_service_updates_it_for_the_public() {
    let w = World::new("http://localhost:8080").await;
    let (service, org) = w.stale_service();
    w.account(&org, "editor@example.it", "editor").await;
    let token = w.session("editor@example.it").await;
    let csrf = w.csrf(&token).await;
    let today = w.today.format("%d/%m/%Y").to_string();
    let (_, _, before) = w.get(&format!("/it/services/{}", service.id), None).await;
    assert!(!before.contains(&today));

    w.clock.advance(Duration::minutes(1));
    let (status, headers, _) = w
        .post(
            &format!("/it/backoffice/services/{}/confirm", service.id),
            Some(format!("crocevia_session={token}")),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
    let stored = w.store.get("service", &service.id).await.unwrap().unwrap();
    assert_eq!(
        stored.text("assured_date"),
        Some(w.today.format("%Y-%m-%d").to_string().as_str())
    );
    assert_eq!(
        stored.text("name"),
        service.text("name"),
        "nothing else changes"
    );
    let changes = w.store.changes_since(0, 100_000).await.unwrap();
    let last = changes.last().unwrap();
    assert_eq!(
        (last.table.as_str(), last.id.as_str()),
        ("service", service.id.as_str())
    );
    assert!(last.actor.starts_with("account:"));

    let (status, _, after) = w.get(&format!("/it/services/{}", service.id), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(after.contains(&today), "the public page shows the new date");
}

#[tokio::test]
async fn editors_cannot_touch_other_organisations_and_operators_cannot_confirm() {
    let w = World::new("http://localhost:8080").await;
    let (service, org) = w.stale_service();
    let other = w
        .services()
        .find(|s| s.text("organization_id") != Some(org.as_str()))
        .unwrap();
    w.account(&org, "editor@example.it", "editor").await;
    w.account(&org, "operator@example.it", "operator").await;

    let token = w.session("editor@example.it").await;
    let csrf = w.csrf(&token).await;
    let (status, _, html) = w
        .post(
            &format!("/it/backoffice/services/{}/confirm", other.id),
            Some(format!("crocevia_session={token}")),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("data-error-code=\"not_found\""));
    let (_, _, list) = w.get("/it/backoffice", Some(&token)).await;
    assert!(!list.contains(&format!("/it/services/{}", other.id)));

    let token = w.session("operator@example.it").await;
    let csrf = w.csrf(&token).await;
    let (_, _, list) = w.get("/it/backoffice", Some(&token)).await;
    assert!(
        !list.contains("/confirm"),
        "no confirm buttons for operators"
    );
    let (status, _, _) = w
        .post(
            &format!("/it/backoffice/services/{}/confirm", service.id),
            Some(format!("crocevia_session={token}")),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn coordinators_see_stale_services_of_every_organisation() {
    let w = World::new("http://localhost:8080").await;
    let (_, org) = w.stale_service();
    w.account(&org, "editor@example.it", "editor").await;
    w.account(&org, "coordinator@example.it", "coordinator")
        .await;

    let token = w.session("editor@example.it").await;
    let (status, _, html) = w.get("/it/backoffice/stale", Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("data-error-code=\"forbidden\""));

    let token = w.session("coordinator@example.it").await;
    let (_, _, home) = w.get("/it/backoffice", Some(&token)).await;
    assert!(home.contains("/it/backoffice/stale"));
    let (status, _, html) = w.get("/it/backoffice/stale", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let stale: Vec<&Record> = w.services().filter(|s| w.is_stale(s)).collect();
    let orgs: std::collections::BTreeSet<&str> = stale
        .iter()
        .map(|s| s.text("organization_id").unwrap())
        .collect();
    assert!(
        orgs.len() > 1,
        "the demo has stale services in several organisations"
    );
    for s in &stale {
        assert!(html.contains(&format!("/it/services/{}", s.id)), "{}", s.id);
    }
    for o in orgs {
        assert!(html.contains(&esc(&w.org_name(o))), "{o}");
    }
    for fresh in w.services().filter(|s| !w.is_stale(s)) {
        assert!(!html.contains(&format!("/it/services/{}", fresh.id)));
    }
}

impl World {
    /// Posts `form` with the session cookie and its CSRF token.
    async fn submit(
        &self,
        session: &str,
        uri: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Vec<String>, String) {
        let csrf = self.csrf(session).await;
        let mut fields = form.to_vec();
        fields.push(("csrf", &csrf));
        self.post(uri, Some(format!("crocevia_session={session}")), &fields)
            .await
    }

    async fn change_count(&self) -> usize {
        self.store.changes_since(0, 1_000_000).await.unwrap().len()
    }

    /// A service of `org` with phones and weekly hours (so the form must keep rows it does
    /// not show).
    fn service_of(&self, org: &str) -> &Record {
        self.services()
            .find(|s| {
                s.text("organization_id") == Some(org)
                    && self
                        .records
                        .iter()
                        .any(|r| r.table == "phone" && r.text("service_id") == Some(&s.id))
            })
            .expect("a service with a phone")
    }
}

fn location_header(headers: &[String]) -> &str {
    headers
        .iter()
        .find_map(|h| h.strip_prefix("location: "))
        .expect("a redirect")
}

#[tokio::test]
async fn an_editor_edits_a_service_and_the_public_and_search_follow_at_once() {
    let w = World::new("http://localhost:8080").await;
    let (_, org) = w.stale_service();
    let service = w.service_of(&org).clone();
    w.account(&org, "editor@example.it", "editor").await;
    let token = w.session("editor@example.it").await;
    let edit = format!("/it/backoffice/services/{}/edit", service.id);

    let (status, _, form) = w.get(&edit, Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(&esc(service.text("name").unwrap())));
    let phones_before = w
        .records
        .iter()
        .filter(|r| r.table == "phone" && r.text("service_id") == Some(&service.id))
        .count();

    let (status, headers, body) = w
        .submit(
            &token,
            &edit,
            &[
                ("name", "Sportello salute migranti"),
                (
                    "description",
                    "Orientamento ai servizi sanitari e iscrizione al medico di base.",
                ),
                ("status", "active"),
                ("fees_description", "Gratuito"),
                ("need", "health.primary_care"),
                ("spoken", "it"),
                ("spoken", "ar"),
                ("spoken_other", "tr"),
                ("slot-0-id", ""),
                ("slot-0-day", "MO"),
                ("slot-0-day", "WE"),
                ("slot-0-opens", "09:00"),
                ("slot-0-closes", "12:30"),
                ("slot-0-description", ""),
                ("slot-1-opens", ""),
                ("slot-1-closes", ""),
                ("tr-en-name", "Migrant health desk"),
                (
                    "tr-en-description",
                    "Help to register with a family doctor.",
                ),
                ("mark_verified", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location_header(&headers), format!("{edit}?saved=1"));

    let stored = w.store.get("service", &service.id).await.unwrap().unwrap();
    assert_eq!(stored.text("name"), Some("Sportello salute migranti"));
    assert_eq!(
        stored.text("assured_date"),
        Some(w.today.format("%Y-%m-%d").to_string().as_str())
    );
    let nested = w
        .store
        .pointing_at(
            std::slice::from_ref(&service.id),
            &[
                ("phone", "service_id"),
                ("language", "service_id"),
                ("schedule", "service_id"),
            ],
        )
        .await
        .unwrap();
    let count = |t: &str| nested.iter().filter(|r| r.table == t).count();
    assert_eq!(
        count("phone"),
        phones_before,
        "rows the form does not show are kept"
    );
    assert_eq!(count("language"), 3);
    let weekly: Vec<&Record> = nested
        .iter()
        .filter(|r| r.table == "schedule" && r.text("freq") == Some("WEEKLY"))
        .collect();
    assert_eq!(weekly.len(), 1);
    assert_eq!(weekly[0].text("byday"), Some("MO,WE"));
    assert_eq!(weekly[0].text("closes_at"), Some("12:30:00"));

    let (status, _, saved) = w.get(&format!("{edit}?saved=1"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(saved.contains("id=\"saved\""));
    let (_, _, english) = w.get(&format!("/en/services/{}", service.id), None).await;
    assert!(
        english.contains("Migrant health desk"),
        "the translation is public"
    );
    let (_, _, found) = w.get("/api/search?q=family%20doctor&lang=en", None).await;
    assert!(
        found.contains(&service.id),
        "search has the change: {found}"
    );
    let log = w.store.changes_since(0, 1_000_000).await.unwrap();
    assert!(
        log.iter()
            .rev()
            .take_while(|c| c.actor.starts_with("account:"))
            .any(|c| c.table == "translation"),
        "the change log names the account"
    );
}

#[tokio::test]
async fn a_form_with_mistakes_comes_back_with_every_error_and_saves_nothing() {
    let w = World::new("http://localhost:8080").await;
    let (service, org) = w.stale_service();
    w.account(&org, "editor@example.it", "editor").await;
    let token = w.session("editor@example.it").await;
    let before = w.change_count().await;
    let (status, _, html) = w
        .submit(
            &token,
            &format!("/it/backoffice/services/{}/edit", service.id),
            &[
                ("name", ""),
                ("email", "not an address"),
                ("url", "www.example.it"),
                ("status", "active"),
                ("spoken_other", "Arabic"),
                ("slot-0-day", "TU"),
                ("slot-0-opens", "14:00"),
                ("slot-0-closes", "09:00"),
                ("slot-1-opens", "9"),
                ("slot-1-closes", ""),
                ("tr-en-name", "Kept in the form"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "Campo obbligatorio.",
        "Scrivi un indirizzo e-mail",
        "Scrivi l&#39;indirizzo completo",
        "non è un codice di lingua",
        "L&#39;orario di chiusura deve venire dopo",
        "Seleziona almeno un giorno.",
        "Scrivi un orario in ore e minuti",
    ] {
        assert!(html.contains(message), "{message} in\n{html}");
    }
    assert!(
        html.contains("href=\"#f-email\""),
        "the summary links to the field"
    );
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(
        html.contains("value=\"Kept in the form\""),
        "what was typed stays"
    );
    assert_eq!(w.change_count().await, before, "nothing was written");
}

#[tokio::test]
async fn an_editor_adds_a_location_and_a_service_there_found_by_comune() {
    let w = World::new("http://localhost:8080").await;
    let (_, org) = w.stale_service();
    w.account(&org, "editor@example.it", "editor").await;
    let token = w.session("editor@example.it").await;

    let (status, _, html) = w
        .submit(
            &token,
            "/it/backoffice/locations/new",
            &[("name", "Sede di Samone"), ("comune", "Samone")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Samone (TN)") && html.contains("Samone (TO)"),
        "{html}"
    );

    let (status, headers, body) = w
        .submit(
            &token,
            "/it/backoffice/locations/new",
            &[
                ("name", "Sede di Samone"),
                ("address_1", "Via Roma 1"),
                ("postal_code", "38059"),
                ("comune", "Samone (TN)"),
                ("confidential", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let location_id = location_header(&headers)
        .trim_start_matches("/it/backoffice/locations/")
        .trim_end_matches("/edit?saved=1")
        .to_owned();
    let location = w
        .store
        .get("location", &location_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(location.text("organization_id"), Some(org.as_str()));
    assert_eq!(location.text("external_identifier"), Some("022165"));

    let (status, headers, body) = w
        .submit(
            &token,
            "/it/backoffice/services/new",
            &[
                ("name", "Corso di italiano a Samone"),
                ("status", "active"),
                ("need", "language"),
                ("spoken", "it"),
                ("location", &location_id),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let service_id = location_header(&headers)
        .trim_start_matches("/it/backoffice/services/")
        .trim_end_matches("/edit?saved=1")
        .to_owned();
    let (_, _, found) = w.get("/api/search?comune=022165", None).await;
    assert!(found.contains(&service_id), "{found}");
    let (_, _, public) = w.get(&format!("/it/services/{service_id}"), None).await;
    assert!(
        !public.contains("Via Roma 1"),
        "the address is confidential"
    );
}

#[tokio::test]
async fn the_audit_log_says_who_changed_what_to_those_who_may_see_it() {
    let w = World::new("http://localhost:8080").await;
    let (service, org) = w.stale_service();
    let other_org = w
        .services()
        .find_map(|s| s.text("organization_id").filter(|o| *o != org))
        .unwrap()
        .to_owned();
    w.account(&org, "editor@example.it", "editor").await;
    w.account(&org, "coordinator@example.it", "coordinator")
        .await;
    w.account(&other_org, "admin@example.it", "admin").await;
    let token = w.session("editor@example.it").await;
    let csrf = w.csrf(&token).await;
    w.post(
        &format!("/it/backoffice/services/{}/confirm", service.id),
        Some(format!("crocevia_session={token}")),
        &[("csrf", &csrf)],
    )
    .await;

    let (status, _, _) = w.get("/it/backoffice/audit", Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "editors do not read the log");

    let coordinator = w.session("coordinator@example.it").await;
    let (status, _, html) = w.get("/it/backoffice/audit", Some(&coordinator)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Ada Rossi &#60;editor@example.it&#62;"),
        "{html}"
    );
    assert!(html.contains(&esc(service.text("name").unwrap())));
    assert!(
        html.contains("Modifiche precedenti"),
        "older entries are a click away"
    );

    let admin = w.session("admin@example.it").await;
    let (status, _, html) = w.get("/it/backoffice/audit", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("editor@example.it"),
        "other organisations' people stay private"
    );
    assert!(html.contains("Un account di un&#39;altra organizzazione"));
}

/// A multipart body with the CSRF token, the `replace` box and files.
fn multipart(csrf: &str, replace: bool, files: &[(&str, &str)]) -> (String, String) {
    let boundary = "crocevia-test-boundary";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n");
    if replace {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"replace\"\r\n\r\n1\r\n"
        ));
    }
    for (name, content) in files {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl World {
    async fn upload(&self, session: &str, files: &[(&str, &str)]) -> (StatusCode, String) {
        self.upload_with(session, false, files).await
    }

    async fn upload_with(
        &self,
        session: &str,
        replace: bool,
        files: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let csrf = self.csrf(session).await;
        let (content_type, body) = multipart(&csrf, replace, files);
        let request = Request::post("/it/backoffice/import")
            .header(header::CONTENT_TYPE, content_type)
            .header(header::COOKIE, format!("crocevia_session={session}"))
            .body(Body::from(body))
            .unwrap();
        let (status, _, html) = self.send(request).await;
        (status, html)
    }
}

/// Issue 17: the import reads a bounded number of files and bytes, and says which limit
/// a refused upload went beyond; nothing is written, and the server answers after.
#[tokio::test]
async fn a_browser_import_refuses_too_many_files_or_bytes() {
    let w = World::new("http://localhost:8080").await;
    let (_, org) = w.stale_service();
    w.account(&org, "coordinator@example.it", "coordinator")
        .await;
    let session = w.session("coordinator@example.it").await;
    let before = w.change_count().await;
    let names: Vec<String> = (0..41).map(|i| format!("services{i}.csv")).collect();
    let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "id\n")).collect();
    let (status, html) = w.upload(&session, &files).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("al massimo 40 file"), "{html}");

    let big = "x".repeat(crocevia_web::backoffice::import::MAX_UPLOAD_BYTES);
    let (status, html) = w.upload(&session, &[("services.csv", &big)]).await;
    assert_eq!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        &html[..200.min(html.len())]
    );
    assert!(html.contains("superano 64 MiB"), "{html}");
    assert_eq!(w.change_count().await, before, "nothing was written");
    let (status, _, _) = w.get("/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_browser_import_reports_every_bad_row_or_writes_the_package() {
    let w = World::new("http://localhost:8080").await;
    let (_, org) = w.stale_service();
    w.account(&org, "editor@example.it", "editor").await;
    w.account(&org, "coordinator@example.it", "coordinator")
        .await;
    let editor = w.session("editor@example.it").await;
    let before = w.change_count().await;
    let new_service = "7f1c1a7e-3c5b-4d84-9a58-2f5de9e4a001";
    let good =
        format!("id,organization_id,name,status\n{new_service},{org},Nuovo sportello,active\n");
    let bad = format!(
        "id,organization_id,name,status\n{new_service},{org},Nuovo sportello,active\nnot-a-uuid,{org},,active\n"
    );

    let (status, html) = w.upload(&editor, &[("services.csv", &bad)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Non è stato importato nulla"), "{html}");
    assert!(
        html.contains("<td>services.csv</td>\n      <td>3</td>"),
        "file and row: {html}"
    );
    assert!(html.contains("Un id non è un UUID."));
    assert_eq!(w.change_count().await, before, "nothing was written");

    let other = w
        .services()
        .find_map(|s| s.text("organization_id").filter(|o| *o != org))
        .unwrap()
        .to_owned();
    let foreign = format!("id,organization_id,name,status\n{new_service},{other},Altrui,active\n");
    let (status, html) = w.upload(&editor, &[("services.csv", &foreign)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("appartiene a un&#39;altra organizzazione"),
        "{html}"
    );
    assert_eq!(w.change_count().await, before);

    // Replacing another organisation's service while calling it one's own takes it: refused,
    // because the row as stored is not the editor's.
    let taken = w
        .services()
        .find(|s| s.text("organization_id") == Some(other.as_str()))
        .unwrap()
        .id
        .clone();
    let takeover = format!("id,organization_id,name,status\n{taken},{org},Presa,active\n");
    let (status, html) = w
        .upload_with(&editor, true, &[("services.csv", &takeover)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("appartiene a un&#39;altra organizzazione"),
        "{html}"
    );
    assert_eq!(w.change_count().await, before);
    let kept = w.store.get("service", &taken).await.unwrap().unwrap();
    assert_eq!(kept.text("organization_id"), Some(other.as_str()));

    let (status, html) = w.upload(&editor, &[("services.csv", &good)]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Importazione riuscita: una riga scritta."),
        "{html}"
    );
    let stored = w.store.get("service", new_service).await.unwrap().unwrap();
    assert_eq!(stored.text("name"), Some("Nuovo sportello"));
    let (_, _, found) = w.get("/api/search?q=nuovo%20sportello", None).await;
    assert!(
        found.contains(new_service),
        "the import is searchable at once"
    );

    let coordinator = w.session("coordinator@example.it").await;
    let (status, html) = w.upload(&coordinator, &[("services.csv", &good)]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("Nulla da fare"), "{html}");
}

/// The password the accounts page shows once.
fn issued_password(html: &str) -> String {
    let marker = "id=\"issued-password\" translate=\"no\">";
    let start = html.find(marker).expect("a password shown") + marker.len();
    html[start..][..html[start..].find('<').unwrap()].to_owned()
}

#[tokio::test]
async fn an_admin_adds_a_person_and_resets_a_password_and_people_change_their_own() {
    let w = World::new("http://localhost:8080").await;
    let (_, org) = w.stale_service();
    let other_org = w
        .services()
        .find_map(|s| s.text("organization_id").filter(|o| *o != org))
        .unwrap()
        .to_owned();
    w.account(&org, "admin@example.it", "admin").await;
    w.account(&org, "editor@example.it", "editor").await;
    w.account(&other_org, "stranger@example.it", "editor").await;
    let admin = w.session("admin@example.it").await;

    let (status, _, html) = w
        .submit(
            &admin,
            "/it/backoffice/accounts",
            &[
                ("name", "Bea Neri"),
                ("email", "Bea@Example.it"),
                ("role", "operator"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let password = issued_password(&html);
    assert_eq!(password.len(), 19, "four groups of four: {password}");
    let bea = w
        .store
        .account_by_email("bea@example.it")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bea.role.as_str(), "operator");
    assert_eq!(bea.organization_id, org);

    let (status, _, html) = w
        .submit(
            &admin,
            "/it/backoffice/accounts",
            &[
                ("name", "Capo"),
                ("email", "capo@example.it"),
                ("role", "coordinator"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let capo = w
        .store
        .account_by_email("capo@example.it")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        capo.role.as_str(),
        "editor",
        "admins cannot make coordinators"
    );
    let (status, _, html2) = w
        .submit(
            &admin,
            "/it/backoffice/accounts",
            &[("name", "Bis"), ("email", "bea@example.it")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html2.contains("Esiste già un account con questa e-mail."),
        "{html}"
    );

    // Bea signs in with the password she was given, then changes it.
    let (status, cookies, _) = w.login("bea@example.it", &password).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let bea_session = cookie_value(&cookies, "crocevia_session").unwrap();
    let (status, _, html) = w
        .submit(
            &bea_session,
            "/it/backoffice/password",
            &[
                ("current", &password),
                ("new", "corta"),
                ("repeat", "corta"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("almeno 12 caratteri"));
    let (status, _, _) = w
        .submit(
            &bea_session,
            "/it/backoffice/password",
            &[
                ("current", &password),
                ("new", PASSWORD),
                ("repeat", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = w.get("/it/backoffice", Some(&bea_session)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the session that changed the password goes on"
    );
    assert_eq!(
        w.login("bea@example.it", &password).await.0,
        StatusCode::UNAUTHORIZED
    );

    // The admin resets the editor's password: the old one and the old sessions stop working.
    let editor_session = w.session("editor@example.it").await;
    let editor = w
        .store
        .account_by_email("editor@example.it")
        .await
        .unwrap()
        .unwrap();
    let (status, _, html) = w
        .submit(
            &admin,
            &format!("/it/backoffice/accounts/{}/reset", editor.id),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let new_password = issued_password(&html);
    assert_eq!(
        w.get("/it/backoffice", Some(&editor_session)).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        w.login("editor@example.it", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        w.login("editor@example.it", &new_password).await.0,
        StatusCode::SEE_OTHER
    );

    // A coordinator of the same organisation acts network-wide: the admin may not reset
    // their password (and so sign in as them), and is not offered to.
    w.account(&org, "coordinator@example.it", "coordinator")
        .await;
    let coordinator = w
        .store
        .account_by_email("coordinator@example.it")
        .await
        .unwrap()
        .unwrap();
    let coordinator_session = w.session("coordinator@example.it").await;
    let (_, _, list) = w.get("/it/backoffice/accounts", Some(&admin)).await;
    assert!(list.contains("coordinator@example.it"), "{list}");
    assert!(
        !list.contains(&format!("{}/reset", coordinator.id)),
        "no reset button for a coordinator: {list}"
    );
    let (status, _, _) = w
        .submit(
            &admin,
            &format!("/it/backoffice/accounts/{}/reset", coordinator.id),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        w.get("/it/backoffice", Some(&coordinator_session)).await.0,
        StatusCode::OK,
        "the coordinator's sessions go on"
    );
    assert_eq!(
        w.login("coordinator@example.it", PASSWORD).await.0,
        StatusCode::SEE_OTHER
    );

    // Another organisation's people are out of reach; editors manage no one.
    let stranger = w
        .store
        .account_by_email("stranger@example.it")
        .await
        .unwrap()
        .unwrap();
    let (status, _, _) = w
        .submit(
            &admin,
            &format!("/it/backoffice/accounts/{}/reset", stranger.id),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, list) = w.get("/it/backoffice/accounts", Some(&admin)).await;
    assert!(!list.contains("stranger@example.it"));
    let editor_session = w.session_with("editor@example.it", &new_password).await;
    assert_eq!(
        w.get("/it/backoffice/accounts", Some(&editor_session))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

impl World {
    async fn session_with(&self, email: &str, password: &str) -> String {
        let (status, cookies, _) = self.login(email, password).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        cookie_value(&cookies, "crocevia_session").unwrap()
    }
}

/// Logins, failed or not, and an admin's password reset each leave an entry in the audit
/// trail of personal data, by account; neither the password typed nor an unknown e-mail is
/// written down.
#[tokio::test]
async fn logins_and_password_resets_are_audited() {
    use crocevia_core::desk::audit::AuditAction;

    let w = World::new("http://localhost:8080").await;
    let org = w
        .records
        .iter()
        .find(|r| r.table == "organization")
        .unwrap()
        .id
        .clone();
    w.account(&org, "admin@example.it", "admin").await;
    w.account(&org, "editor@example.it", "editor").await;
    let id = |email: &'static str| {
        let store = w.store.clone();
        async move { store.account_by_email(email).await.unwrap().unwrap().id }
    };
    let (admin_id, editor_id) = (id("admin@example.it").await, id("editor@example.it").await);
    let before = w.store.audit_head().await.unwrap().map_or(0, |h| h.0);

    let typed = "Tr0ub4dor&3-not-it";
    assert_eq!(
        w.login("editor@example.it", typed).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        w.login("nobody@example.it", typed).await.0,
        StatusCode::UNAUTHORIZED
    );
    let admin = w.session("admin@example.it").await;
    let (status, _, html) = w
        .submit(
            &admin,
            &format!("/it/backoffice/accounts/{editor_id}/reset"),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");

    let entries = w.store.audit_entries(before, 100).await.unwrap();
    let seen: Vec<(AuditAction, &str, &str, &str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e.event.action,
                e.event.actor.account_id.as_str(),
                e.event.subject_kind.as_str(),
                e.event.subject_id.as_str(),
                e.event.detail.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                AuditAction::LoginFailed,
                "anonymous",
                "account",
                editor_id.as_str(),
                "wrong password"
            ),
            (
                AuditAction::LoginFailed,
                "anonymous",
                "account",
                "",
                "unknown account"
            ),
            (
                AuditAction::Login,
                admin_id.as_str(),
                "account",
                admin_id.as_str(),
                ""
            ),
            (
                AuditAction::PasswordReset,
                admin_id.as_str(),
                "account",
                editor_id.as_str(),
                "by an admin"
            ),
        ]
    );
    let written = format!("{entries:?}");
    assert!(!written.contains(typed) && !written.contains("nobody@example.it"));

    // The audit page shows them: the admin sees what their organisation's accounts did.
    let (status, _, html) = w
        .get("/it/backoffice/audit?trail=personal", Some(&admin))
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Password reimpostata") && html.contains("<td>Accesso</td>"),
        "{html}"
    );
    assert!(html.contains(&editor_id), "{html}");
}

/// Every page starts from the kit's extractors: an unknown language is a 404 page, no session
/// goes to the login page, a role without the right gets the "forbidden" page, a form without
/// the session's token the "csrf" page, each before the handler runs.
#[tokio::test]
async fn every_page_refuses_by_language_session_role_and_token_before_it_runs() {
    let w = World::new("http://localhost:8080").await;
    let (_, org) = w.stale_service();
    let roles = ["admin", "coordinator", "editor", "operator", "analyst"];
    let mut sessions = Vec::new();
    for role in roles {
        let email = format!("{role}@example.it");
        w.account(&org, &email, role).await;
        sessions.push((role, w.session(&email).await));
    }
    let pages: [(&str, &[&str]); 9] = [
        ("/backoffice/password", &roles),
        ("/backoffice/services/new", &["admin", "editor"]),
        ("/backoffice/locations", &["admin", "editor"]),
        ("/backoffice/accounts", &["admin"]),
        ("/backoffice/import", &["admin", "coordinator", "editor"]),
        ("/backoffice/audit", &["admin", "coordinator"]),
        ("/desk", &["admin", "coordinator", "operator"]),
        ("/desk/overdue", &["coordinator"]),
        ("/surveys", &["admin", "coordinator", "analyst"]),
    ];
    let mut wrong = Vec::new();
    for (path, allowed) in pages {
        let (status, headers, _) = w.get(&format!("/en{path}"), None).await;
        if status != StatusCode::SEE_OTHER || !headers.contains(&"location: /en/login".to_owned()) {
            wrong.push(format!("{path} without a session: {status} {headers:?}"));
        }
        for (role, session) in &sessions {
            let (status, _, html) = w.get(&format!("/xx{path}"), Some(session)).await;
            if status != StatusCode::NOT_FOUND
                || !html.contains(r#"data-error-code="unknown_language""#)
            {
                wrong.push(format!("/xx{path} as {role}: {status}"));
            }
            let (status, _, html) = w.get(&format!("/en{path}"), Some(session)).await;
            let expected = if allowed.contains(role) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            if status != expected
                || (expected == StatusCode::FORBIDDEN
                    && !(html.contains(r#"data-error-code="forbidden""#)
                        && html.contains(r#"lang="en""#)))
            {
                wrong.push(format!("{path} as {role}: {status}, expected {expected}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // A form without the session's token, or with another session's, changes nothing.
    let (_, editor) = &sessions[2];
    let (_, admin) = &sessions[0];
    let admin_token = w.csrf(admin).await;
    for csrf in ["", admin_token.as_str()] {
        let (status, _, html) = w
            .post(
                "/it/backoffice/password",
                Some(format!("crocevia_session={editor}")),
                &[
                    ("csrf", csrf),
                    ("current", PASSWORD),
                    ("new", "un'altra password lunga"),
                    ("repeat", "un'altra password lunga"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(html.contains(r#"data-error-code="csrf""#), "{html}");
    }
    let (status, _, _) = w.login("editor@example.it", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the password is unchanged");
}

impl World {
    /// A portal page asked for by browser `agent` (distinct agents are distinct visitors:
    /// requests built in-process have no address), coming from `referer`.
    async fn visit(&self, uri: &str, agent: &str, referer: Option<&str>) -> StatusCode {
        let mut request = Request::get(uri).header(header::USER_AGENT, agent);
        if let Some(r) = referer {
            request = request.header(header::REFERER, r);
        }
        self.send(request.body(Body::empty()).unwrap()).await.0
    }

    /// How many services the portal's search for `q` finds, as the API tells it.
    async fn found(&self, q: &str) -> u64 {
        let (_, _, json) = self
            .get(&format!("/api/search?q={}&language=it", encode(q)), None)
            .await;
        serde_json::from_str::<serde_json::Value>(&json).unwrap()["total"]
            .as_u64()
            .unwrap()
    }
}

/// The numbers of the table row whose first cell shows `text`.
fn row_numbers(html: &str, text: &str) -> Option<Vec<String>> {
    let at = html.find(&format!(">{}</a></td>", esc(text)))?;
    let row_end = at + html[at..].find("</tr>")?;
    Some(
        html[at..row_end]
            .split("<td class=\"text-end\">")
            .skip(1)
            .map(|cell| cell.split("</td>").next().unwrap().trim().to_owned())
            .collect(),
    )
}

#[tokio::test]
async fn coordinators_see_what_the_portal_could_not_answer_without_personal_data() {
    let w = World::new("http://localhost:8080").await;
    let (_, org) = w.stale_service();
    w.account(&org, "coordinator@example.it", "coordinator")
        .await;
    w.account(&org, "editor@example.it", "editor").await;
    let search = |q: &str| format!("/it/search?q={}", encode(q));
    let referer = |q: &str| format!("http://localhost:8080{}", search(q));
    let nothing = "noleggio yacht";
    let doctor = "Medico di base";
    assert_eq!(w.found(nothing).await, 0, "a query the demo cannot answer");
    assert!(w.found(doctor).await > 0);
    let service = format!("/it/services/{}", w.services().next().unwrap().id);

    // Five different visitors (the default threshold) and one of them four more times.
    for n in 1..=5 {
        assert_eq!(
            w.visit(&search(nothing), &format!("browser {n}"), None)
                .await,
            StatusCode::OK
        );
        w.visit(&search(doctor), &format!("browser {n}"), None)
            .await;
    }
    for _ in 0..4 {
        w.visit(&search(nothing), "browser 1", None).await;
    }
    // Two doctor searchers open a result, one of them twice; a visitor who never searched
    // "opens" one with a made-up Referer: not counted.
    for agent in ["browser 1", "browser 2", "browser 2", "browser 9"] {
        w.visit(&service, agent, Some(&referer("medico  di base")))
            .await;
    }
    // Fewer visitors than the threshold: counted, never named.
    for n in 1..=4 {
        w.visit(&search("consultorio"), &format!("browser {n}"), None)
            .await;
    }
    w.visit(&search("Mario Rossi 333 1234567"), "browser 7", None)
        .await;
    // Later pages of a search are not new searches.
    w.visit(&format!("{}&page=2", search(doctor)), "browser 1", None)
        .await;
    crocevia_web::search_demand::flush(&w.state()).await;

    let editor = w.session("editor@example.it").await;
    let (status, _, _) = w.get("/it/backoffice/search-demand", Some(&editor)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let coordinator = w.session("coordinator@example.it").await;
    let (_, _, home) = w.get("/it/backoffice", Some(&coordinator)).await;
    assert!(home.contains("/it/backoffice/search-demand"));
    let (status, _, html) = w
        .get("/it/backoffice/search-demand", Some(&coordinator))
        .await;
    assert_eq!(status, StatusCode::OK);
    // people, opened nothing, no result / searches
    assert_eq!(
        row_numbers(&html, nothing).unwrap(),
        ["5", "5", "9 / 9"],
        "{html}"
    );
    assert_eq!(
        row_numbers(&html, "medico di base").unwrap(),
        ["5", "3", "0 / 5"]
    );
    assert!(
        html.find(&esc(nothing)) < html.find("medico di base"),
        "the most people who opened nothing first"
    );
    assert!(row_numbers(&html, "consultorio").is_none());
    assert!(!html.to_lowercase().contains("mario rossi"));
    assert!(!html.contains("browser"), "no visitor is shown");
    // The week: 9 + 5 + 4 + 1 searches.
    let mut empty = 9;
    for (q, searches) in [("consultorio", 4), ("Mario Rossi 333 1234567", 1)] {
        if w.found(q).await == 0 {
            empty += searches;
        }
    }
    assert!(
        html.contains(&format!(
            "<td class=\"text-end\">19</td>\n      <td class=\"text-end\">{empty} ({}%)</td>",
            (empty * 100 + 9) / 19
        )),
        "{html}"
    );
}

#[tokio::test]
async fn demo_accounts_are_listed_and_sign_in_only_on_a_demo_server() {
    use crocevia_core::clock::Clock as _;
    use crocevia_core::demo::{DEMO_PASSWORD, accounts};
    let demo = World::builder()
        .config(crocevia_web::WebConfig {
            demo: true,
            ..crocevia_web::WebConfig::default()
        })
        .build()
        .await;
    for a in accounts() {
        crocevia_web::auth::create_account(
            demo.store.as_ref(),
            demo.clock.now(),
            &a.organization_id,
            &a.email,
            a.display_name,
            a.role,
            DEMO_PASSWORD,
        )
        .await
        .unwrap();
    }
    let operator = accounts()
        .into_iter()
        .find(|a| a.role == "operator")
        .unwrap();
    let (_, _, page) = demo.get("/it/login", None).await;
    assert!(page.contains("id=\"demo-accounts\""), "{page}");
    assert!(page.contains(DEMO_PASSWORD));
    for a in accounts() {
        assert!(page.contains(&a.email), "{}", a.email);
    }
    let (status, headers, _) = demo.login(&operator.email, DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");

    // The same database served without --demo: not listed, and the published password
    // opens nothing.
    let real = World::builder().empty().on(demo.store.clone()).await;
    let (_, _, page) = real.get("/it/login", None).await;
    assert!(!page.contains("demo-accounts") && !page.contains(DEMO_PASSWORD));
    let (status, _, html) = real.login(&operator.email, DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("Accesso non riuscito"));
}
