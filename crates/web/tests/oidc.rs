//! OpenID Connect login in-process, against a small provider on loopback that serves
//! discovery, keys and a token endpoint, and signs ID tokens with a test-only RSA key
//! (tests/fixtures). The browser-level flow against a real provider is tests/e2e/oidc.test.mjs.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use crocevia_core::clock::FixedClock;
use crocevia_store::Store;
use crocevia_web::oidc::{Identity, OidcSettings};
use crocevia_web::{AppState, WebConfig, router};
use http_body_util::BodyExt;
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::url::Url;
use openidconnect::{
    AccessToken, Audience, EmptyAdditionalClaims, EndUserEmail, IssuerUrl, JsonWebKeyId, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, PrivateSigningKey, StandardClaims, SubjectIdentifier,
};
use tower::ServiceExt;

const CLIENT_ID: &str = "crocevia-test";
const PUBLIC_URL: &str = "http://crocevia.test";
const TEST_KEY: &str = include_str!("fixtures/oidc-test-key.pem");
const OTHER_KEY: &str = include_str!("fixtures/oidc-other-key.pem");

/// What the next ID token says; tests change it to break one thing at a time.
#[derive(Clone)]
struct NextToken {
    subject: String,
    email: Option<String>,
    email_verified: Option<bool>,
    audience: String,
    nonce: Option<String>,
    expires: DateTime<Utc>,
    other_key: bool,
}

#[derive(Default)]
struct ProviderState {
    issuer: String,
    /// The code challenge of the authorization request being answered.
    challenge: Option<String>,
    /// The nonce of that request.
    nonce: Option<String>,
    next: Option<NextToken>,
    token_requests: u32,
}

type Shared = Arc<Mutex<ProviderState>>;

async fn discovery(
    axum::extract::State(p): axum::extract::State<Shared>,
) -> axum::Json<serde_json::Value> {
    let issuer = p.lock().unwrap().issuer.clone();
    axum::Json(serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"]
    }))
}

fn signing_key(pem: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("test-key".into()))).unwrap()
}

async fn jwks() -> axum::Json<CoreJsonWebKeySet> {
    axum::Json(CoreJsonWebKeySet::new(vec![
        signing_key(TEST_KEY).as_verification_key(),
    ]))
}

async fn token(
    axum::extract::State(p): axum::extract::State<Shared>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut p = p.lock().unwrap();
    p.token_requests += 1;
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Basic "));
    let verifier = PkceCodeVerifier::new(form.get("code_verifier").cloned().unwrap_or_default());
    let pkce_ok = p.challenge.as_deref()
        == Some(PkceCodeChallenge::from_code_verifier_sha256(&verifier).as_str());
    if !basic
        || !pkce_ok
        || form.get("code").map(String::as_str) != Some("the-code")
        || form.get("redirect_uri").map(String::as_str)
            != Some(&format!("{PUBLIC_URL}/auth/oidc/callback"))
    {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    let next = p.next.clone().expect("the test set the next token");
    let access = AccessToken::new("an-access-token".into());
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(p.issuer.clone()).unwrap(),
        vec![Audience::new(next.audience.clone())],
        next.expires,
        Utc::now(),
        StandardClaims::new(SubjectIdentifier::new(next.subject.clone()))
            .set_email(next.email.clone().map(EndUserEmail::new))
            .set_email_verified(next.email_verified),
        EmptyAdditionalClaims {},
    )
    .set_nonce(
        next.nonce
            .clone()
            .or_else(|| p.nonce.clone())
            .map(Nonce::new),
    );
    let key = signing_key(if next.other_key { OTHER_KEY } else { TEST_KEY });
    let id_token = CoreIdToken::new(
        claims,
        &key,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        Some(&access),
        None,
    )
    .unwrap();
    axum::Json(serde_json::json!({
        "access_token": access.secret(),
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token.to_string(),
    }))
    .into_response()
}

/// Starts the provider on a free loopback port.
async fn provider() -> Shared {
    let shared: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    shared.lock().unwrap().issuer = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    shared
}

struct World {
    app: axum::Router,
    store: Arc<dyn Store>,
    provider: Shared,
    org: String,
}

fn settings(issuer: &str) -> OidcSettings {
    OidcSettings {
        issuer: issuer.to_owned(),
        client_id: CLIENT_ID.into(),
        client_secret: crocevia_core::secret::Secret::new("s3cret"),
        display_name: "IdP di prova".into(),
        scopes: vec!["openid".into(), "email".into()],
    }
}

impl World {
    async fn new() -> Self {
        let provider = provider().await;
        let issuer = provider.lock().unwrap().issuer.clone();
        Self::with_settings(provider, Some(settings(&issuer))).await
    }

    async fn with_settings(provider: Shared, oidc: Option<OidcSettings>) -> Self {
        let (_, store, records) = common::demo_app(Utc::now()).await;
        let app = router(AppState::new(
            store.clone(),
            Arc::new(FixedClock(Utc::now())),
            WebConfig {
                public_url: PUBLIC_URL.into(),
                oidc,
                ..WebConfig::default()
            },
        ));
        let org = records
            .iter()
            .find(|r| r.table == "organization")
            .unwrap()
            .id
            .clone();
        World {
            app,
            store,
            provider,
            org,
        }
    }

    async fn account(&self, email: &str) -> crocevia_store::Account {
        crocevia_web::auth::create_account(
            self.store.as_ref(),
            Utc::now(),
            &self.org,
            email,
            "Ada Rossi",
            "editor",
            "una password lunga",
        )
        .await
        .unwrap()
    }

    fn next(&self, subject: &str, email: Option<&str>) -> NextToken {
        NextToken {
            subject: subject.into(),
            email: email.map(str::to_owned),
            email_verified: Some(true),
            audience: CLIENT_ID.into(),
            nonce: None,
            expires: Utc::now() + Duration::minutes(5),
            other_key: false,
        }
    }

    async fn get(&self, uri: &str, cookie: Option<&str>) -> (StatusCode, HeaderMap, String) {
        let mut request = Request::get(uri);
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, c);
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// Starts a login; returns the authorization URL and the flow cookie (`name=value`).
    async fn start(&self, lang: &str) -> (Url, String) {
        let (status, headers, body) = self.get(&format!("/{lang}/login/oidc"), None).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let url = Url::parse(headers[header::LOCATION].to_str().unwrap()).unwrap();
        let set_cookie = headers[header::SET_COOKIE].to_str().unwrap().to_owned();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let param = |k: &str| {
            url.query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        let mut p = self.provider.lock().unwrap();
        p.challenge = param("code_challenge");
        p.nonce = param("nonce");
        (url, cookie)
    }

    /// Starts a login, then comes back from the provider with its code.
    async fn login(&self, lang: &str, next: NextToken) -> (StatusCode, HeaderMap, String) {
        let (url, cookie) = self.start(lang).await;
        let state = url
            .query_pairs()
            .find(|(n, _)| n == "state")
            .unwrap()
            .1
            .into_owned();
        self.provider.lock().unwrap().next = Some(next);
        self.get(
            &format!("/auth/oidc/callback?code=the-code&state={state}"),
            Some(&cookie),
        )
        .await
    }
}

fn error_code(body: &str) -> &str {
    let marker = "data-error-code=\"";
    let start = body.find(marker).expect("an error page") + marker.len();
    &body[start..][..body[start..].find('"').unwrap()]
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("crocevia_session=") && !c.starts_with("crocevia_session=;"))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

#[tokio::test]
async fn without_configuration_there_is_no_button_and_no_route() {
    let w = World::with_settings(provider().await, None).await;
    let (_, _, login) = w.get("/it/login", None).await;
    assert!(!login.contains("oidc-login"));
    assert_eq!(w.get("/it/login/oidc", None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        w.get("/auth/oidc/callback?code=x&state=y", None).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_login_starts_with_pkce_state_and_nonce_in_a_callback_only_cookie() {
    let w = World::new().await;
    let (_, _, login) = w.get("/it/login", None).await;
    assert!(login.contains("Accedi con IdP di prova"), "{login}");
    let (_, _, login) = w.get("/en/login", None).await;
    assert!(login.contains("Sign in with IdP di prova"));

    let (status, headers, _) = w.get("/it/login/oidc", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let url = Url::parse(headers[header::LOCATION].to_str().unwrap()).unwrap();
    let issuer = w.provider.lock().unwrap().issuer.clone();
    assert!(url.as_str().starts_with(&format!("{issuer}/authorize?")));
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(
        q["redirect_uri"],
        format!("{PUBLIC_URL}/auth/oidc/callback")
    );
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["scope"], "openid email");
    assert!(q["state"].len() >= 22 && q["nonce"].len() >= 22);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("crocevia_oidc="), "{cookie}");
    for part in ["Path=/auth/oidc", "HttpOnly", "SameSite=Lax", "Max-Age=600"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    // Neither the nonce's nor the verifier's secret is in the URL beyond what the
    // provider needs: the verifier stays in the cookie only.
    let value = cookie.split(';').next().unwrap();
    let verifier = value.split('.').nth(2).unwrap();
    assert!(!url.as_str().contains(verifier));
}

#[tokio::test]
async fn a_verified_email_links_the_identity_and_the_link_is_used_afterwards() {
    let w = World::new().await;
    let account = w.account("ada@example.it").await;
    let (status, headers, body) = w
        .login("en", w.next("sub-ada", Some("Ada@Example.it")))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(headers[header::LOCATION], "/en/backoffice");
    let session = session_cookie(&headers).expect("a session");
    assert!(
        headers
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("crocevia_oidc=;")),
        "the flow cookie is cleared"
    );
    let (status, _, page) = w.get("/en/backoffice", Some(&session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Ada Rossi"));
    let issuer = w.provider.lock().unwrap().issuer.clone();
    let link = w
        .store
        .oidc_link(&issuer, "sub-ada")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.account_id, account.id);

    // Later the provider has no e-mail (or another one): the link still finds the account.
    let (status, headers, _) = w.login("it", w.next("sub-ada", None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/it/backoffice");

    // Another identity of the same provider with the same address does not take it over.
    let (status, _, body) = w
        .login("it", w.next("sub-impostor", Some("ada@example.it")))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "oidc_other_identity");
}

#[tokio::test]
async fn no_account_and_unverified_addresses_get_the_ask_an_admin_page() {
    let w = World::new().await;
    w.account("ada@example.it").await;
    let (status, headers, body) = w
        .login("it", w.next("sub-x", Some("nessuno@example.it")))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "oidc_no_account");
    assert!(body.contains("l&#39;amministratore") || body.contains("l'amministratore"));
    assert!(body.contains("nessuno@example.it"));
    assert!(session_cookie(&headers).is_none());

    let mut unverified = w.next("sub-y", Some("ada@example.it"));
    unverified.email_verified = None;
    let (status, _, body) = w.login("en", unverified).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "oidc_no_account");
    assert!(body.contains("ask them to create an account"));
    let issuer = w.provider.lock().unwrap().issuer.clone();
    assert_eq!(w.store.oidc_link(&issuer, "sub-y").await.unwrap(), None);
}

#[tokio::test]
async fn a_locked_account_is_refused() {
    let w = World::new().await;
    let account = w.account("ada@example.it").await;
    w.store
        .record_failed_login(&account.id, 1, Utc::now() + Duration::minutes(15))
        .await
        .unwrap();
    let (status, _, body) = w
        .login("it", w.next("sub-ada", Some("ada@example.it")))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "oidc_locked");
}

#[tokio::test]
async fn tokens_that_do_not_check_out_are_refused() {
    let w = World::new().await;
    w.account("ada@example.it").await;
    let good = w.next("sub-ada", Some("ada@example.it"));
    let mut wrong_nonce = good.clone();
    wrong_nonce.nonce = Some("another-nonce".into());
    let mut wrong_audience = good.clone();
    wrong_audience.audience = "another-client".into();
    let mut expired = good.clone();
    expired.expires = Utc::now() - Duration::minutes(1);
    let mut forged = good.clone();
    forged.other_key = true;
    for (what, next) in [
        ("nonce", wrong_nonce),
        ("audience", wrong_audience),
        ("expiry", expired),
        ("signature", forged),
    ] {
        let (status, headers, body) = w.login("it", next).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(error_code(&body), "oidc_invalid", "{what}");
        assert!(session_cookie(&headers).is_none(), "{what}");
    }
    // And the good one still goes through.
    assert_eq!(w.login("it", good).await.0, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn state_mismatch_missing_flow_and_provider_errors_say_what_to_do() {
    let w = World::new().await;
    let (_, cookie) = w.start("en").await;
    let (status, headers, body) = w
        .get(
            "/auth/oidc/callback?code=the-code&state=forged",
            Some(&cookie),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "oidc_expired");
    assert!(body.contains("Back to the sign-in page"));
    assert_eq!(
        w.provider.lock().unwrap().token_requests,
        0,
        "no code exchanged"
    );
    assert!(
        headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("crocevia_oidc=;")
    );

    let (status, _, body) = w
        .get("/auth/oidc/callback?code=the-code&state=whatever", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "oidc_expired");

    let (url, cookie) = w.start("it").await;
    let state = url.query_pairs().find(|(n, _)| n == "state").unwrap().1;
    let (status, _, body) = w
        .get(
            &format!("/auth/oidc/callback?error=access_denied&state={state}"),
            Some(&cookie),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "oidc_denied");
    assert!(body.contains("annullato"));
}

#[tokio::test]
async fn an_unreachable_provider_gets_a_page_not_a_raw_error() {
    // A port that was free a moment ago: nothing listens there.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let w = World::with_settings(
        provider().await,
        Some(settings(&format!("http://{closed}"))),
    )
    .await;
    let (status, _, body) = w.get("/it/login/oidc", None).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(error_code(&body), "oidc_unavailable");
    assert!(body.contains("Riprova tra qualche minuto"));
}

#[tokio::test]
async fn find_account_prefers_the_link_over_the_address() {
    let (_, store, records) = common::demo_app(Utc::now()).await;
    let org = &records
        .iter()
        .find(|r| r.table == "organization")
        .unwrap()
        .id;
    let make = |email: &str| {
        let store = store.clone();
        let email = email.to_owned();
        let org = org.clone();
        async move {
            crocevia_web::auth::create_account(
                store.as_ref(),
                Utc::now(),
                &org,
                &email,
                "",
                "editor",
                "una password lunga",
            )
            .await
            .unwrap()
        }
    };
    let ada = make("ada@example.it").await;
    let bea = make("bea@example.it").await;
    let identity = |email: &str| Identity {
        issuer: "https://idp.example.it".into(),
        subject: "sub-1".into(),
        verified_email: Some(email.into()),
        email: Some(email.into()),
    };
    let now = Utc::now();
    let found = crocevia_web::oidc::find_account(store.as_ref(), now, &identity("ada@example.it"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, ada.id);
    // The same identity now saying Bea's address still signs in as Ada.
    let found = crocevia_web::oidc::find_account(store.as_ref(), now, &identity("bea@example.it"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, ada.id);
    assert!(store.oidc_links_of(&bea.id).await.unwrap().is_empty());
}
