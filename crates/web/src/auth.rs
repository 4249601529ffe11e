//! Back-office authentication: argon2id passwords, login with a lock-out per (e-mail, client
//! address) ([`LoginThrottle`]), server-side sessions in an HttpOnly cookie, CSRF tokens, and
//! the [`CurrentUser`] extractor.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
pub use crocevia_core::secret::same_secret;
use std::collections::HashMap;
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use crocevia_core::access::{Role, normalize_email};
use crocevia_store::{Account, Session, Store, StoreError};

use crate::AppState;
use crate::write_api::token_hash;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "crocevia_session";
/// The cookie holding the login form's CSRF token (before there is a session).
pub const LOGIN_CSRF_COOKIE: &str = "crocevia_login_csrf";
/// Failed logins for one e-mail from one client address before that address must wait.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// The first wait; each further failure doubles it, up to [`LONGEST_LOCK_OUT`].
pub const LOCK_OUT: Duration = Duration::minutes(1);
/// The longest wait.
pub const LONGEST_LOCK_OUT: Duration = Duration::hours(1);
/// Failures older than this (with none since) are forgotten.
pub const FORGET_FAILURES_AFTER: Duration = Duration::hours(24);
/// (e-mail, address) pairs remembered before the forgettable ones are dropped.
const MAX_TRACKED_LOGINS: usize = 100_000;
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

/// Failed password logins per (e-mail, client address), in memory on each app server.
///
/// A lock-out per account would let anyone who knows an address keep its owner out by
/// failing on purpose. Here failures count per e-mail *and* client address: after
/// [`MAX_FAILED_LOGINS`] the address waits [`LOCK_OUT`], doubling with every further failure
/// up to [`LONGEST_LOCK_OUT`], while the owner, from another address, logs in as usual.
/// Guessing stays slow (an hour per try once locked, and the per-address rate limit across
/// accounts). Unknown e-mails count the same way, so the wait does not tell whether an
/// account exists. A success from the address clears its count.
#[derive(Default)]
pub struct LoginThrottle {
    failures: std::sync::Mutex<HashMap<(String, Option<IpAddr>), Failures>>,
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

impl LoginThrottle {
    fn key(email: &str, client: Option<IpAddr>) -> (String, Option<IpAddr>) {
        (normalize_email(email), client)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, Option<IpAddr>), Failures>> {
        // A panic while holding the lock leaves counts that are still counts.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Until when this address must wait before trying this e-mail again, if it must.
    pub fn locked_until(
        &self,
        email: &str,
        client: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        self.lock()
            .get(&Self::key(email, client))
            .and_then(|f| f.locked_until)
            .filter(|until| now < *until)
    }

    /// Counts a failure; returns the wait it starts, if any.
    pub fn failed(
        &self,
        email: &str,
        client: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let mut map = self.lock();
        if map.len() >= MAX_TRACKED_LOGINS {
            map.retain(|_, f| {
                f.locked_until.is_some_and(|u| now < u) || now - f.last < Duration::minutes(15)
            });
        }
        let entry = map.entry(Self::key(email, client)).or_insert(Failures {
            count: 0,
            last: now,
            locked_until: None,
        });
        if now - entry.last > FORGET_FAILURES_AFTER {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        if entry.count >= MAX_FAILED_LOGINS {
            let doublings = (entry.count - MAX_FAILED_LOGINS).min(16);
            let wait = (LOCK_OUT * 2_i32.pow(doublings)).min(LONGEST_LOCK_OUT);
            entry.locked_until = Some(now + wait);
        }
        entry.locked_until
    }

    /// Forgets the failures of this e-mail from this address.
    pub fn succeeded(&self, email: &str, client: Option<IpAddr>) {
        self.lock().remove(&Self::key(email, client));
    }
}

/// How a password login ended.
#[derive(Debug)]
pub enum LoginOutcome {
    /// The password is right.
    Success(Account),
    /// Unknown e-mail or wrong password, alike, so the answer does not tell whether an
    /// account exists.
    Refused,
    /// Too many failures for this e-mail from this address: wait until then (the password
    /// was not checked).
    Throttled(DateTime<Utc>),
}

/// Checks a password login from `client` (the address, when known). Every outcome is logged
/// (with the account's id when there is one, never the password or an unknown e-mail).
pub async fn login(
    store: &dyn Store,
    throttle: &LoginThrottle,
    client: Option<IpAddr>,
    now: DateTime<Utc>,
    email: &str,
    password: &str,
) -> Result<LoginOutcome, StoreError> {
    let client_text = client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    if let Some(until) = throttle.locked_until(email, client, now) {
        verify_password(password, decoy_hash());
        tracing::warn!(client = %client_text, until = %until, "login refused: too many failures from this address");
        crate::audit_trail::login(
            store,
            now,
            None,
            Some("too many failures from this address"),
        )
        .await?;
        return Ok(LoginOutcome::Throttled(until));
    }
    let account = store.account_by_email(&normalize_email(email)).await?;
    let right = match &account {
        Some(account) => verify_password(password, &account.password_hash),
        None => {
            verify_password(password, decoy_hash());
            false
        }
    };
    let account_text = account.as_ref().map_or("unknown", |a| a.id.as_str());
    match account {
        Some(account) if right => {
            throttle.succeeded(email, client);
            store.record_successful_login(&account.id).await?;
            tracing::info!(account = %account.id, client = %client_text, method = "password", "login succeeded");
            crate::audit_trail::login(store, now, Some(&account), None).await?;
            Ok(LoginOutcome::Success(account))
        }
        ref account => {
            let locked = throttle.failed(email, client, now);
            tracing::warn!(account = %account_text, client = %client_text, locked_until = ?locked, "login failed");
            let reason = if account.is_some() {
                "wrong password"
            } else {
                "unknown account"
            };
            crate::audit_trail::login(store, now, account.as_ref(), Some(reason)).await?;
            Ok(LoginOutcome::Refused)
        }
    }
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

/// The CSRF token of the request's session, left in the request's extensions by
/// [`CurrentUser`]'s extractor for a form extractor after it ([`crate::kit::CsrfForm`]).
#[derive(Clone)]
pub struct SessionCsrf(pub String);

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
        let lang = crocevia_i18n::language_of_path(parts.uri.path())
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
            Ok(Some(user)) => {
                parts
                    .extensions
                    .insert(SessionCsrf(user.session.csrf_token.clone()));
                Ok(user)
            }
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

    #[test]
    fn failures_lock_one_address_out_with_doubling_waits() {
        let throttle = LoginThrottle::default();
        let t0 = DateTime::parse_from_rfc3339("2026-11-20T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let attacker = Some("203.0.113.9".parse().unwrap());
        let owner = Some("198.51.100.7".parse().unwrap());
        for _ in 1..MAX_FAILED_LOGINS {
            assert_eq!(throttle.failed("ada@example.it", attacker, t0), None);
        }
        assert_eq!(
            throttle.failed("Ada@Example.it", attacker, t0),
            Some(t0 + LOCK_OUT)
        );
        assert!(
            throttle
                .locked_until("ada@example.it", attacker, t0)
                .is_some()
        );
        assert_eq!(throttle.locked_until("ada@example.it", owner, t0), None);
        let t1 = t0 + LOCK_OUT;
        assert_eq!(throttle.locked_until("ada@example.it", attacker, t1), None);
        assert_eq!(
            throttle.failed("ada@example.it", attacker, t1),
            Some(t1 + LOCK_OUT * 2)
        );
        let mut t = t1;
        for _ in 0..12 {
            t += LONGEST_LOCK_OUT;
            throttle.failed("ada@example.it", attacker, t);
        }
        assert_eq!(
            throttle.locked_until("ada@example.it", attacker, t),
            Some(t + LONGEST_LOCK_OUT)
        );
        throttle.succeeded("ada@example.it", attacker);
        assert_eq!(throttle.locked_until("ada@example.it", attacker, t), None);
    }
}
