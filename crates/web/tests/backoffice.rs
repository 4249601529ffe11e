//! The back office in-process over the demo network: login, lock-out, sessions, CSRF, the
//! organisation's services with "confirm still valid", and the coordinator's stale list.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use crocevia_core::clock::Clock;
use crocevia_core::hsds::validate::ExistingRows;
use crocevia_core::hsds::{Origin, Record, SourcedRecord};
use crocevia_core::{demo, taxonomy};
use crocevia_store::Store;
use crocevia_store::import::validate_and_apply;
use crocevia_web::{AppState, WebConfig, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A clock tests move forward.
struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

const PASSWORD: &str = "una password lunga";

struct World {
    app: axum::Router,
    store: Arc<dyn Store>,
    clock: Arc<TestClock>,
    records: Vec<Record>,
    today: NaiveDate,
}

impl World {
    async fn new(public_url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store =
            crocevia_store_sql::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
                .await
                .unwrap();
        std::mem::forget(dir);
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let records: Vec<Record> = taxonomy::to_hsds_records()
            .into_iter()
            .chain(demo::network(now.date_naive()))
            .collect();
        let batch = records
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, record)| SourcedRecord {
                record,
                origin: Origin {
                    file: "demo".into(),
                    row: i + 1,
                    path: String::new(),
                },
            })
            .collect();
        validate_and_apply(
            store.as_ref(),
            batch,
            ExistingRows::Refuse,
            Vec::new(),
            "test",
            now,
        )
        .await
        .unwrap();
        let clock = Arc::new(TestClock(Mutex::new(now)));
        let app = router(AppState::new(
            store.clone(),
            clock.clone(),
            WebConfig {
                public_url: public_url.into(),
                ..WebConfig::default()
            },
        ));
        World {
            app,
            store,
            clock,
            records,
            today: now.date_naive(),
        }
    }

    fn services(&self) -> impl Iterator<Item = &Record> {
        self.records.iter().filter(|r| r.table == "service")
    }

    fn is_stale(&self, service: &Record) -> bool {
        service
            .text("assured_date")
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .is_none_or(|d| (self.today - d).num_days() > 183)
    }

    /// A stale service, and the organisation it belongs to.
    fn stale_service(&self) -> (&Record, String) {
        let s = self
            .services()
            .find(|s| self.is_stale(s))
            .expect("the demo has stale services");
        (s, s.text("organization_id").unwrap().to_owned())
    }

    fn org_name(&self, id: &str) -> String {
        self.records
            .iter()
            .find(|r| r.table == "organization" && r.id == id)
            .and_then(|o| o.text("name"))
            .unwrap()
            .to_owned()
    }

    async fn account(&self, org: &str, email: &str, role: &str) {
        crocevia_web::auth::create_account(
            self.store.as_ref(),
            self.clock.now(),
            org,
            email,
            "Ada Rossi",
            role,
            PASSWORD,
        )
        .await
        .unwrap();
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Vec<String>, String) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let mut headers: Vec<String> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        if let Some(location) = response.headers().get(header::LOCATION) {
            headers.push(format!("location: {}", location.to_str().unwrap()));
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn get(&self, uri: &str, session: Option<&str>) -> (StatusCode, Vec<String>, String) {
        let mut request = Request::get(uri);
        if let Some(s) = session {
            request = request.header(header::COOKIE, format!("crocevia_session={s}"));
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn post(
        &self,
        uri: &str,
        cookie: Option<String>,
        form: &[(&str, &str)],
    ) -> (StatusCode, Vec<String>, String) {
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, c);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// Submits the login form as a browser would; the response of the POST.
    async fn login(&self, email: &str, password: &str) -> (StatusCode, Vec<String>, String) {
        let (status, cookies, html) = self.get("/it/login", None).await;
        assert_eq!(status, StatusCode::OK);
        let csrf = csrf_field(&html);
        let login_cookie = cookie_value(&cookies, "crocevia_login_csrf").unwrap();
        self.post(
            "/it/login",
            Some(format!("crocevia_login_csrf={login_cookie}")),
            &[("email", email), ("password", password), ("csrf", &csrf)],
        )
        .await
    }

    /// Logs in and returns the session token.
    async fn session(&self, email: &str) -> String {
        let (status, cookies, _) = self.login(email, PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{cookies:?}");
        cookie_value(&cookies, "crocevia_session").unwrap()
    }

    /// The CSRF token the back-office page shows this session.
    async fn csrf(&self, session: &str) -> String {
        let (status, _, html) = self.get("/it/backoffice", Some(session)).await;
        assert_eq!(status, StatusCode::OK);
        csrf_field(&html)
    }
}

/// Text as askama escapes it in HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn csrf_field(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..][..html[start..].find('"').unwrap()].to_owned()
}

fn cookie_value(set_cookies: &[String], name: &str) -> Option<String> {
    set_cookies.iter().find_map(|c| {
        let (k, rest) = c.split_once('=')?;
        (k == name).then(|| rest.split(';').next().unwrap().to_owned())
    })
}

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
async fn five_failures_lock_the_account_for_fifteen_minutes() {
    let w = World::new("http://localhost:8080").await;
    let (_, org) = w.stale_service();
    w.account(&org, "editor@example.it", "editor").await;
    for _ in 0..5 {
        let (status, _, _) = w.login("editor@example.it", "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, html) = w.login("editor@example.it", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "locked");
    assert!(html.contains("Accesso non riuscito"), "the same message");
    w.clock.advance(Duration::minutes(14));
    let (status, _, _) = w.login("editor@example.it", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "still locked");
    w.clock.advance(Duration::minutes(1));
    let (status, _, _) = w.login("editor@example.it", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "unlocked after 15 minutes");
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
