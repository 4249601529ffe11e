//! The public portal: server-rendered pages in the visitor's language (`/{lang}/…`), working
//! without JavaScript. Service content shows in the visitor's language where a translation
//! exists, else in Italian with a note saying so.

mod views;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use crocevia_core::hsds::nested::RecordIndex;
use crocevia_core::hsds::views::redact_for_public;
use crocevia_core::taxonomy;
use crocevia_search::SearchQuery;
use crocevia_search::understanding::Emergency;
use crocevia_store::{ListQuery, load_nested};
use serde::Deserialize;

use crate::AppState;
use crate::error::AppError;
use crate::kit::Lang;
use crate::search_demand::{self, Browser};
pub use views::{NeedCard, ServiceCard, ServiceView, language_name};

use crate::kit::{Page, render};

/// `/`: to the visitor's language, from the cookie or `Accept-Language`.
pub async fn root(headers: HeaderMap) -> Redirect {
    Redirect::to(&format!("/{}/", crate::kit::visitor_language(&headers)))
}

/// Remembers a language the visitor chose explicitly, then shows the page.
fn with_language_cookie(lang: &str, response: Response) -> Response {
    let mut response = response;
    if let Ok(value) = format!("lang={lang}; Path=/; Max-Age=31536000; SameSite=Lax").parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTemplate {
    page: Page,
    needs: Vec<NeedCard>,
    services_total: u64,
}

pub async fn home(
    State(state): State<AppState>,
    Lang(language): Lang,
) -> Result<Response, AppError> {
    let mut page = Page::new(language, "/");
    page.title = page.t("portal-home-title");
    let total = state
        .store
        .list(&ListQuery {
            table: "service".into(),
            page: 1,
            per_page: 1,
            ..ListQuery::default()
        })
        .await?
        .total_items;
    let needs = views::top_needs(language.code);
    Ok(with_language_cookie(
        language.code,
        render(&HomeTemplate {
            page,
            needs,
            services_total: total,
        }),
    ))
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SearchParams {
    q: String,
    need: String,
    comune: String,
    language: String,
    free: bool,
    open_now: bool,
    /// Search the words as typed, without typo correction.
    verbatim: bool,
    page: Option<u32>,
}

impl SearchParams {
    /// The query string of these parameters on another page.
    fn query_string(&self, page: u32) -> String {
        let mut parts = vec![
            format!("q={}", views::url_encode(&self.q)),
            format!("need={}", views::url_encode(&self.need)),
            format!("comune={}", views::url_encode(&self.comune)),
            format!("language={}", views::url_encode(&self.language)),
        ];
        if self.free {
            parts.push("free=true".into());
        }
        if self.open_now {
            parts.push("open_now=true".into());
        }
        if self.verbatim {
            parts.push("verbatim=true".into());
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        parts.join("&")
    }
}

/// A value to filter by, with how many results have it.
pub struct FacetOption {
    pub value: String,
    pub label: String,
    pub count: u64,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchTemplate {
    page: Page,
    params: SearchParams,
    needs: Vec<FacetOption>,
    comuni: Vec<FacetOption>,
    languages: Vec<FacetOption>,
    results: Vec<ServiceCard>,
    total: u64,
    corrections: Vec<(String, String)>,
    /// The same search without corrections, when there were some.
    verbatim_url: Option<String>,
    /// Emergency numbers for the urgent needs the text names.
    emergencies: Vec<EmergencyNotice>,
    /// The text was beyond the limit and only its beginning was searched.
    shortened: bool,
    max_query_chars: u64,
    page_number: u32,
    total_pages: u32,
    prev_url: Option<String>,
    next_url: Option<String>,
    map_points: String,
}

/// What to tell a person whose search names an urgent need: a message and the numbers to
/// call (shown, and dialled through `tel:` links).
pub struct EmergencyNotice {
    pub message: &'static str,
    /// (as shown, as dialled)
    pub numbers: &'static [(&'static str, &'static str)],
}

impl EmergencyNotice {
    fn of(emergency: Emergency) -> Self {
        let (message, numbers): (&str, &[(&str, &str)]) = match emergency {
            Emergency::Violence => (
                "portal-emergency-violence",
                &[("1522", "1522"), ("112", "112")],
            ),
            Emergency::Health => ("portal-emergency-health", &[("118", "118"), ("112", "112")]),
            Emergency::Shelter => ("portal-emergency-shelter", &[("112", "112")]),
            Emergency::Trafficking => (
                "portal-emergency-trafficking",
                &[("800 290 290", "800290290"), ("112", "112")],
            ),
        };
        EmergencyNotice { message, numbers }
    }
}

const RESULTS_PER_PAGE: u32 = 20;

pub async fn search(
    State(state): State<AppState>,
    Lang(language): Lang,
    browser: Browser,
    Query(params): Query<SearchParams>,
) -> Result<Response, AppError> {
    let page_number = params.page.unwrap_or(1).max(1);
    let need = params.need.trim();
    // A person who pasted too much still gets results, for the beginning, and is told so
    // (the API refuses instead: a program can shorten its own text).
    let text = params.q.trim();
    let shortened = crocevia_search::query::check_text(text).is_err();
    let text = crocevia_search::query::bounded_text(text);
    let query = SearchQuery {
        text: Some(text.to_owned()).filter(|q| !q.is_empty()),
        language: Some(language.code.to_owned()),
        categories: taxonomy::term(need)
            .map(|t| vec![t.code.clone()])
            .unwrap_or_default(),
        comune: Some(params.comune.trim().to_owned()).filter(|c| !c.is_empty()),
        spoken_language: Some(params.language.trim().to_owned()).filter(|l| !l.is_empty()),
        free_only: params.free,
        open_now: params.open_now,
        offset: ((page_number - 1) * RESULTS_PER_PAGE) as usize,
        limit: RESULTS_PER_PAGE as usize,
        facet_limit: Some(crocevia_search::query::DEFAULT_FACET_LIMIT),
        verbatim: params.verbatim,
        ..SearchQuery::default()
    };
    let found = crate::search_api::run(&state, &query).await?;
    if page_number == 1 {
        search_demand::searched(&state, &browser, language.code, text, found.total).await;
    }
    let ids: Vec<String> = found.hits.iter().map(|h| h.id.clone()).collect();
    let services = state.store.get_many(Some("service"), &ids).await?;
    let mut rows = load_nested(state.store.as_ref(), services.clone()).await?;
    redact_for_public(&mut rows);
    let index = RecordIndex::new(&rows);
    let results: Vec<ServiceCard> = found
        .hits
        .iter()
        .filter_map(|hit| {
            let service = index.get("service", &hit.id)?;
            Some(views::service_card(service, &index, language.code, hit))
        })
        .collect();
    let total_pages = found.total.div_ceil(u64::from(RESULTS_PER_PAGE)).max(1) as u32;
    let link = |p: u32| format!("/{}/search?{}", language.code, params.query_string(p));
    let prev_url = (page_number > 1).then(|| link(page_number - 1));
    let next_url = (page_number < total_pages).then(|| link(page_number + 1));
    let mut page = Page::new(
        language,
        format!("/search?{}", params.query_string(page_number)),
    );
    page.title = page.t("portal-search-title");
    let territories = state.search.territories();
    let needs = views::top_needs(language.code)
        .into_iter()
        .map(|n| FacetOption {
            count: found
                .facets
                .categories
                .iter()
                .find(|(c, _)| *c == n.code)
                .map_or(0, |(_, k)| *k),
            value: n.code,
            label: n.name,
        })
        .collect();
    let mut comuni: Vec<FacetOption> = found
        .facets
        .comuni
        .iter()
        .filter_map(|(code, count)| {
            territories.comune(code).map(|c| FacetOption {
                value: code.clone(),
                label: c.name.clone(),
                count: *count,
            })
        })
        .collect();
    // A filter that found nothing stays chosen (with its 0), so the visitor sees why.
    let chosen_comune = params.comune.trim();
    if !comuni.iter().any(|c| c.value == chosen_comune)
        && let Some(c) = territories.comune(chosen_comune)
    {
        comuni.push(FacetOption {
            value: chosen_comune.to_owned(),
            label: c.name.clone(),
            count: 0,
        });
    }
    comuni.sort_by(|a, b| a.label.cmp(&b.label));
    let mut languages: Vec<FacetOption> = found
        .facets
        .languages
        .iter()
        .map(|(code, count)| FacetOption {
            value: code.clone(),
            label: views::language_name(code),
            count: *count,
        })
        .collect();
    let chosen_language = params.language.trim();
    if !chosen_language.is_empty() && !languages.iter().any(|l| l.value == chosen_language) {
        languages.push(FacetOption {
            value: chosen_language.to_owned(),
            label: views::language_name(chosen_language),
            count: 0,
        });
    }
    let map_points = views::map_points(&results);
    Ok(render(&SearchTemplate {
        needs,
        comuni,
        languages,
        total: found.total,
        corrections: found.interpretation.corrections.clone(),
        verbatim_url: (!found.interpretation.corrections.is_empty()).then(|| {
            let verbatim = SearchParams {
                verbatim: true,
                ..params.clone()
            };
            format!("/{}/search?{}", language.code, verbatim.query_string(1))
        }),
        emergencies: found
            .interpretation
            .emergencies
            .iter()
            .map(|e| EmergencyNotice::of(*e))
            .collect(),
        shortened,
        max_query_chars: crocevia_search::query::MAX_QUERY_CHARS as u64,
        page_number,
        total_pages,
        prev_url,
        next_url,
        results,
        map_points,
        page,
        params,
    }))
}

#[derive(Template)]
#[template(path = "service.html")]
struct ServiceTemplate {
    page: Page,
    service: ServiceView,
    map_points: String,
}

pub async fn service(
    State(state): State<AppState>,
    Lang(language): Lang,
    browser: Browser,
    headers: HeaderMap,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let record = state
        .store
        .get("service", &id)
        .await?
        .ok_or_else(|| AppError::not_found("service", &id))?;
    search_demand::opened_from(&state, &browser, &headers).await;
    let mut rows = load_nested(state.store.as_ref(), vec![record.clone()]).await?;
    redact_for_public(&mut rows);
    let index = RecordIndex::new(&rows);
    let view = views::service_view(&record, &index, language.code, state.clock.now());
    let mut page = Page::new(language, format!("/services/{id}"));
    page.title = view.name.clone();
    let map_points = views::locations_map_points(&view);
    Ok(render(&ServiceTemplate {
        page,
        service: view,
        map_points,
    }))
}

#[derive(Template)]
#[template(path = "credits.html")]
struct CreditsTemplate {
    page: Page,
    sources: Vec<(String, String, String, String)>,
}

pub async fn credits(Lang(language): Lang) -> Result<Response, AppError> {
    let mut page = Page::new(language, "/credits");
    page.title = page.t("portal-credits-title");
    let credits = crate::ops::credits();
    let sources = credits["sources"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|s| {
                    let text = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
                    (text("name"), text("by"), text("licence"), text("url"))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(render(&CreditsTemplate { page, sources }))
}

/// The language switcher posts here when JavaScript is off; it sets the cookie and goes back.
#[derive(Deserialize)]
pub struct LanguageChoice {
    lang: String,
    #[serde(default)]
    rest: String,
}

pub async fn choose_language(Form(choice): Form<LanguageChoice>) -> Result<Response, AppError> {
    let language = crocevia_i18n::language(&choice.lang)
        .ok_or_else(|| crate::kit::unknown_language(&choice.lang))?;
    let rest = if choice.rest.starts_with('/') && !choice.rest.starts_with("//") {
        choice.rest
    } else {
        "/".to_owned()
    };
    Ok(with_language_cookie(
        language.code,
        Redirect::to(&format!("/{}{rest}", language.code)).into_response(),
    ))
}
