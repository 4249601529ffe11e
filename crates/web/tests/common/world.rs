//! A demo-network server in-process with a clock tests move, accounts, sessions and forms
//! posted as a browser would.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use crocevia_core::clock::Clock;
use crocevia_core::hsds::validate::ExistingRows;
use crocevia_core::hsds::{Origin, Record, SourcedRecord};
use crocevia_core::{demo, taxonomy};
use crocevia_store::Store;
use crocevia_store::import::{Writer, validate_and_apply};
use crocevia_web::{AppState, WebConfig, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A clock tests move forward.
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

pub const PASSWORD: &str = "una password lunga";

pub struct World {
    pub app: axum::Router,
    state: AppState,
    pub store: Arc<dyn Store>,
    pub clock: Arc<TestClock>,
    pub records: Vec<Record>,
    pub today: NaiveDate,
}

impl World {
    pub async fn new(public_url: &str) -> Self {
        Self::with_config(WebConfig {
            public_url: public_url.into(),
            ..WebConfig::default()
        })
        .await
    }

    /// The demo world on a new SQLite file, served with `config`.
    pub async fn with_config(config: WebConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = crocevia_store_sql::open(
            &format!("sqlite://{}", dir.path().join("t.db").display()),
            crocevia_store_sql::test_support::audit_seal(),
        )
        .await
        .unwrap();
        std::mem::forget(dir);
        Self::on_config(store, config).await
    }

    /// The demo world on a fresh PostgreSQL schema, when `CROCEVIA_TEST_PG` names a server.
    pub async fn on_postgres() -> Option<Self> {
        let base = std::env::var("CROCEVIA_TEST_PG").ok()?;
        let url = crocevia_store_sql::test_support::fresh_postgres_schema(&base)
            .await
            .expect("a test schema on CROCEVIA_TEST_PG");
        let store = crocevia_store_sql::open(&url, crocevia_store_sql::test_support::audit_seal())
            .await
            .expect("open postgres");
        Some(Self::on(store, "http://localhost:8080").await)
    }

    /// The demo network (and its protocols) loaded into `store`.
    pub async fn on(store: Arc<dyn Store>, public_url: &str) -> Self {
        Self::on_config(
            store,
            WebConfig {
                public_url: public_url.into(),
                ..WebConfig::default()
            },
        )
        .await
    }

    /// The demo network loaded into `store`, served with `config`.
    pub async fn on_config(store: Arc<dyn Store>, config: WebConfig) -> Self {
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
            Writer::Network,
            "test",
            now,
        )
        .await
        .unwrap();
        store
            .save_pathways(&crocevia_store::desk::Pathway::demo())
            .await
            .unwrap();
        let clock = Arc::new(TestClock(Mutex::new(now)));
        let state = AppState::new(store.clone(), clock.clone(), config);
        World {
            app: router(state.clone()),
            state,
            store,
            clock,
            records,
            today: now.date_naive(),
        }
    }

    /// The server's state, for running its background jobs.
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    pub fn services(&self) -> impl Iterator<Item = &Record> {
        self.records.iter().filter(|r| r.table == "service")
    }

    pub fn is_stale(&self, service: &Record) -> bool {
        service
            .text("assured_date")
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .is_none_or(|d| (self.today - d).num_days() > 183)
    }

    /// A stale service, and the organisation it belongs to.
    pub fn stale_service(&self) -> (&Record, String) {
        let s = self
            .services()
            .find(|s| self.is_stale(s))
            .expect("the demo has stale services");
        (s, s.text("organization_id").unwrap().to_owned())
    }

    pub fn org_name(&self, id: &str) -> String {
        self.records
            .iter()
            .find(|r| r.table == "organization" && r.id == id)
            .and_then(|o| o.text("name"))
            .unwrap()
            .to_owned()
    }

    pub async fn account(&self, org: &str, email: &str, role: &str) {
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

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Vec<String>, String) {
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

    pub async fn get(&self, uri: &str, session: Option<&str>) -> (StatusCode, Vec<String>, String) {
        let mut request = Request::get(uri);
        if let Some(s) = session {
            request = request.header(header::COOKIE, format!("crocevia_session={s}"));
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    pub async fn post(
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
    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, Vec<String>, String) {
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
    pub async fn session(&self, email: &str) -> String {
        let (status, cookies, _) = self.login(email, PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{cookies:?}");
        cookie_value(&cookies, "crocevia_session").unwrap()
    }

    /// The CSRF token the back-office page shows this session.
    pub async fn csrf(&self, session: &str) -> String {
        let (status, _, html) = self.get("/it/backoffice", Some(session)).await;
        assert_eq!(status, StatusCode::OK);
        csrf_field(&html)
    }
}

/// Text as askama escapes it in HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn csrf_field(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..][..html[start..].find('"').unwrap()].to_owned()
}

pub fn cookie_value(set_cookies: &[String], name: &str) -> Option<String> {
    set_cookies.iter().find_map(|c| {
        let (k, rest) = c.split_once('=')?;
        (k == name).then(|| rest.split(';').next().unwrap().to_owned())
    })
}
