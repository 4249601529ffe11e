//! Pages answer errors as pages. A handler's `AppError` (an unknown language or service, a
//! bad parameter, a store failure) is JSON, right for the API; on a page route the
//! [`pages_answer_html`] layer turns it into a translated page in the URL's language (the
//! default language when the URL names none we have), keeping the status and the stable code
//! (as `data-error-code`). A browser never receives JSON for a failed page.

use askama::Template;
use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use crocevia_i18n::Language;

use crate::kit::{Page, render};

/// An error body larger than this is not read for its code (ours are a few hundred bytes).
const MAX_ERROR_BODY: usize = 64 * 1024;

#[derive(Template)]
#[template(path = "error_page.html")]
struct ErrorPage {
    page: Page,
    code: String,
    message: String,
}

/// The language a path starts with (`/ar/…`), else the default one.
pub fn language_of_path(path: &str) -> &'static Language {
    crocevia_i18n::language_of_path(path).unwrap_or_else(|| {
        crocevia_i18n::language(crocevia_i18n::DEFAULT_LANGUAGE)
            .expect("the default language exists")
    })
}

/// An error page: `title` is a message id, `message` the text under it, `code` the stable code.
pub fn error_page(
    language: &'static Language,
    status: StatusCode,
    code: &str,
    title: &str,
    message: String,
) -> Response {
    let mut page = Page::new(language, "/");
    page.title = page.t(title);
    let body = render(&ErrorPage {
        page,
        code: code.to_owned(),
        message,
    });
    (status, body).into_response()
}

/// The message that explains a status to a visitor.
fn message_id(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => "common-error-not-found",
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "common-error-forbidden",
        s if s.is_server_error() => "common-error-server",
        _ => "common-error-bad-request",
    }
}

/// The answer to a path no route serves (outside `/api`, which answers JSON): a 404 page in
/// the path's language, or the visitor's (cookie, then `Accept-Language`) when it names none.
pub async fn not_found(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    let language = crocevia_i18n::language_of_path(uri.path()).unwrap_or_else(|| {
        language_of_path(&format!("/{}/", crate::kit::visitor_language(&headers)))
    });
    let page = Page::new(language, "/");
    error_page(
        language,
        StatusCode::NOT_FOUND,
        "not_found",
        "common-error-title",
        page.t("common-error-not-found"),
    )
}

/// Layer (`middleware::from_fn`) for the page routes.
pub async fn pages_answer_html(request: Request, next: Next) -> Response {
    let language = language_of_path(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let code = to_bytes(body, MAX_ERROR_BODY)
        .await
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "error".to_owned());
    let page = Page::new(language, "/");
    let mut answer = error_page(
        language,
        status,
        &code,
        "common-error-title",
        page.t(message_id(status)),
    );
    // Keep what the handler said besides the body (Retry-After, Allow, …).
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    answer
}
