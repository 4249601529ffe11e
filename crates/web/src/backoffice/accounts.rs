//! People and passwords. An organisation's admin adds people to it and resets their
//! passwords: a new random password is shown once, to be handed over, and every session of
//! the account ends. Everyone changes their own password (after a reset, that is the first
//! thing to do).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crocevia_core::access::Role;
use crocevia_core::desk::audit::AuditAction;
use crocevia_i18n::Language;
use crocevia_store::{Account, StoreError};

use super::form::{Errors, FieldError};
use crate::AppState;
use crate::auth::{self, AccountError, CurrentUser};
use crate::error::{AppError, ErrorCode};
use crate::kit::{Admin, CsrfForm, Denied, Signed};
use crate::kit::{Page, render};

pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub locked: bool,
    /// Whether the viewer may reset this person's password (not their own, not a role
    /// above what they could grant).
    pub may_reset: bool,
}

pub struct RoleChoice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "backoffice_accounts.html")]
struct AccountsTemplate {
    page: Page,
    csrf: String,
    role: Role,
    accounts: Vec<AccountRow>,
    roles: Vec<RoleChoice>,
    /// The new form's values after a mistake.
    name: String,
    email: String,
    errors: Vec<FieldError>,
    name_error: String,
    email_error: String,
    /// A password just made: for whom, and the password, shown this once.
    issued_for: String,
    issued_password: String,
}

pub(crate) fn role_label(page: &Page, role: Role) -> String {
    match role {
        Role::Admin => page.t("ac-role-admin"),
        Role::Coordinator => page.t("ac-role-coordinator"),
        Role::Editor => page.t("ac-role-editor"),
        Role::Operator => page.t("ac-role-operator"),
        Role::Analyst => page.t("ac-role-analyst"),
    }
}

/// A password to hand over: 16 letters and digits from the OS generator, without look-alikes
/// (no 0/o, 1/l/i), in groups of four so it can be read out.
fn temporary_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

struct Outcome {
    name: String,
    email: String,
    role: Role,
    errors: Errors,
    issued: Option<(String, String)>,
}

impl Default for Outcome {
    fn default() -> Self {
        Outcome {
            name: String::new(),
            email: String::new(),
            role: Role::Editor,
            errors: Errors::default(),
            issued: None,
        }
    }
}

async fn accounts_page(
    state: &AppState,
    language: &'static Language,
    user: &CurrentUser,
    status: StatusCode,
    outcome: Outcome,
) -> Result<Response, AppError> {
    let mut page = Page::new(language, "/backoffice/accounts");
    page.title = page.t("ac-title");
    let now = state.clock.now();
    let accounts = state
        .store
        .accounts_of(&user.account.organization_id)
        .await?
        .into_iter()
        .map(|a: Account| AccountRow {
            role: role_label(&page, a.role),
            locked: a.locked_until.is_some_and(|until| until > now),
            may_reset: a.id != user.account.id && user.account.role.may_manage(a.role),
            id: a.id,
            name: a.display_name,
            email: a.email,
        })
        .collect();
    let roles = Role::ALL
        .into_iter()
        .filter(|r| r.grantable_by_admin())
        .map(|r| RoleChoice {
            value: r.as_str(),
            label: role_label(&page, r),
            selected: r == outcome.role,
        })
        .collect();
    let (issued_for, issued_password) = outcome.issued.unwrap_or_default();
    let template = AccountsTemplate {
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        accounts,
        roles,
        name: outcome.name,
        email: outcome.email,
        name_error: outcome.errors.of("name"),
        email_error: outcome.errors.of("email"),
        errors: outcome.errors.0,
        issued_for,
        issued_password,
        page,
    };
    Ok((status, render(&template)).into_response())
}

/// `GET /{lang}/backoffice/accounts`: the organisation's people (admins).
pub async fn list(
    State(state): State<AppState>,
    Admin { language, user, .. }: Admin,
) -> Result<Response, AppError> {
    accounts_page(&state, language, &user, StatusCode::OK, Outcome::default()).await
}

/// `POST /{lang}/backoffice/accounts`: adds a person with a temporary password.
pub async fn create(
    State(state): State<AppState>,
    Admin { language, user, .. }: Admin,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    let page = Page::new(language, "/backoffice/accounts");
    let mut outcome = Outcome {
        name: posted.get("name"),
        email: posted.get("email"),
        role: Role::parse(&posted.get("role"))
            .filter(|r| r.grantable_by_admin())
            .unwrap_or(Role::Editor),
        ..Outcome::default()
    };
    if outcome.name.is_empty() {
        outcome.errors.add("name", page.t("ed-error-required"));
    }
    if !outcome.errors.is_empty() {
        return accounts_page(
            &state,
            language,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            outcome,
        )
        .await;
    }
    let password = temporary_password();
    let created = auth::create_account(
        state.store.as_ref(),
        state.clock.now(),
        &user.account.organization_id,
        &outcome.email,
        &outcome.name,
        outcome.role.as_str(),
        &password,
    )
    .await;
    match created {
        Ok(account) => {
            tracing::info!(admin = %user.account.id, account = %account.id, role = %account.role, "account created in the back office");
            outcome = Outcome {
                issued: Some((account.email, password)),
                ..Outcome::default()
            };
            accounts_page(&state, language, &user, StatusCode::OK, outcome).await
        }
        Err(AccountError::BadEmail(_)) => {
            outcome.errors.add("email", page.t("ed-error-email"));
            accounts_page(
                &state,
                language,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                outcome,
            )
            .await
        }
        Err(AccountError::Store(StoreError::AlreadyExists(_))) => {
            outcome.errors.add("email", page.t("ac-error-email-taken"));
            accounts_page(
                &state,
                language,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                outcome,
            )
            .await
        }
        Err(AccountError::Store(e)) => Err(e.into()),
        Err(e) => Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidAccount,
            e.to_string(),
        )),
    }
}

/// `POST /{lang}/backoffice/accounts/{id}/reset`: a new password for a person of the
/// admin's organisation, shown once; their sessions end.
pub async fn reset(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Admin { language, user, .. }: Admin,
    _: CsrfForm,
) -> Result<Response, AppError> {
    let Some(account) = state
        .store
        .account(&id)
        .await?
        .filter(|a| a.organization_id == user.account.organization_id)
    else {
        return Ok(Denied::NotFound.page(language));
    };
    if !user.account.role.may_manage(account.role) {
        tracing::warn!(admin = %user.account.id, account = %account.id, role = %account.role, "password reset refused: the account's role is above what the admin may grant");
        return Ok(Denied::Forbidden.page(language));
    }
    let password = temporary_password();
    crate::audit_trail::record(
        state.store.as_ref(),
        state.clock.now(),
        crate::audit_trail::account_actor(&user.account),
        AuditAction::PasswordReset,
        crate::audit_trail::ACCOUNT,
        &account.id,
        "by an admin",
    )
    .await?;
    state
        .store
        .set_password_hash(&account.id, &auth::hash_password(&password))
        .await?;
    tracing::info!(admin = %user.account.id, account = %account.id, "password reset by an admin");
    let outcome = Outcome {
        issued: Some((account.email, password)),
        ..Outcome::default()
    };
    accounts_page(&state, language, &user, StatusCode::OK, outcome).await
}

#[derive(Template)]
#[template(path = "backoffice_password.html")]
struct PasswordTemplate {
    page: Page,
    csrf: String,
    role: Role,
    errors: Vec<FieldError>,
    current_error: String,
    new_error: String,
    changed: bool,
}

fn password_page(
    language: &'static Language,
    user: &CurrentUser,
    status: StatusCode,
    errors: Errors,
    changed: bool,
) -> Response {
    let mut page = Page::new(language, "/backoffice/password");
    page.title = page.t("ac-password-title");
    let template = PasswordTemplate {
        page,
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        current_error: errors.of("current"),
        new_error: errors.of("new"),
        errors: errors.0,
        changed,
    };
    (status, render(&template)).into_response()
}

/// `GET /{lang}/backoffice/password`.
pub async fn password_form(Signed { language, user, .. }: Signed) -> Result<Response, AppError> {
    Ok(password_page(
        language,
        &user,
        StatusCode::OK,
        Errors::default(),
        false,
    ))
}

/// `POST /{lang}/backoffice/password`: the current password, then the new one twice. Other
/// sessions of the account end; this one goes on.
pub async fn change_password(
    State(state): State<AppState>,
    Signed { language, user, .. }: Signed,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    let page = Page::new(language, "/backoffice/password");
    let mut errors = Errors::default();
    // Not trimmed: spaces may be part of a password.
    let (current, new, repeat) = (
        posted.untrimmed("current"),
        posted.untrimmed("new"),
        posted.untrimmed("repeat"),
    );
    if !auth::verify_password(&current, &user.account.password_hash) {
        errors.add("current", page.t("ac-error-current"));
    }
    if new.chars().count() < auth::MIN_PASSWORD_CHARS {
        errors.add(
            "new",
            page.tn(
                "ac-error-short",
                "count",
                &(auth::MIN_PASSWORD_CHARS as u64),
            ),
        );
    } else if new != repeat {
        errors.add("new", page.t("ac-error-repeat"));
    }
    if !errors.is_empty() {
        return Ok(password_page(
            language,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            false,
        ));
    }
    state
        .store
        .set_password_hash(&user.account.id, &auth::hash_password(&new))
        .await?;
    // Setting the hash ended every session; this person stays signed in here.
    state.store.insert_session(&user.session).await?;
    tracing::info!(account = %user.account.id, "password changed");
    Ok(password_page(
        language,
        &user,
        StatusCode::OK,
        Errors::default(),
        true,
    ))
}
