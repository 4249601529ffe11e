//! The headers every answer carries (one layer on the whole router, [`headers`]) and the
//! stricter ones of personal pages (one layer on their route group, [`personal`]).
//!
//! - `Content-Security-Policy`: scripts only from this server (`script-src 'self'`: no inline
//!   script, no `on…=` handler, no `eval`), images from this server, `data:` URIs (Bootstrap
//!   Italia's CSS draws icons with them) and the configured extra sources (a map tile server),
//!   fonts from this server and `data:` URIs (Bootstrap Italia's CSS embeds video.js's icon
//!   font as one, and Chromium 156 loads it on every page; a font cannot run code), no plug-ins, no framing (`frame-ancestors 'none'`), forms posting only here.
//!   Styles: `style-src 'self' 'unsafe-inline'`. Pages drawn without JavaScript size bars and
//!   charts with `style="width: …%"` (survey progress and analysis, SVG charts), Bootstrap
//!   Italia's `loadFonts` injects the `@font-face` rules as a `<style>` element and htmx 2 its
//!   indicator rules; an injected style cannot run code, and every value in a template is
//!   escaped, so the gain of forbidding them would not pay for rewriting those pieces now.
//! - `X-Frame-Options: DENY` for browsers older than `frame-ancestors`, `X-Content-Type-Options:
//!   nosniff`, `Referrer-Policy: strict-origin-when-cross-origin`.
//! - `Strict-Transport-Security` only when the public URL is `https://…`: a plain-HTTP
//!   deployment (or a test on loopback) must not teach browsers to refuse it.
//!
//! Personal pages (the desk, the back office, survey management, analyses and exports, the
//! respondent's own answers, login and account pages) add `Cache-Control: no-store` and
//! `Referrer-Policy: no-referrer`: what they show must not stay in a shared browser's cache,
//! and their URLs (which name contacts and referrals) must not leave in a `Referer`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// The headers of every answer, computed once from the configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    csp: HeaderValue,
    hsts: Option<HeaderValue>,
}

/// One year, the value HSTS preload lists ask for.
const HSTS: &str = "max-age=31536000";

impl Policy {
    /// `img_sources`: origins allowed for images beside this server (e.g. a tile server,
    /// `https://tile.openstreetmap.org`); sources that are not valid header text are left out.
    pub fn new(public_url: &str, img_sources: &[String]) -> Self {
        let csp = HeaderValue::from_str(&content_security_policy(img_sources))
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
        Policy {
            csp,
            hsts: public_url
                .starts_with("https://")
                .then(|| HeaderValue::from_static(HSTS)),
        }
    }
}

/// The Content-Security-Policy text.
pub fn content_security_policy(img_sources: &[String]) -> String {
    let mut img = String::from("'self' data:");
    for source in img_sources {
        let source = source.trim();
        let plain = !source.is_empty()
            && source
                .chars()
                .all(|c| c.is_ascii_graphic() && !matches!(c, ';' | ',' | '\''));
        if plain {
            img.push(' ');
            img.push_str(source);
        }
    }
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src {img}; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

fn set_if_absent(response: &mut Response, name: HeaderName, value: HeaderValue) {
    response.headers_mut().entry(name).or_insert(value);
}

/// Layer (`map_response_with_state`) for the whole router.
pub async fn headers(State(policy): State<Arc<Policy>>, mut response: Response) -> Response {
    set_if_absent(
        &mut response,
        header::CONTENT_SECURITY_POLICY,
        policy.csp.clone(),
    );
    set_if_absent(
        &mut response,
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    );
    set_if_absent(
        &mut response,
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    set_if_absent(
        &mut response,
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if let Some(hsts) = &policy.hsts {
        set_if_absent(
            &mut response,
            header::STRICT_TRANSPORT_SECURITY,
            hsts.clone(),
        );
    }
    response
}

/// Layer (`map_response`) for the route group of personal pages.
pub async fn personal(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_image_sources_join_img_src_and_odd_ones_are_dropped() {
        let csp =
            content_security_policy(&["https://tile.example.org".into(), "x; script-src *".into()]);
        assert!(
            csp.contains("img-src 'self' data: https://tile.example.org;"),
            "{csp}"
        );
        assert!(!csp.contains("script-src *"), "{csp}");
    }
}
