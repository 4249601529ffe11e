//! Optional back-office login through an OpenID Connect provider (a regional identity
//! provider, SPID/CIE through a broker, Keycloak, …), with the `openidconnect` crate.
//!
//! `GET /{lang}/login/oidc` discovers the provider (its discovery document and keys, cached
//! for an hour), sends the browser to its authorization endpoint with PKCE (S256), a random
//! `state` and `nonce`, and keeps those with the PKCE verifier and the language in a
//! short-lived HttpOnly, SameSite=Lax cookie limited to `/auth/oidc`, so only the browser that
//! started the login can finish it. `GET /auth/oidc/callback` checks `state`, exchanges the code
//! with the verifier, verifies the ID token (signature by the provider's keys, issuer,
//! audience, expiry, nonce, access-token hash), then finds the account: by a stored link
//! (issuer + subject), else by the verified e-mail address of an existing account, which it
//! then links. Nobody is provisioned here: roles and organisations come from an administrator.
//! Every failure is a translated page saying what to do next, and a log line.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use crocevia_core::access::normalize_email;
use crocevia_i18n::Language;
use crocevia_store::{Account, OidcLink, Store, StoreError};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SubjectIdentifier, TokenResponse,
};
use serde::Deserialize;

use crate::AppState;
use crate::auth;
use crate::error::{AppError, ErrorCode};
use crate::kit::Lang;
use crate::kit::{Page, render};

/// The one callback path registered with the provider (the language travels in the cookie).
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";
/// The cookie holding a login in progress: state, nonce, PKCE verifier, language.
pub const FLOW_COOKIE: &str = "crocevia_oidc";
/// The flow cookie's path: it is sent to the callback only.
const FLOW_COOKIE_PATH: &str = "/auth/oidc";
/// How long a login at the provider may take.
const FLOW_LIFETIME_SECS: i64 = 600;
/// How long the discovery document and keys are reused.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// Longest wait for the provider.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The provider, as configured (`[oidc]` in `crocevia.toml`, `CROCEVIA_OIDC_*`).
#[derive(Debug, Clone, PartialEq)]
pub struct OidcSettings {
    /// The issuer URL; its `/.well-known/openid-configuration` is the discovery document.
    pub issuer: String,
    pub client_id: String,
    /// `None` for a public client (PKCE only).
    pub client_secret: Option<crocevia_core::secret::Secret>,
    /// Shown on the button: "Accedi con {display_name}".
    pub display_name: String,
    /// Scopes requested besides `openid` (by default `email` and `profile`).
    pub scopes: Vec<String>,
}

/// A client built from discovery: authorization endpoint set, token and user-info endpoints
/// as the provider declares them.
type OidcClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

struct Discovered {
    metadata: CoreProviderMetadata,
    at: Instant,
}

/// The provider at run time: settings, an HTTP client that follows no redirects, and the
/// cached discovery document.
pub struct Oidc {
    pub settings: OidcSettings,
    http: openidconnect::reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
}

/// What went wrong, as the page shown for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The provider could not be reached or answered nonsense.
    Unavailable,
    /// No login in progress in this browser, or its state does not match.
    Expired,
    /// The person cancelled at the provider, or it refused.
    Denied,
    /// The code exchange or the ID token did not check out.
    Invalid,
    /// No account for this identity.
    NoAccount,
    /// The account is locked after failed password logins.
    Locked,
    /// The e-mail's account is linked to another identity of this provider.
    OtherIdentity,
}

impl Failure {
    pub fn code(self) -> &'static str {
        match self {
            Failure::Unavailable => "oidc_unavailable",
            Failure::Expired => "oidc_expired",
            Failure::Denied => "oidc_denied",
            Failure::Invalid => "oidc_invalid",
            Failure::NoAccount => "oidc_no_account",
            Failure::Locked => "oidc_locked",
            Failure::OtherIdentity => "oidc_other_identity",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Failure::Unavailable => StatusCode::BAD_GATEWAY,
            Failure::Expired => StatusCode::BAD_REQUEST,
            Failure::Invalid => StatusCode::UNAUTHORIZED,
            Failure::Denied | Failure::NoAccount | Failure::Locked | Failure::OtherIdentity => {
                StatusCode::FORBIDDEN
            }
        }
    }

    fn message_id(self) -> &'static str {
        match self {
            Failure::Unavailable => "bo-oidc-unavailable",
            Failure::Expired => "bo-oidc-expired",
            Failure::Denied => "bo-oidc-denied",
            Failure::Invalid => "bo-oidc-invalid",
            Failure::NoAccount => "bo-oidc-no-account",
            Failure::Locked => "bo-oidc-locked",
            Failure::OtherIdentity => "bo-oidc-other-identity",
        }
    }
}

impl Oidc {
    pub fn new(settings: OidcSettings) -> Self {
        let http = openidconnect::reqwest::Client::builder()
            // Following redirects would let a provider's answer send us anywhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .expect("an HTTP client with rustls builds");
        Oidc {
            settings,
            http,
            discovered: RwLock::new(None),
        }
    }

    /// The provider's metadata (with its keys), from the cache unless `refresh` or stale.
    async fn discover(&self, refresh: bool) -> Result<Arc<Discovered>, Failure> {
        if !refresh
            && let Some(d) = self.discovered.read().expect("not poisoned").as_ref()
            && d.at.elapsed() < DISCOVERY_TTL
        {
            return Ok(d.clone());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| {
            tracing::error!(issuer = %self.settings.issuer, error = %e, "OIDC issuer is not a URL");
            Failure::Unavailable
        })?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                tracing::error!(issuer = %self.settings.issuer, error = %error_chain(&e), "OIDC discovery failed");
                Failure::Unavailable
            })?;
        let found = Arc::new(Discovered {
            metadata,
            at: Instant::now(),
        });
        *self.discovered.write().expect("not poisoned") = Some(found.clone());
        Ok(found)
    }

    fn client(&self, discovered: &Discovered, public_url: &str) -> Result<OidcClient, Failure> {
        let redirect = RedirectUrl::new(format!("{public_url}{CALLBACK_PATH}")).map_err(|e| {
            tracing::error!(public_url, error = %e, "the OIDC redirect URI is not a URL: check public_url");
            Failure::Unavailable
        })?;
        Ok(CoreClient::from_provider_metadata(
            discovered.metadata.clone(),
            ClientId::new(self.settings.client_id.clone()),
            self.settings
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose().to_owned())),
        )
        .set_redirect_uri(redirect))
    }
}

/// An error and its causes on one line, for the log.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[derive(Template)]
#[template(path = "backoffice_oidc_error.html")]
struct FailureTemplate {
    page: Page,
    code: &'static str,
    message: String,
    email: String,
}

/// The page for a failed OIDC login, in `language`; the flow cookie is cleared.
fn failure_page(
    state: &AppState,
    language: &'static Language,
    failure: Failure,
    email: Option<&str>,
) -> Response {
    let mut page = Page::new(language, "/login");
    page.title = page.t("bo-oidc-error-title");
    let message = page.t(failure.message_id());
    let mut response = (
        failure.status(),
        render(&FailureTemplate {
            page,
            code: failure.code(),
            message,
            email: email.unwrap_or_default().to_owned(),
        }),
    )
        .into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, clear_flow_cookie(state));
    response
}

fn flow_cookie(state: &AppState, value: &str, max_age: i64) -> header::HeaderValue {
    auth::set_cookie_at(state, FLOW_COOKIE, value, max_age, FLOW_COOKIE_PATH)
}

fn clear_flow_cookie(state: &AppState) -> header::HeaderValue {
    flow_cookie(state, "", 0)
}

fn not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "OpenID Connect login is not configured",
    )
}

/// `GET /{lang}/login/oidc`: to the provider.
pub async fn start(
    State(state): State<AppState>,
    Lang(language): Lang,
) -> Result<Response, AppError> {
    let Some(oidc) = state.oidc.clone() else {
        return Err(not_found());
    };
    let discovered = match oidc.discover(false).await {
        Ok(d) => d,
        Err(failure) => return Ok(failure_page(&state, language, failure, None)),
    };
    let client = match oidc.client(&discovered, &state.config.public_url) {
        Ok(c) => c,
        Err(failure) => return Ok(failure_page(&state, language, failure, None)),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in &oidc.settings.scopes {
        if scope != "openid" {
            request = request.add_scope(Scope::new(scope.clone()));
        }
    }
    let (url, csrf, nonce) = request.url();
    let value = format!(
        "{}.{}.{}.{}",
        csrf.secret(),
        nonce.secret(),
        verifier.secret(),
        language.code
    );
    let mut response = Redirect::to(url.as_str()).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        flow_cookie(&state, &value, FLOW_LIFETIME_SECS),
    );
    Ok(response)
}

/// A login in progress, as kept in the flow cookie.
struct Flow {
    state: String,
    nonce: String,
    verifier: String,
    language: &'static Language,
}

fn read_flow(headers: &HeaderMap) -> Option<Flow> {
    let value = auth::cookie(headers, FLOW_COOKIE)?;
    let mut parts = value.split('.');
    let flow = Flow {
        state: parts.next()?.to_owned(),
        nonce: parts.next()?.to_owned(),
        verifier: parts.next()?.to_owned(),
        language: crocevia_i18n::language(parts.next()?)?,
    };
    (parts.next().is_none() && !flow.state.is_empty() && !flow.verifier.is_empty()).then_some(flow)
}

/// The provider's answer: a code and the state, or an error.
#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The identity the provider vouched for.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    /// Only an address the provider says it verified.
    pub verified_email: Option<String>,
    /// Any address the provider gave, for the "ask an administrator" page.
    pub email: Option<String>,
}

/// `GET /auth/oidc/callback`: back from the provider.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, AppError> {
    let Some(oidc) = state.oidc.clone() else {
        return Err(not_found());
    };
    let Some(flow) = read_flow(&headers) else {
        let language = crocevia_i18n::language(crocevia_i18n::negotiate(
            auth::cookie(&headers, "lang"),
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ))
        .unwrap_or(&crocevia_i18n::LANGUAGES[0]);
        tracing::warn!("OIDC callback without a login in progress in this browser");
        return Ok(failure_page(&state, language, Failure::Expired, None));
    };
    let language = flow.language;
    if !query
        .state
        .as_deref()
        .is_some_and(|s| auth::same_secret(s, &flow.state))
    {
        tracing::warn!("OIDC callback with a state that does not match this browser's login");
        return Ok(failure_page(&state, language, Failure::Expired, None));
    }
    if let Some(error) = &query.error {
        tracing::warn!(error, description = ?query.error_description, "the OIDC provider refused the login");
        let failure = if error == "access_denied" {
            Failure::Denied
        } else {
            Failure::Invalid
        };
        return Ok(failure_page(&state, language, failure, None));
    }
    let Some(code) = query.code else {
        tracing::warn!("OIDC callback without a code");
        return Ok(failure_page(&state, language, Failure::Invalid, None));
    };
    let identity = match verify(&state, &oidc, &flow, code).await {
        Ok(identity) => identity,
        Err(failure) => return Ok(failure_page(&state, language, failure, None)),
    };
    let now = state.clock.now();
    let account = match find_account(state.store.as_ref(), now, &identity).await? {
        Ok(account) => account,
        Err(failure) => {
            tracing::warn!(
                issuer = %identity.issuer,
                subject = %identity.subject,
                email = ?identity.email,
                code = failure.code(),
                "OIDC login refused"
            );
            return Ok(failure_page(
                &state,
                language,
                failure,
                identity.email.as_deref(),
            ));
        }
    };
    crate::audit_trail::record(
        state.store.as_ref(),
        now,
        crate::audit_trail::account_actor(&account),
        crocevia_core::desk::audit::AuditAction::Login,
        crate::audit_trail::ACCOUNT,
        &account.id,
        "oidc",
    )
    .await?;
    let token = auth::start_session(state.store.as_ref(), now, &account).await?;
    tracing::info!(account = %account.id, method = "oidc", issuer = %identity.issuer, "back-office login");
    let mut response =
        Redirect::to(&crate::backoffice::landing(language, account.role)).into_response();
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
    headers.append(header::SET_COOKIE, clear_flow_cookie(&state));
    Ok(response)
}

/// Exchanges the code and checks the ID token; asks the user-info endpoint for the e-mail
/// when the ID token has none.
async fn verify(
    state: &AppState,
    oidc: &Oidc,
    flow: &Flow,
    code: String,
) -> Result<Identity, Failure> {
    let discovered = oidc.discover(false).await?;
    let client = oidc.client(&discovered, &state.config.public_url)?;
    let exchange = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| {
            tracing::error!(error = %e, "the OIDC provider has no token endpoint");
            Failure::Unavailable
        })?;
    let tokens = exchange
        .set_pkce_verifier(PkceCodeVerifier::new(flow.verifier.clone()))
        .request_async(&oidc.http)
        .await
        .map_err(|e| {
            tracing::warn!(error = %error_chain(&e), "OIDC code exchange failed");
            match e {
                openidconnect::RequestTokenError::Request(_) => Failure::Unavailable,
                _ => Failure::Invalid,
            }
        })?;
    let Some(id_token) = tokens.id_token() else {
        tracing::warn!("the OIDC provider returned no ID token");
        return Err(Failure::Invalid);
    };
    let nonce = Nonce::new(flow.nonce.clone());
    let clock = state.clock.clone();
    let check = |client: &OidcClient| {
        let clock = clock.clone();
        let verifier = client.id_token_verifier().set_time_fn(move || clock.now());
        let claims = id_token.claims(&verifier, &nonce)?.clone();
        if let Some(expected) = claims.access_token_hash() {
            let actual = AccessTokenHash::from_token(
                tokens.access_token(),
                id_token
                    .signing_alg()
                    .map_err(ClaimsVerificationError::SignatureVerification)?,
                id_token
                    .signing_key(&verifier)
                    .map_err(ClaimsVerificationError::SignatureVerification)?,
            )
            .map_err(|e| ClaimsVerificationError::Other(e.to_string()))?;
            if actual != *expected {
                return Err(ClaimsVerificationError::Other(
                    "the access token does not match the ID token's at_hash".into(),
                ));
            }
        }
        Ok(claims)
    };
    let claims = match check(&client) {
        Ok(claims) => claims,
        // The provider may have rotated its keys since we cached them: fetch them again once.
        Err(ClaimsVerificationError::SignatureVerification(e))
            if discovered.at.elapsed() > Duration::from_secs(5) =>
        {
            tracing::info!(error = %e, "OIDC signature not verified with cached keys: refreshing");
            let discovered = oidc.discover(true).await?;
            let client = oidc.client(&discovered, &state.config.public_url)?;
            check(&client).map_err(|e| {
                tracing::warn!(error = %error_chain(&e), "OIDC ID token rejected");
                Failure::Invalid
            })?
        }
        Err(e) => {
            tracing::warn!(error = %error_chain(&e), "OIDC ID token rejected");
            return Err(Failure::Invalid);
        }
    };
    let subject = claims.subject().clone();
    let mut email = claims.email().map(|e| e.as_str().to_owned());
    let mut verified = claims.email_verified() == Some(true);
    if email.is_none() && client.user_info_url().is_some() {
        match user_info(
            &client,
            &oidc.http,
            tokens.access_token().clone(),
            subject.clone(),
        )
        .await
        {
            Ok(info) => {
                email = info.email().map(|e| e.as_str().to_owned());
                verified = info.email_verified() == Some(true);
            }
            Err(e) => {
                // The identity is proven; without an e-mail only a stored link can match.
                tracing::warn!(error = %e, "OIDC user info not available");
            }
        }
    }
    Ok(Identity {
        issuer: claims.issuer().as_str().to_owned(),
        subject: subject.as_str().to_owned(),
        verified_email: email.clone().filter(|_| verified),
        email,
    })
}

async fn user_info(
    client: &OidcClient,
    http: &openidconnect::reqwest::Client,
    access_token: openidconnect::AccessToken,
    subject: SubjectIdentifier,
) -> Result<CoreUserInfoClaims, String> {
    client
        .user_info(access_token, Some(subject))
        .map_err(|e| e.to_string())?
        .request_async(http)
        .await
        .map_err(|e| error_chain(&e))
}

/// The account an identity signs in to: by its link, else by its verified e-mail (which
/// links it). The outer error is the store's; the inner one why the login is refused.
pub async fn find_account(
    store: &dyn Store,
    now: DateTime<Utc>,
    identity: &Identity,
) -> Result<Result<Account, Failure>, StoreError> {
    let usable = |account: Account| {
        if account.locked_until.is_some_and(|until| now < until) {
            Err(Failure::Locked)
        } else {
            Ok(account)
        }
    };
    if let Some(link) = store.oidc_link(&identity.issuer, &identity.subject).await? {
        return Ok(match store.account(&link.account_id).await? {
            Some(account) => usable(account),
            None => Err(Failure::NoAccount),
        });
    }
    let Some(email) = &identity.verified_email else {
        return Ok(Err(Failure::NoAccount));
    };
    let Some(account) = store.account_by_email(&normalize_email(email)).await? else {
        return Ok(Err(Failure::NoAccount));
    };
    // An account takes one identity per provider: a second one with the same address (an
    // address given to someone else, say) must not take it over.
    if store
        .oidc_links_of(&account.id)
        .await?
        .iter()
        .any(|l| l.issuer == identity.issuer)
    {
        return Ok(Err(Failure::OtherIdentity));
    }
    let account = match usable(account) {
        Ok(account) => account,
        Err(failure) => return Ok(Err(failure)),
    };
    match store
        .insert_oidc_link(&OidcLink {
            issuer: identity.issuer.clone(),
            subject: identity.subject.clone(),
            account_id: account.id.clone(),
            created_at: now,
        })
        .await
    {
        // Two first logins at once: the other one linked it.
        Ok(()) | Err(StoreError::AlreadyExists(_)) => {}
        Err(e) => return Err(e),
    }
    tracing::info!(account = %account.id, issuer = %identity.issuer, "OIDC identity linked to its account by e-mail");
    Ok(Ok(account))
}
