//! HTTP hardening: the headers every answer carries, personal pages kept out of caches, rate
//! limits per client address, and a login lock-out nobody can use to lock someone else out.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use common::world::{PASSWORD, World, cookie_value, csrf_field, encode};
use crocevia_web::WebConfig;
use crocevia_web::rate_limit::{Rate, RateLimits};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Sends `request` as if it came from `peer` (what `axum::serve` records for a connection).
async fn send_from(
    w: &World,
    peer: &str,
    mut request: Request<Body>,
) -> (StatusCode, HeaderMap, String) {
    let peer: SocketAddr = peer.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = w.app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn get_from(w: &World, peer: &str, uri: &str) -> (StatusCode, HeaderMap, String) {
    send_from(w, peer, Request::get(uri).body(Body::empty()).unwrap()).await
}

fn header(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(&name)
        .map_or("", |v| v.to_str().unwrap_or_default())
}

const HOME: &str = "10.1.1.1:40000";

fn a_service_id(w: &World) -> String {
    w.services().next().unwrap().id.clone()
}

#[tokio::test]
async fn every_page_and_api_answer_carries_the_security_headers() {
    let w = World::new("http://localhost:8080").await;
    let service = format!("/it/services/{}", a_service_id(&w));
    for uri in [
        "/it/",
        "/ar/search?q=medico",
        service.as_str(),
        "/it/login",
        "/api/search?q=medico",
        "/api/hsds/services",
        "/api/hsds/services/nope",
        "/healthz",
        "/it/nowhere",
    ] {
        let (_, headers, _) = get_from(&w, HOME, uri).await;
        let csp = header(&headers, header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("script-src 'self';"), "{uri}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert!(csp.contains("object-src 'none'"), "{uri}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{uri}: {csp}");
        assert_eq!(header(&headers, header::X_FRAME_OPTIONS), "DENY", "{uri}");
        assert_eq!(
            header(&headers, header::X_CONTENT_TYPE_OPTIONS),
            "nosniff",
            "{uri}"
        );
        assert!(
            ["strict-origin-when-cross-origin", "no-referrer"]
                .contains(&header(&headers, header::REFERRER_POLICY)),
            "{uri}"
        );
        assert!(
            !headers.contains_key(header::STRICT_TRANSPORT_SECURITY),
            "{uri}: no HSTS over plain HTTP"
        );
    }
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let w = World::new("https://crocevia.example.it").await;
    for uri in ["/it/", "/api/search?q=casa", "/it/login"] {
        let (_, headers, _) = get_from(&w, HOME, uri).await;
        assert!(
            header(&headers, header::STRICT_TRANSPORT_SECURITY).starts_with("max-age="),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn pages_have_no_inline_script_the_policy_would_block() {
    let w = World::new("http://localhost:8080").await;
    let service = format!("/it/services/{}", a_service_id(&w));
    for uri in [
        "/it/",
        "/it/search?q=medico",
        service.as_str(),
        "/it/observatory",
        "/it/credits",
        "/it/login",
    ] {
        let (status, _, html) = get_from(&w, HOME, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        let lower = html.to_lowercase();
        for (i, _) in lower.match_indices("<script") {
            let tag = &lower[i..i + lower[i..].find('>').unwrap()];
            assert!(tag.contains(" src="), "{uri}: inline script {tag}");
        }
        let handler = lower.split(['<', ' ', '\n', '\t']).find(|word| {
            word.strip_prefix("on").is_some_and(|rest| {
                rest.split_once('=').is_some_and(|(name, _)| {
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase())
                })
            })
        });
        assert_eq!(handler, None, "{uri}: an inline event handler");
    }
}

#[tokio::test]
async fn personal_pages_are_never_stored_and_public_ones_may_be() {
    let w = World::new("http://localhost:8080").await;
    let org = w
        .records
        .iter()
        .find(|r| r.table == "organization")
        .unwrap()
        .id
        .clone();
    w.account(&org, "op@example.it", "operator").await;
    w.account(&org, "ed@example.it", "editor").await;
    w.account(&org, "an@example.it", "analyst").await;
    let operator = w.session("op@example.it").await;
    let editor = w.session("ed@example.it").await;
    let analyst = w.session("an@example.it").await;
    let get = |uri: String, session: String| {
        let w = &w;
        async move {
            let request = Request::get(&uri)
                .header(header::COOKIE, format!("crocevia_session={session}"))
                .body(Body::empty())
                .unwrap();
            let (status, headers, _) = send_from(w, HOME, request).await;
            (uri, status, headers)
        }
    };
    let contact = "00000000-0000-4000-8000-000000000000";
    for (uri, status, headers) in [
        get("/it/desk".into(), operator.clone()).await,
        get("/it/desk/inbox".into(), operator.clone()).await,
        get(
            format!("/it/desk/contacts/{contact}/export"),
            operator.clone(),
        )
        .await,
        get("/it/backoffice".into(), editor.clone()).await,
        get("/it/backoffice/password".into(), editor.clone()).await,
        get("/it/surveys".into(), analyst.clone()).await,
        get("/it/login".into(), String::new()).await,
    ] {
        assert!(
            status.is_success() || status == StatusCode::NOT_FOUND,
            "{uri}: {status}"
        );
        assert_eq!(header(&headers, header::CACHE_CONTROL), "no-store", "{uri}");
        assert_eq!(
            header(&headers, header::REFERRER_POLICY),
            "no-referrer",
            "{uri}"
        );
    }
    let (_, headers, _) = get_from(&w, HOME, "/it/search?q=medico").await;
    assert_ne!(header(&headers, header::CACHE_CONTROL), "no-store");
    assert_eq!(
        header(&headers, header::REFERRER_POLICY),
        "strict-origin-when-cross-origin"
    );
}

fn limits(login: &str, search: &str, survey: &str) -> RateLimits {
    RateLimits {
        login: Rate::parse(login).unwrap(),
        search: Rate::parse(search).unwrap(),
        survey: Rate::parse(survey).unwrap(),
    }
}

#[tokio::test]
async fn searching_too_fast_from_one_address_is_refused_with_retry_after() {
    let w = World::with_config(WebConfig {
        rate_limits: limits("off", "3/h", "off"),
        ..WebConfig::default()
    })
    .await;
    let a = "198.51.100.1:40000";
    for uri in [
        "/api/search?q=medico",
        "/it/search?q=casa",
        "/api/hsds/services?search=medico",
    ] {
        let (status, _, _) = get_from(&w, a, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
    let (status, headers, body) = get_from(&w, a, "/api/search?q=medico").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = header(&headers, header::RETRY_AFTER).parse().unwrap();
    assert!(wait > 60 && wait <= 1200, "{wait}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    let (status, headers, html) = get_from(&w, a, "/fr/search?q=logement").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert!(html.contains("Trop de demandes"), "{html}");
    assert!(html.contains("data-error-code=\"rate_limited\""));
    let (status, _, _) = get_from(&w, a, "/api/hsds/services?search=casa").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _, _) = get_from(&w, a, "/api/hsds/services").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "listing without search is not limited"
    );
    let (status, _, _) = get_from(&w, "198.51.100.2:40000", "/api/search?q=medico").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "another address has its own allowance"
    );
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let w = World::with_config(WebConfig {
        rate_limits: limits("off", "1/h", "off"),
        trusted_proxies: vec!["10.0.0.1/32".parse().unwrap()],
        ..WebConfig::default()
    })
    .await;
    let via = |peer: &'static str, client: &'static str| {
        let w = &w;
        async move {
            let request = Request::get("/api/search?q=medico")
                .header("x-forwarded-for", format!("203.0.113.250, {client}"))
                .body(Body::empty())
                .unwrap();
            send_from(w, peer, request).await.0
        }
    };
    let proxy = "10.0.0.1:5000";
    assert_eq!(via(proxy, "198.51.100.1").await, StatusCode::OK);
    assert_eq!(
        via(proxy, "198.51.100.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        via(proxy, "198.51.100.2").await,
        StatusCode::OK,
        "another client"
    );
    let stranger = "192.0.2.9:5000";
    assert_eq!(via(stranger, "198.51.100.3").await, StatusCode::OK);
    assert_eq!(
        via(stranger, "198.51.100.4").await,
        StatusCode::TOO_MANY_REQUESTS,
        "an untrusted peer cannot pick its address"
    );
}

#[tokio::test]
async fn logins_and_anonymous_survey_pages_are_limited_per_address() {
    let w = World::with_config(WebConfig {
        rate_limits: limits("2/h", "off", "2/h"),
        ..WebConfig::default()
    })
    .await;
    let a = "198.51.100.1:40000";
    let post = |uri: &'static str, cookie: Option<&'static str>| {
        let w = &w;
        async move {
            let mut request = Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            if let Some(c) = cookie {
                request = request.header(header::COOKIE, c);
            }
            send_from(
                w,
                a,
                request
                    .body(Body::from("email=x%40y.it&password=p"))
                    .unwrap(),
            )
            .await
        }
    };
    for _ in 0..2 {
        assert_ne!(
            post("/it/login", None).await.0,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    let (status, headers, html) = post("/en/login", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert!(html.contains("Too many requests"), "{html}");
    let (status, _, _) = get_from(&w, a, "/it/login").await;
    assert_eq!(status, StatusCode::OK, "the form itself is not counted");
    let (status, _, _) = get_from(&w, a, "/it/login/oidc").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "nor a way around");

    for _ in 0..2 {
        assert_ne!(
            post("/it/s/no-such-survey", None).await.0,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    let (status, _, html) = post("/it/s/no-such-survey", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("Troppe richieste"), "{html}");
    let (status, _, _) = post("/it/s/no-such-survey", Some("crocevia_session=abc")).await;
    assert_ne!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "signed-in respondents are not limited"
    );
    let (status, _, _) = get_from(&w, a, "/it/s/no-such-survey").await;
    assert_ne!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "reading a page is not limited"
    );
}

/// The login form fetched and posted from `peer`, as a browser there would.
async fn login_from(
    w: &World,
    peer: &str,
    email: &str,
    password: &str,
) -> (StatusCode, HeaderMap, String) {
    let (status, headers, html) = get_from(w, peer, "/it/login").await;
    assert_eq!(status, StatusCode::OK);
    let cookies: Vec<String> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let csrf_cookie = cookie_value(&cookies, "crocevia_login_csrf").unwrap();
    let body = format!(
        "email={}&password={}&csrf={}",
        encode(email),
        encode(password),
        csrf_field(&html)
    );
    let request = Request::post("/it/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("crocevia_login_csrf={csrf_cookie}"))
        .body(Body::from(body))
        .unwrap();
    send_from(w, peer, request).await
}

#[tokio::test]
async fn failing_on_purpose_does_not_lock_the_owner_out_but_slows_the_guesser() {
    let w = World::with_config(WebConfig {
        rate_limits: RateLimits::OFF,
        ..WebConfig::default()
    })
    .await;
    let org = w
        .records
        .iter()
        .find(|r| r.table == "organization")
        .unwrap()
        .id
        .clone();
    w.account(&org, "ada@example.it", "editor").await;
    let attacker = "203.0.113.66:41000";
    let owner = "198.51.100.7:52000";
    for _ in 0..5 {
        let (status, _, html) = login_from(&w, attacker, "ada@example.it", "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(html.contains("Accesso non riuscito"));
    }
    let (status, headers, html) = login_from(&w, attacker, "ada@example.it", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser waits, even with the password"
    );
    assert_eq!(header(&headers, header::RETRY_AFTER), "60");
    assert!(html.contains("Troppi tentativi"), "{html}");
    let (status, _, _) = login_from(&w, owner, "ada@example.it", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the owner, from elsewhere, gets in"
    );

    w.clock.advance(chrono::Duration::minutes(1));
    let (status, _, _) = login_from(&w, attacker, "ada@example.it", "still wrong!").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, headers, _) = login_from(&w, attacker, "ada@example.it", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&headers, header::RETRY_AFTER),
        "120",
        "the wait doubles"
    );
    w.clock.advance(chrono::Duration::minutes(2));
    let (status, _, _) = login_from(&w, attacker, "ada@example.it", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "then the right password works"
    );

    for _ in 0..5 {
        login_from(&w, attacker, "nobody@example.it", "guess").await;
    }
    let (status, _, _) = login_from(&w, attacker, "nobody@example.it", "guess").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "unknown e-mails wait the same, so waiting tells nothing"
    );
}
