//! A demo-network server in-process with a clock tests move, accounts, sessions and forms
//! posted as a browser would.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use crocevia_core::clock::Clock;
use crocevia_core::hsds::Record;
use crocevia_core::hsds::validate::{ExistingRows, sourced};
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

/// How a [`World`] is made: the demo network (or nothing) as of a moment, served with a
/// configuration, on the backend the suite runs on ([`super::fresh_store`]).
pub struct Builder {
    config: WebConfig,
    now: DateTime<Utc>,
    demo: bool,
}

impl Builder {
    pub fn public_url(mut self, url: &str) -> Self {
        self.config.public_url = url.into();
        self
    }

    pub fn config(mut self, config: WebConfig) -> Self {
        self.config = config;
        self
    }

    /// The clock's start, and the day the demo's dates are relative to.
    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    /// An empty database: the test loads what it needs.
    pub fn empty(mut self) -> Self {
        self.demo = false;
        self
    }

    pub async fn build(self) -> World {
        self.on(super::fresh_store().await).await
    }

    /// The world on a store the test opened (two servers on one database).
    pub async fn on(self, store: Arc<dyn Store>) -> World {
        let now = self.now;
        let records: Vec<Record> = if self.demo {
            taxonomy::to_hsds_records()
                .into_iter()
                .chain(demo::network(now.date_naive()))
                .collect()
        } else {
            Vec::new()
        };
        if self.demo {
            validate_and_apply(
                store.as_ref(),
                sourced(records.clone(), "demo"),
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
        }
        let clock = Arc::new(TestClock(Mutex::new(now)));
        let state = AppState::new(store.clone(), clock.clone(), self.config);
        World {
            app: router(state.clone()),
            state,
            store,
            clock,
            records,
            today: now.date_naive(),
        }
    }
}

impl World {
    pub fn builder() -> Builder {
        Builder {
            config: WebConfig::default(),
            now: Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap(),
            demo: true,
        }
    }

    /// The demo world served at `public_url`.
    pub async fn new(public_url: &str) -> Self {
        Self::builder().public_url(public_url).build().await
    }

    /// The demo world served with `config`.
    pub async fn with_config(config: WebConfig) -> Self {
        Self::builder().config(config).build().await
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
