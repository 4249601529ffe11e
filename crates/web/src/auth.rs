//! Back-office authentication: argon2id passwords, login with lock-out, server-side sessions
//! in an HttpOnly cookie, CSRF tokens, and the [`CurrentUser`] extractor.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use crocevia_core::access::{Role, normalize_email};
use crocevia_store::{Account, Session, Store, StoreError};

use crate::AppState;
use crate::write_api::token_hash;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "crocevia_session";
/// The cookie holding the login form's CSRF token (before there is a session).
pub const LOGIN_CSRF_COOKIE: &str = "crocevia_login_csrf";
/// Failed logins in a row that lock an account.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// How long a lock-out lasts.
pub const LOCK_OUT: Duration = Duration::minutes(15);
/// How long a session lasts.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The argon2id PHC string of a password (default parameters, random salt).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
        .expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password with default parameters")
        .to_string()
}

/// Whether `password` matches the PHC string (argon2 compares in constant time).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A hash no password is tried against successfully on purpose: verifying against it when the
/// e-mail is unknown makes a failed login take as long whether or not the account exists.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&uuid::Uuid::new_v4().to_string()))
}

/// A random secret: 256 bits from the OS generator (through UUID v4), hex.
pub fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Compares two secrets without stopping at the first difference.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("unknown role '{0}': use admin, coordinator, editor, operator or analyst")]
    UnknownRole(String),
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("'{0}' is not an e-mail address")]
    BadEmail(String),
    #[error("no organisation with id {0}")]
    UnknownOrganization(String),
    #[error("no account with e-mail {0}")]
    UnknownAccount(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn check_password(password: &str) -> Result<(), AccountError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::WeakPassword);
    }
    Ok(())
}

/// Creates an account of an existing organisation.
pub async fn create_account(
    store: &dyn Store,
    now: DateTime<Utc>,
    organization_id: &str,
    email: &str,
    display_name: &str,
    role: &str,
    password: &str,
) -> Result<Account, AccountError> {
    let role = Role::parse(role).ok_or_else(|| AccountError::UnknownRole(role.to_owned()))?;
    let email = normalize_email(email);
    if !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(AccountError::BadEmail(email));
    }
    check_password(password)?;
    if store.get("organization", organization_id).await?.is_none() {
        return Err(AccountError::UnknownOrganization(
            organization_id.to_owned(),
        ));
    }
    let account = Account {
        id: uuid::Uuid::new_v4().to_string(),
        organization_id: organization_id.to_owned(),
        display_name: if display_name.trim().is_empty() {
            email.clone()
        } else {
            display_name.trim().to_owned()
        },
        email,
        role,
        password_hash: hash_password(password),
        failed_logins: 0,
        locked_until: None,
        created_at: now,
        language: crocevia_i18n::DEFAULT_LANGUAGE.to_owned(),
    };
    store.insert_account(&account).await?;
    Ok(account)
}

/// Sets a new password (an administrator's reset); ends the account's sessions and lock.
pub async fn reset_password(
    store: &dyn Store,
    email: &str,
    password: &str,
) -> Result<(), AccountError> {
    check_password(password)?;
    let email = normalize_email(email);
    let account = store
        .account_by_email(&email)
        .await?
        .ok_or(AccountError::UnknownAccount(email))?;
    store
        .set_password_hash(&account.id, &hash_password(password))
        .await?;
    Ok(())
}

/// Checks a login. `None` for every kind of failure alike (unknown e-mail, wrong password,
/// locked account), so the answer does not tell whether an account exists.
pub async fn login(
    store: &dyn Store,
    now: DateTime<Utc>,
    email: &str,
    password: &str,
) -> Result<Option<Account>, StoreError> {
    let Some(account) = store.account_by_email(&normalize_email(email)).await? else {
        verify_password(password, decoy_hash());
        crate::audit_trail::login(store, now, None, Some("unknown account")).await?;
        return Ok(None);
    };
    if account.locked_until.is_some_and(|until| now < until) {
        verify_password(password, decoy_hash());
        crate::audit_trail::login(store, now, Some(&account), Some("locked")).await?;
        return Ok(None);
    }
    if !verify_password(password, &account.password_hash) {
        store
            .record_failed_login(&account.id, MAX_FAILED_LOGINS, now + LOCK_OUT)
            .await?;
        crate::audit_trail::login(store, now, Some(&account), Some("wrong password")).await?;
        return Ok(None);
    }
    store.record_successful_login(&account.id).await?;
    crate::audit_trail::login(store, now, Some(&account), None).await?;
    Ok(Some(account))
}

/// Starts a session; returns the cookie's token (only its hash is stored).
pub async fn start_session(
    store: &dyn Store,
    now: DateTime<Utc>,
    account: &Account,
) -> Result<String, StoreError> {
    let token = random_token();
    store
        .insert_session(&Session {
            token_hash: token_hash(&token),
            account_id: account.id.clone(),
            csrf_token: random_token(),
            created_at: now,
            expires_at: now + SESSION_LIFETIME,
        })
        .await?;
    Ok(token)
}

/// The value of a cookie of the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when served over HTTPS.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    set_cookie_at(state, name, value, max_age_secs, "/")
}

/// [`set_cookie`] for the paths under `path` only.
pub fn set_cookie_at(
    state: &AppState,
    name: &str,
    value: &str,
    max_age_secs: i64,
    path: &str,
) -> HeaderValue {
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie values are ASCII tokens")
}

/// The signed-in user of a back-office request. Pages without a valid session are sent to
/// the login page of their language.
pub struct CurrentUser {
    pub account: Account,
    pub session: Session,
}

impl CurrentUser {
    /// Whether a form sent the session's CSRF token.
    pub fn csrf_ok(&self, sent: &str) -> bool {
        same_secret(sent, &self.session.csrf_token)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = parts
            .uri
            .path()
            .trim_start_matches('/')
            .split('/')
            .next()
            .and_then(crocevia_i18n::language)
            .map_or(crocevia_i18n::DEFAULT_LANGUAGE, |l| l.code);
        let to_login = || Redirect::to(&format!("/{lang}/login")).into_response();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        let store = state.store.as_ref();
        let found = async {
            let Some(session) = store.session(&token_hash(token)).await? else {
                return Ok(None);
            };
            if session.expires_at <= state.clock.now() {
                store.delete_session(&session.token_hash).await?;
                return Ok(None);
            }
            let account = store.account(&session.account_id).await?;
            Ok::<_, StoreError>(account.map(|account| CurrentUser { account, session }))
        };
        match found.await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(to_login()),
            Err(e) => Err(crate::error::AppError::from(e).into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert_ne!(hash, hash_password("correct horse battery"), "salted");
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }
}
