//! What every HTML page handler starts from, as extractors: the page's language from the URL
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
use axum::response::{IntoResponse, Response};
use crocevia_core::access::Role;
use crocevia_core::desk::audit::Actor;
use crocevia_i18n::Language;

use crate::AppState;
use crate::auth::{CurrentUser, SessionCsrf, same_secret};
use crate::backoffice::form::Posted;
use crate::error::{AppError, ErrorCode};
use crate::portal::{Page, render};

/// The language of a page: the URL's first segment (`/ar/…`).
pub fn language_of(parts: &Parts) -> Option<&'static Language> {
    first_segment(parts).and_then(crocevia_i18n::language)
}

fn first_segment(parts: &Parts) -> Option<&str> {
    parts.uri.path().trim_start_matches('/').split('/').next()
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
        language_of(parts)
            .map(Lang)
            .ok_or_else(|| unknown_language(first_segment(parts).unwrap_or_default()))
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
            actor: crate::desk::actor(&user),
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
