//! Rate limits per client address ([`crate::client`]) on what an anonymous client can repeat
//! cheaply and we pay for: logging in (the password form and the start of an OpenID Connect
//! login), filling in surveys without an account, and searching (`/api/search`, the portal's
//! search page, the HSDS `search` parameter).
//!
//! Each limit is a token bucket (`governor`, GCRA): `N/m` lets a client send N requests at
//! once, then one every minute / N. Past it the answer is 429 with `Retry-After`: JSON with
//! the code `rate_limited` under `/api/`, a page in the page's language elsewhere. Requests
//! whose peer is unknown (built in-process, as tests do) are not limited. Each app server
//! counts on its own. Limiters drop the addresses they no longer need to remember when they
//! hold many.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::AppState;
use crate::error::{AppError, ErrorCode};
use crate::html_errors::{error_page, language_of_path};
use crate::kit::Page;

/// N requests per period, bursting up to N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: NonZeroU32,
    pub per: Duration,
}

impl Rate {
    pub const fn per_minute(count: NonZeroU32) -> Self {
        Rate {
            count,
            per: Duration::from_secs(60),
        }
    }

    /// `10/m` (also `/s`, `/h`); `off` or `0` turns the limit off (`None`).
    pub fn parse(text: &str) -> Result<Option<Rate>, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") || text == "0" {
            return Ok(None);
        }
        let expected = || format!("'{text}' is not a rate like 10/m (per s, m or h) or off");
        let (count, unit) = text.split_once('/').ok_or_else(expected)?;
        let count: u32 = count.trim().parse().map_err(|_| expected())?;
        let per = match unit.trim() {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(expected()),
        };
        Ok(NonZeroU32::new(count).map(|count| Rate { count, per }))
    }

    fn quota(self) -> Quota {
        let every = self.per / self.count.get();
        Quota::with_period(every.max(Duration::from_nanos(1)))
            .expect("a positive period")
            .allow_burst(self.count)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            3600 => "h",
            _ => "m",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// The limits, each `None` when off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Password logins and OpenID Connect starts.
    pub login: Option<Rate>,
    /// Searches.
    pub search: Option<Rate>,
    /// Survey pages posted without an account.
    pub survey: Option<Rate>,
}

impl RateLimits {
    pub const OFF: RateLimits = RateLimits {
        login: None,
        search: None,
        survey: None,
    };
}

impl Default for RateLimits {
    /// Generous enough for an office of operators behind one address, and for a respondent
    /// who changes answers quickly (every change re-evaluates the form).
    fn default() -> Self {
        RateLimits {
            login: Some(Rate::per_minute(NonZeroU32::new(10).expect("10"))),
            search: Some(Rate::per_minute(NonZeroU32::new(120).expect("120"))),
            survey: Some(Rate::per_minute(NonZeroU32::new(120).expect("120"))),
        }
    }
}

/// Addresses a limiter holds before it forgets those whose bucket is full again.
const FORGET_ABOVE: usize = 50_000;

/// What a limit applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Login,
    Search,
    Survey,
}

/// One limiter per kind, shared by the server's requests.
pub struct Limiters {
    login: Option<DefaultKeyedRateLimiter<IpAddr>>,
    search: Option<DefaultKeyedRateLimiter<IpAddr>>,
    survey: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Limiters {
    pub fn new(limits: &RateLimits) -> Self {
        let make = |rate: Option<Rate>| rate.map(|r| RateLimiter::keyed(r.quota()));
        Limiters {
            login: make(limits.login),
            search: make(limits.search),
            survey: make(limits.survey),
        }
    }

    /// `Err(wait)` when `client` must wait before asking again.
    pub fn check(&self, kind: Kind, client: IpAddr) -> Result<(), Duration> {
        let limiter = match kind {
            Kind::Login => &self.login,
            Kind::Search => &self.search,
            Kind::Survey => &self.survey,
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        let verdict = limiter.check_key(&client);
        if limiter.len() > FORGET_ABOVE {
            limiter.retain_recent();
        }
        verdict.map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Layer of the login routes: the password form's POST and `/login/oidc`.
pub async fn login(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let form_page = request.method() == Method::GET && request.uri().path().ends_with("/login");
    if form_page {
        return next.run(request).await;
    }
    guard(Kind::Login, &state, request, next).await
}

/// Layer of `/api/search` and the portal's search page.
pub async fn search(State(state): State<AppState>, request: Request, next: Next) -> Response {
    guard(Kind::Search, &state, request, next).await
}

/// Layer of the HSDS lists: counts only requests with a `search` text.
pub async fn hsds_search(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let searching = request.uri().query().is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "search" && !v.trim().is_empty())
    });
    if !searching {
        return next.run(request).await;
    }
    guard(Kind::Search, &state, request, next).await
}

/// Layer of the respondent's pages: counts posts from clients without a session.
pub async fn survey(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let signed_in = crate::auth::cookie(request.headers(), crate::auth::SESSION_COOKIE).is_some();
    if request.method() != Method::POST || signed_in {
        return next.run(request).await;
    }
    guard(Kind::Survey, &state, request, next).await
}

async fn guard(kind: Kind, state: &AppState, request: Request, next: Next) -> Response {
    let client = crate::client::address(
        request.extensions(),
        request.headers(),
        &state.config.trusted_proxies,
    );
    let Some(client) = client else {
        return next.run(request).await;
    };
    match state.limiters.check(kind, client) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            // Inside a nested router (`/api`) the URI lost its prefix; the original has it.
            let path = request
                .extensions()
                .get::<OriginalUri>()
                .map_or(request.uri().path(), |u| u.0.path());
            tracing::warn!(client = %client, limit = ?kind, path, "rate limited");
            too_many_requests(path, wait)
        }
    }
}

/// Whole seconds to wait, at least one.
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// The 429 answer for `path`: JSON under `/api/`, else a page in the path's language.
pub fn too_many_requests(path: &str, wait: Duration) -> Response {
    let seconds = retry_after_secs(wait);
    let mut response = if path.starts_with("/api/") {
        AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!("too many requests from your address: try again in {seconds} s"),
        )
        .into_response()
    } else {
        let language = language_of_path(path);
        let message = Page::new(language, "/").tn("common-too-many-body", "seconds", &seconds);
        error_page(
            language,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "common-too-many-title",
            message,
        )
    };
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&seconds.to_string()).expect("digits"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_and_print_alike() {
        let rate = Rate::parse("10/m").unwrap().unwrap();
        assert_eq!(rate.count.get(), 10);
        assert_eq!(rate.per, Duration::from_secs(60));
        assert_eq!(rate.to_string(), "10/m");
        assert_eq!(Rate::parse(" 3/h ").unwrap().unwrap().to_string(), "3/h");
        assert_eq!(Rate::parse("off").unwrap(), None);
        assert_eq!(Rate::parse("0").unwrap(), None);
        assert!(Rate::parse("10").is_err());
        assert!(Rate::parse("10/week").is_err());
        assert!(Rate::parse("many/m").is_err());
    }

    #[test]
    fn a_client_past_its_burst_waits_and_others_do_not() {
        let limiters = Limiters::new(&RateLimits {
            login: Rate::parse("2/h").unwrap(),
            ..RateLimits::OFF
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limiters.check(Kind::Login, a).is_ok());
        assert!(limiters.check(Kind::Login, a).is_ok());
        let wait = limiters.check(Kind::Login, a).unwrap_err();
        assert!(wait > Duration::from_secs(60 * 29), "{wait:?}");
        assert!(limiters.check(Kind::Login, b).is_ok());
        assert!(limiters.check(Kind::Search, a).is_ok(), "off");
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }
}
