//! Unmet search demand on the web (the use case is `crocevia_app::search_demand`): the
//! portal's search page counts its searches, the service page counts a result opened from a
//! search page (its `Referer`), [`run`] writes them every few seconds, and coordinators read
//! them at `/{lang}/backoffice/search-demand`.

use std::net::IpAddr;
use std::time::Duration as StdDuration;

use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri, header};
use axum::response::Response;
use crocevia_app::search_demand::{Visitor, week_start};
use crocevia_core::access::Role;
use serde::Deserialize;

use crate::AppState;
use crate::error::AppError;
use crate::kit::{Coordinator, Page, render};

/// How often the counts gathered in memory are written.
pub const FLUSH_INTERVAL: StdDuration = StdDuration::from_secs(15);
/// Queries the coordinators' page lists.
const QUERIES_SHOWN: u32 = 100;
/// The periods the page offers, in weeks.
const PERIODS: [u32; 4] = [4, 12, 26, 52];

/// The browser asking, as far as counting distinct visitors needs (hashed, never stored).
pub struct Browser {
    address: Option<IpAddr>,
    user_agent: String,
}

impl Browser {
    fn visitor(&self) -> Visitor<'_> {
        Visitor {
            address: self.address,
            user_agent: &self.user_agent,
        }
    }
}

impl FromRequestParts<AppState> for Browser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        Ok(Browser {
            address: crate::client::address(
                &parts.extensions,
                &parts.headers,
                &state.config.trusted_proxies,
            ),
            // Enough to tell browsers apart; a longer header is no more telling.
            user_agent: user_agent.chars().take(256).collect(),
        })
    }
}

/// Counts a portal search; a failure is logged, never shown to the person searching.
pub async fn searched(state: &AppState, browser: &Browser, language: &str, text: &str, found: u64) {
    let counted = state
        .search_demand
        .searched(
            state.store.as_ref(),
            state.clock.now(),
            language,
            text,
            found,
            &browser.visitor(),
        )
        .await;
    if let Err(e) = counted {
        tracing::warn!(error = %e, "a search could not be counted in the unmet search demand");
    }
}

/// Counts a result opened when the page was reached from a portal search page.
pub async fn opened_from(state: &AppState, browser: &Browser, headers: &HeaderMap) {
    let Some((language, text)) = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(search_of)
    else {
        return;
    };
    let counted = state
        .search_demand
        .opened(
            state.store.as_ref(),
            state.clock.now(),
            language,
            &text,
            &browser.visitor(),
        )
        .await;
    if let Err(e) = counted {
        tracing::warn!(error = %e, "an opened result could not be counted in the unmet search demand");
    }
}

/// The language and text of a portal search page's URL (`…/ar/search?q=…`).
fn search_of(referer: &str) -> Option<(&'static str, String)> {
    let uri: Uri = referer.parse().ok()?;
    let mut segments = uri.path().trim_start_matches('/').split('/');
    let language = crocevia_i18n::language(segments.next()?)?;
    if segments.next()? != "search" || segments.next().is_some() {
        return None;
    }
    let text = form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(name, _)| name == "q")
        .map(|(_, value)| value.into_owned())?;
    Some((language.code, text))
}

/// Writes the gathered counts every [`FLUSH_INTERVAL`] until the task is dropped; the server
/// flushes once more when it stops.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(FLUSH_INTERVAL);
    loop {
        tick.tick().await;
        flush(&state).await;
    }
}

/// Writes what was gathered; a failure is logged and the counts wait for the next flush.
pub async fn flush(state: &AppState) {
    match state
        .search_demand
        .flush(state.store.as_ref(), state.clock.now())
        .await
    {
        Ok(flushed) if flushed.dropped > 0 => tracing::warn!(
            dropped = flushed.dropped,
            "searches not counted: more arrived between two flushes than the buffer holds"
        ),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "unmet search demand: writing the counts failed; will retry")
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct DemandParams {
    #[serde(default)]
    weeks: Option<u32>,
}

struct WeekRow {
    week: String,
    /// Its Monday, as the page shows it.
    week_start: String,
    code: String,
    language: String,
    searches: u64,
    empty_searches: u64,
    empty_share: String,
    unopened_share: String,
}

struct QueryRow {
    query: String,
    code: String,
    language: String,
    /// `rtl` or `ltr`: the query is shown in its own direction.
    direction: &'static str,
    visitors: u64,
    unopened: u64,
    empty_searches: u64,
    searches: u64,
    search_url: String,
}

#[derive(Template)]
#[template(path = "backoffice_search_demand.html")]
struct DemandTemplate {
    page: Page,
    csrf: String,
    role: Role,
    periods: Vec<(u64, bool)>,
    weeks: Vec<WeekRow>,
    queries: Vec<QueryRow>,
    threshold_note: String,
}

/// A share as a whole percentage, `–` of nothing.
fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".into();
    }
    format!("{}%", (part * 100 + whole / 2) / whole)
}

/// `GET /{lang}/backoffice/search-demand`: for coordinators, what the portal's visitors
/// searched for and did not find, per week and language, and the queries typed by enough
/// different visitors, those who opened nothing first.
pub async fn page(
    State(state): State<AppState>,
    Coordinator { language, user, .. }: Coordinator,
    Query(params): Query<DemandParams>,
) -> Result<Response, AppError> {
    let weeks = params
        .weeks
        .filter(|w| PERIODS.contains(w))
        .unwrap_or(PERIODS[0]);
    let mut page = Page::new(language, format!("/backoffice/search-demand?weeks={weeks}"));
    page.title = page.t("sd-title");
    let report = state
        .search_demand
        .report(
            state.store.as_ref(),
            state.clock.now(),
            weeks,
            QUERIES_SHOWN,
        )
        .await?;
    // Searches are counted in the portal's languages only.
    let language_name = |code: &str| {
        crocevia_i18n::language(code).map_or_else(|| code.to_owned(), |l| l.native_name.to_owned())
    };
    let week_rows = report
        .weeks
        .iter()
        .map(|w| WeekRow {
            week_start: week_start(&w.week)
                .map_or_else(|| w.week.clone(), |d| d.format("%d/%m/%Y").to_string()),
            week: w.week.clone(),
            code: w.language.clone(),
            language: language_name(&w.language),
            searches: w.searches,
            empty_searches: w.empty_searches,
            empty_share: percent(w.empty_searches, w.searches),
            unopened_share: percent(w.visitors - w.visitors_clicked.min(w.visitors), w.visitors),
        })
        .collect();
    let queries = report
        .queries
        .iter()
        .map(|q| QueryRow {
            search_url: format!(
                "/{}/search?{}",
                q.language,
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("q", &q.query)
                    .finish()
            ),
            query: q.query.clone(),
            direction: crocevia_i18n::direction(&q.language),
            code: q.language.clone(),
            language: language_name(&q.language),
            visitors: q.visitors,
            unopened: q.visitors - q.visitors_clicked.min(q.visitors),
            empty_searches: q.empty_searches,
            searches: q.searches,
        })
        .collect();
    let threshold_note = page.tn("sd-threshold", "count", &report.min_visitors);
    Ok(render(&DemandTemplate {
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        periods: PERIODS
            .iter()
            .map(|&p| (u64::from(p), p == weeks))
            .collect(),
        weeks: week_rows,
        queries,
        threshold_note,
        page,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_page_names_its_language_and_text() {
        assert_eq!(
            search_of(
                "http://localhost:8080/ar/search?comune=&q=%D8%B7%D8%A8%D9%8A%D8%A8+ok&page=2"
            ),
            Some(("ar", "طبيب ok".to_owned()))
        );
        assert_eq!(search_of("https://x.example/it/search?need=health"), None);
        assert_eq!(search_of("https://x.example/it/services/1?q=a"), None);
        assert_eq!(search_of("https://x.example/xx/search?q=a"), None);
        assert_eq!(search_of("not a url"), None);
    }

    #[test]
    fn shares_are_rounded_percentages() {
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(2, 3), "67%");
        assert_eq!(percent(0, 0), "–");
    }
}
