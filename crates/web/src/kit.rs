//! The HTML kit: what every page is made with ([`Page`], [`render`], a posted form's fields
//! as [`Posted`]) and what every page handler starts from, as extractors: the page's language from the URL
//! ([`Lang`]), the signed-in account whose role the page allows ([`Signed`] and its aliases
//! [`Editor`], [`Admin`], [`DeskUser`], [`Analyst`], [`SurveyManager`], [`Coordinator`]), and
//! a posted form that carried the session's CSRF token ([`CsrfForm`]).
//!
//! A handler names what it needs in its arguments and starts from there; the refusals are
//! answered before it runs, each as a page in the URL's language: an unknown language is a 404
//! (turned into a page by [`crate::html_errors`]), no session a redirect to the login page, a
//! role without the right the "forbidden" page, a form without the token the "csrf" page.

use std::marker::PhantomData;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use crocevia_core::access::Role;
use crocevia_core::desk::audit::Actor;
use crocevia_i18n::{Arg, LANGUAGES, Language, Messages};

use crate::AppState;
use crate::auth::{CurrentUser, SessionCsrf, same_secret};
use crate::error::{AppError, ErrorCode};

/// The language of a page: the URL's first segment (`/ar/…`).
pub fn language_of(parts: &Parts) -> Option<&'static Language> {
    crocevia_i18n::language_of_path(parts.uri.path())
}

/// The language a visitor asked for when the URL names none: the `lang` cookie (an explicit
/// choice), then `Accept-Language`, then the default.
pub fn visitor_language(headers: &axum::http::HeaderMap) -> &'static str {
    let cookie = headers
        .get(axum::http::header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').find_map(|kv| kv.trim().strip_prefix("lang=")));
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    crocevia_i18n::negotiate(cookie, accept)
}

/// The 404 for a URL whose first segment is no language of the portal.
pub fn unknown_language(code: &str) -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::UnknownLanguage,
        format!("no pages in language '{code}'"),
    )
}

/// The page's language, from the URL.
#[derive(Debug, Clone, Copy)]
pub struct Lang(pub &'static Language);

impl<S: Sync> FromRequestParts<S> for Lang {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        language_of(parts).map(Lang).ok_or_else(|| {
            let path = parts.uri.path().trim_start_matches('/');
            unknown_language(path.split('/').next().unwrap_or_default())
        })
    }
}

/// Why a request for a page is refused, shown as the back office's error page in the
/// user's language with its stable code (`data-error-code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The form did not carry the session's CSRF token (403).
    Csrf,
    /// The user's role does not allow it (403).
    Forbidden,
    /// No such record, or one the user may not see: the same answer, so ids reveal nothing
    /// (404).
    NotFound,
}

#[derive(Template)]
#[template(path = "backoffice_error.html")]
struct DeniedTemplate {
    page: Page,
    code: &'static str,
    message: String,
}

impl Denied {
    pub fn code(self) -> &'static str {
        match self {
            Denied::Csrf => "csrf",
            Denied::Forbidden => "forbidden",
            Denied::NotFound => "not_found",
        }
    }

    pub fn page(self, language: &'static Language) -> Response {
        let mut page = Page::new(language, "/backoffice");
        let (status, message) = match self {
            Denied::Csrf => (StatusCode::FORBIDDEN, "bo-error-csrf"),
            Denied::Forbidden => (StatusCode::FORBIDDEN, "bo-error-forbidden"),
            Denied::NotFound => (StatusCode::NOT_FOUND, "bo-error-not-found"),
        };
        let message = page.t(message);
        page.title = page.t("bo-error-title");
        let template = DeniedTemplate {
            page,
            code: self.code(),
            message,
        };
        (status, render(&template)).into_response()
    }
}

/// A right a page asks of the signed-in account's role.
pub trait Permission {
    fn allows(role: Role) -> bool;
}

/// Any signed-in account.
pub struct AnyRole;
/// Editing the organisation's services and locations (admins, editors).
pub struct EditServices;
/// Managing the organisation's accounts (admins).
pub struct ManageAccounts;
/// Importing HSDS packages (admins, editors, coordinators).
pub struct ImportServices;
/// Reading the audit trail (admins, coordinators).
pub struct ReadAudit;
/// The orientation desk (admins, coordinators, operators).
pub struct UseDesk;
/// Reading survey analyses (admins, coordinators, analysts).
pub struct AnalyseSurveys;
/// Publishing and closing surveys (admins, coordinators).
pub struct ManageSurveys;
/// The network's views: overdue referrals, services to review (coordinators).
pub struct ReviewNetwork;

impl Permission for AnyRole {
    fn allows(_: Role) -> bool {
        true
    }
}

macro_rules! permission {
    ($right:ty, $method:ident) => {
        impl Permission for $right {
            fn allows(role: Role) -> bool {
                role.$method()
            }
        }
    };
}

permission!(EditServices, may_edit_services);
permission!(ManageAccounts, may_manage_accounts);
permission!(ImportServices, may_import_services);
permission!(ReadAudit, may_read_audit);
permission!(UseDesk, may_use_desk);
permission!(AnalyseSurveys, may_analyse_surveys);
permission!(ManageSurveys, may_manage_surveys);
permission!(ReviewNetwork, may_review_network);

/// The signed-in account of a page that asks the right `P`, with the page's language.
pub struct Signed<P: Permission = AnyRole> {
    pub language: &'static Language,
    pub user: CurrentUser,
    /// The account acting, as the audit trail records it.
    pub actor: Actor,
    right: PhantomData<P>,
}

pub type Editor = Signed<EditServices>;
pub type Admin = Signed<ManageAccounts>;
pub type DeskUser = Signed<UseDesk>;
pub type Analyst = Signed<AnalyseSurveys>;
pub type SurveyManager = Signed<ManageSurveys>;
pub type Coordinator = Signed<ReviewNetwork>;
pub type Importer = Signed<ImportServices>;
pub type Auditor = Signed<ReadAudit>;

impl<P: Permission> FromRequestParts<AppState> for Signed<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Lang(language) = Lang::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if !P::allows(user.account.role) {
            return Err(Denied::Forbidden.page(language));
        }
        Ok(Signed {
            language,
            actor: crate::audit_trail::account_actor(&user.account),
            user,
            right: PhantomData,
        })
    }
}

/// A posted form (`application/x-www-form-urlencoded`) that carried the session's CSRF token.
/// The session is the one a user extractor before it read; without one, it reads it itself.
pub struct CsrfForm(pub Posted);

impl FromRequest<AppState> for CsrfForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Lang(language) = Lang::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let token = match parts.extensions.get::<SessionCsrf>() {
            Some(SessionCsrf(token)) => token.clone(),
            None => {
                CurrentUser::from_request_parts(&mut parts, state)
                    .await?
                    .session
                    .csrf_token
            }
        };
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let posted = Posted::parse(&body);
        if same_secret(&posted.get("csrf"), &token) {
            Ok(CsrfForm(posted))
        } else {
            Err(Denied::Csrf.page(language))
        }
    }
}

/// What every page needs: its language, direction, messages and where it is.
pub struct Page {
    pub lang: &'static str,
    pub dir: &'static str,
    messages: &'static Messages,
    /// The path without the language prefix (`/search?q=…`), for the language switcher.
    pub path_rest: String,
    pub title: String,
}

impl Page {
    pub(crate) fn new(lang: &'static Language, path_rest: impl Into<String>) -> Self {
        Page {
            lang: lang.code,
            dir: crocevia_i18n::direction(lang.code),
            messages: messages(),
            path_rest: path_rest.into(),
            title: String::new(),
        }
    }

    /// A message in the page's language.
    pub fn t(&self, id: &str) -> String {
        self.messages.get(self.lang, id, &[])
    }

    /// A message with one numeric argument (`count`, …).
    pub fn tn(&self, id: &str, name: &str, value: &u64) -> String {
        self.messages
            .get(self.lang, id, &[(name, Arg::Number(*value as f64))])
    }

    /// A message with one text argument.
    pub fn ts(&self, id: &str, name: &str, value: &str) -> String {
        self.messages
            .get(self.lang, id, &[(name, Arg::Text(value))])
    }

    /// A message with several text arguments.
    pub fn ta(&self, id: &str, args: &[(&str, &str)]) -> String {
        let args: Vec<(&str, Arg)> = args.iter().map(|&(n, v)| (n, Arg::Text(v))).collect();
        self.messages.get(self.lang, id, &args)
    }

    pub fn languages(&self) -> &'static [Language] {
        LANGUAGES
    }

    /// `/xx/…` for the same page in another language.
    pub fn url_in(&self, code: &str) -> String {
        format!("/{code}{}", self.path_rest)
    }

    /// The URL of a static file, versioned so browsers refetch it after an upgrade.
    pub fn asset(&self, path: &str) -> String {
        crate::assets::url(path)
    }

    pub fn href(&self, rest: &str) -> String {
        format!("/{}{rest}", self.lang)
    }
}

/// The messages, parsed once per process.
pub use crocevia_i18n::messages;

pub(crate) fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be shown",
            )
                .into_response()
        }
    }
}

/// The fields of a posted form, in order.
pub struct Posted(Vec<(String, String)>);

impl Posted {
    pub fn parse(body: &[u8]) -> Self {
        Posted(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> String {
        self.untrimmed(name).trim().to_owned()
    }

    /// The first value of `name` as sent (a password's spaces are part of it); empty when
    /// absent.
    pub fn untrimmed(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every non-empty value of `name` (a group of checkboxes), trimmed.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}
