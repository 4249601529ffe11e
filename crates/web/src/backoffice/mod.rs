//! The back office: login and logout, the organisation's services with "confirm still valid",
//! and the coordinator's list of stale services. Every form carries the session's CSRF token
//! (the login form a cookie-bound one) and every POST checks it. Italian and English are
//! complete; other languages fall back to Italian.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use crocevia_core::access::Role;
use crocevia_core::hsds::validate::ExistingRows;
use crocevia_core::hsds::{Origin, Record, SourcedRecord};
use crocevia_i18n::Language;
use crocevia_store::import::{ImportError, Writer, validate_and_apply};
use crocevia_store::{ListQuery, Store};
use serde::Deserialize;

pub mod accounts;
pub mod audit;
pub(crate) mod form;
pub mod import;
pub mod location_editor;
pub mod service_editor;

use crate::AppState;
use crate::auth::{self};
use crate::error::{AppError, ErrorCode};
use crate::kit::{Coordinator, CsrfForm, Denied, Lang, Signed};
use crate::kit::{Page, render};

/// A service not verified for more than this many days is stale (about six months).
pub const STALE_AFTER_DAYS: i64 = 183;

/// One service in a back-office list.
pub struct ServiceRow {
    pub id: String,
    pub name: String,
    pub status: String,
    /// `dd/mm/yyyy`, or empty when never verified.
    pub assured: String,
    pub stale: bool,
    pub confirm_url: String,
}

fn service_row(page: &Page, service: &Record, today: NaiveDate) -> ServiceRow {
    let assured = service
        .text("assured_date")
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let status = match service.text("status").unwrap_or_default() {
        "active" => page.t("bo-status-active"),
        "inactive" => page.t("bo-status-inactive"),
        "defunct" => page.t("bo-status-defunct"),
        "temporarily closed" => page.t("bo-status-temporarily-closed"),
        other => other.to_owned(),
    };
    ServiceRow {
        id: service.id.clone(),
        name: service.text("name").unwrap_or_default().to_owned(),
        status,
        assured: assured
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        stale: assured.is_none_or(|d| (today - d).num_days() > STALE_AFTER_DAYS),
        confirm_url: format!("/{}/backoffice/services/{}/confirm", page.lang, service.id),
    }
}

/// Every row of a table (optionally of one organisation), by id.
async fn all_rows(
    store: &dyn Store,
    table: &str,
    organization_id: Option<&str>,
) -> Result<Vec<Record>, AppError> {
    let mut rows = Vec::new();
    for page in 1.. {
        let found = store
            .list(&ListQuery {
                table: table.into(),
                organization_id: organization_id.map(str::to_owned),
                page,
                per_page: 500,
                ..ListQuery::default()
            })
            .await?;
        let done = found.items.len() < 500;
        rows.extend(found.items);
        if done {
            break;
        }
    }
    Ok(rows)
}

/// What the login page says above the form.
enum LoginProblem {
    None,
    Refused,
    /// Too many failures from this address: wait this many minutes.
    Throttled(u64),
}

#[derive(Template)]
#[template(path = "backoffice_login.html")]
struct LoginTemplate {
    page: Page,
    csrf: String,
    email: String,
    /// Why the last attempt failed, in words; empty on the first showing.
    problem: String,
    /// "Accedi con …" when an OpenID Connect provider is configured, else empty.
    oidc_button: String,
    /// The demo accounts, listed in demo mode only.
    demo_accounts: Vec<DemoAccountRow>,
    demo_password: &'static str,
}

struct DemoAccountRow {
    role: String,
    email: String,
    name: &'static str,
}

fn login_page(
    state: &AppState,
    language: &'static Language,
    status: StatusCode,
    email: String,
    problem: LoginProblem,
) -> Response {
    let csrf = auth::random_token();
    let mut page = Page::new(language, "/login");
    page.title = page.t("bo-login-title");
    let problem = match problem {
        LoginProblem::None => String::new(),
        LoginProblem::Refused => page.t("bo-login-failed"),
        LoginProblem::Throttled(minutes) => page.tn("bo-login-throttled", "minutes", &minutes),
    };
    let oidc_button = state.oidc.as_ref().map_or(String::new(), |o| {
        page.ts("bo-login-oidc", "name", &o.settings.display_name)
    });
    // Demo mode only: who to sign in as, to walk through every role.
    let demo_accounts = if state.config.demo {
        crocevia_core::demo::accounts()
            .into_iter()
            .map(|a| DemoAccountRow {
                role: crocevia_core::access::Role::parse(a.role)
                    .map(|role| accounts::role_label(&page, role))
                    .unwrap_or_default(),
                email: a.email,
                name: a.display_name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut response = (
        status,
        render(&LoginTemplate {
            page,
            csrf: csrf.clone(),
            email,
            problem,
            oidc_button,
            demo_accounts,
            demo_password: crocevia_core::demo::DEMO_PASSWORD,
        }),
    )
        .into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        auth::set_cookie(state, auth::LOGIN_CSRF_COOKIE, &csrf, 3600),
    );
    response
}

/// `GET /{lang}/login`.
pub async fn login_form(
    State(state): State<AppState>,
    Lang(language): Lang,
) -> Result<Response, AppError> {
    Ok(login_page(
        &state,
        language,
        StatusCode::OK,
        String::new(),
        LoginProblem::None,
    ))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// Where a login leads: operators to their desk, everyone else to the back office.
pub fn landing(language: &Language, role: Role) -> String {
    if role == Role::Operator {
        format!("/{}/desk", language.code)
    } else {
        format!("/{}/backoffice", language.code)
    }
}

/// `POST /{lang}/login`: a session and the back office, or the form again with one message
/// for every kind of failure.
pub async fn login(
    State(state): State<AppState>,
    Lang(language): Lang,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let expected = auth::cookie(&headers, auth::LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !auth::same_secret(&form.csrf, expected) {
        return Ok(Denied::Csrf.page(language));
    }
    let now = state.clock.now();
    let client = crate::client::address(&extensions, &headers, &state.config.trusted_proxies);
    let outcome = auth::login(
        state.store.as_ref(),
        &state.login_throttle,
        client,
        now,
        &form.email,
        &form.password,
    )
    .await?;
    let account = match outcome {
        // Demo accounts have a published password: they sign in on a demo server only.
        auth::LoginOutcome::Success(account)
            if state.config.demo || !crocevia_core::demo::is_demo_account(&account.email) =>
        {
            account
        }
        auth::LoginOutcome::Success(_) => {
            return Ok(login_page(
                &state,
                language,
                StatusCode::UNAUTHORIZED,
                form.email,
                LoginProblem::Refused,
            ));
        }
        auth::LoginOutcome::Refused => {
            return Ok(login_page(
                &state,
                language,
                StatusCode::UNAUTHORIZED,
                form.email,
                LoginProblem::Refused,
            ));
        }
        auth::LoginOutcome::Throttled(until) => {
            let seconds = u64::try_from((until - now).num_seconds())
                .unwrap_or(0)
                .max(1);
            let mut response = login_page(
                &state,
                language,
                StatusCode::TOO_MANY_REQUESTS,
                form.email,
                LoginProblem::Throttled(seconds.div_ceil(60)),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
            return Ok(response);
        }
    };
    let token = auth::start_session(state.store.as_ref(), now, &account).await?;
    if account.language != language.code {
        state
            .store
            .set_account_language(&account.id, language.code)
            .await?;
    }
    let mut response = Redirect::to(&landing(language, account.role)).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        auth::set_cookie(
            &state,
            auth::SESSION_COOKIE,
            &token,
            auth::SESSION_LIFETIME.num_seconds(),
        ),
    );
    headers.append(
        header::SET_COOKIE,
        auth::set_cookie(&state, auth::LOGIN_CSRF_COOKIE, "", 0),
    );
    Ok(response)
}

/// `POST /{lang}/logout`: ends the session.
pub async fn logout(
    State(state): State<AppState>,
    Signed { language, user, .. }: Signed,
    _: CsrfForm,
) -> Result<Response, AppError> {
    state.store.delete_session(&user.session.token_hash).await?;
    let mut response = Redirect::to(&format!("/{}/login", language.code)).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        auth::set_cookie(&state, auth::SESSION_COOKIE, "", 0),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "backoffice_services.html")]
struct ServicesTemplate {
    page: Page,
    csrf: String,
    user_name: String,
    organization: String,
    may_edit: bool,
    role: Role,
    /// An organisation's admin reaches the audit log from here (coordinators from the menu).
    may_audit: bool,
    services: Vec<ServiceRow>,
    stale_count: u64,
}

/// `GET /{lang}/backoffice`: the services of the user's organisation.
pub async fn services(
    State(state): State<AppState>,
    Signed { language, user, .. }: Signed,
) -> Result<Response, AppError> {
    let org_id = user.account.organization_id.as_str();
    let mut page = Page::new(language, "/backoffice");
    page.title = page.t("bo-services-title");
    let organization = state
        .store
        .get("organization", org_id)
        .await?
        .and_then(|o| o.text("name").map(str::to_owned))
        .unwrap_or_else(|| org_id.to_owned());
    let today = state.clock.now().date_naive();
    let mut services: Vec<ServiceRow> = all_rows(state.store.as_ref(), "service", Some(org_id))
        .await?
        .iter()
        .filter(|s| s.text("organization_id") == Some(org_id))
        .map(|s| service_row(&page, s, today))
        .collect();
    services.sort_by(|a, b| a.name.cmp(&b.name));
    let stale_count = services.iter().filter(|s| s.stale).count() as u64;
    Ok(render(&ServicesTemplate {
        page,
        csrf: user.session.csrf_token.clone(),
        user_name: user.account.display_name.clone(),
        organization,
        may_edit: user.account.role.may_edit_services(),
        role: user.account.role,
        may_audit: user.account.role == crocevia_core::access::Role::Admin,
        services,
        stale_count,
    }))
}

/// `POST /{lang}/backoffice/services/{id}/confirm`: the service is still valid as of today.
pub async fn confirm(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Signed { language, user, .. }: Signed,
    _: CsrfForm,
) -> Result<Response, AppError> {
    let service = state.store.get("service", &id).await?;
    // Another organisation's service is not even acknowledged.
    let Some(mut service) = service
        .filter(|s| s.text("organization_id") == Some(user.account.organization_id.as_str()))
    else {
        return Ok(Denied::NotFound.page(language));
    };
    if !user.account.role.may_edit_services() {
        return Ok(Denied::Forbidden.page(language));
    }
    let now = state.clock.now();
    service.fields.insert(
        "assured_date".into(),
        now.date_naive().format("%Y-%m-%d").to_string().into(),
    );
    let batch = vec![SourcedRecord {
        record: service,
        origin: Origin {
            file: "backoffice".into(),
            row: 1,
            path: String::new(),
        },
    }];
    let actor = format!("account:{}", user.account.id);
    validate_and_apply(
        state.store.as_ref(),
        batch,
        ExistingRows::Replace,
        Vec::new(),
        Writer::Organization(&user.account.organization_id),
        &actor,
        now,
    )
    .await
    .map_err(|e| match e {
        ImportError::Invalid(problems) => AppError::invalid_data(problems),
        ImportError::Store(e) => e.into(),
        other => AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::Domain(other.code()),
            other.to_string(),
        ),
    })?;
    tracing::info!(account = %user.account.id, service = %id, "service confirmed still valid");
    Ok(Redirect::to(&format!("/{}/backoffice", language.code)).into_response())
}

/// The stale services of one organisation.
pub struct StaleGroup {
    pub organization: String,
    pub services: Vec<ServiceRow>,
}

#[derive(Template)]
#[template(path = "backoffice_stale.html")]
struct StaleTemplate {
    page: Page,
    csrf: String,
    role: Role,
    groups: Vec<StaleGroup>,
}

/// `GET /{lang}/backoffice/stale`: coordinators see every organisation's stale services.
pub async fn stale(
    State(state): State<AppState>,
    Coordinator { language, user, .. }: Coordinator,
) -> Result<Response, AppError> {
    let mut page = Page::new(language, "/backoffice/stale");
    page.title = page.t("bo-stale-title");
    let store = state.store.as_ref();
    let names: BTreeMap<String, String> = all_rows(store, "organization", None)
        .await?
        .into_iter()
        .map(|o| {
            let name = o.text("name").unwrap_or(&o.id).to_owned();
            (o.id, name)
        })
        .collect();
    let today = state.clock.now().date_naive();
    let mut by_org: BTreeMap<String, Vec<ServiceRow>> = BTreeMap::new();
    for service in all_rows(store, "service", None).await? {
        let row = service_row(&page, &service, today);
        if row.stale {
            let org = service.text("organization_id").unwrap_or_default();
            let name = names.get(org).cloned().unwrap_or_else(|| org.to_owned());
            by_org.entry(name).or_default().push(row);
        }
    }
    let groups = by_org
        .into_iter()
        .map(|(organization, mut services)| {
            services.sort_by(|a, b| a.name.cmp(&b.name));
            StaleGroup {
                organization,
                services,
            }
        })
        .collect();
    Ok(render(&StaleTemplate {
        page,
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        groups,
    }))
}
