//! Static files under `/static/…`, embedded in the binary by `build.rs`:
//!
//! - `bootstrap-italia/css/bootstrap-italia.min.css`, `bootstrap-italia/js/bootstrap-italia.bundle.min.js`,
//!   `bootstrap-italia/svg/sprites.svg`, `bootstrap-italia/fonts/<Family>/…` (WOFF2/WOFF)
//! - `leaflet/leaflet.css`, `leaflet/leaflet.js`, `leaflet/images/…`
//! - `htmx/htmx.min.js`
//! - `crocevia/…`: everything under `crates/web/assets/` (`crocevia.css`, `crocevia.js`,
//!   `favicon.svg`)
//!
//! Vendored files are cached for a year (`immutable`); link them with [`url`], which adds a
//! content hash as `?v=…` so that an upgrade of a package reaches browsers at once. Our own
//! files under `crocevia/` are cached for ten minutes. Every answer carries an ETag; a
//! matching `If-None-Match` gets 304.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One embedded file.
#[derive(Debug)]
pub struct StaticFile {
    /// Path under `/static/`, e.g. `leaflet/leaflet.js`.
    pub path: &'static str,
    pub bytes: &'static [u8],
    /// A strong ETag, quotes included.
    pub etag: &'static str,
    /// The file compressed with brotli, for a text file that shrinks by a tenth or more.
    pub br: Option<&'static [u8]>,
    /// The same with gzip, for browsers without brotli.
    pub gzip: Option<&'static [u8]>,
}

/// How a file goes out: as stored, or in one of its compressed forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Brotli,
    Gzip,
}

impl StaticFile {
    /// The best form `accept_encoding` accepts (brotli, then gzip, then as stored), with its
    /// bytes.
    fn negotiate(&self, accept_encoding: &str) -> (Encoding, &'static [u8]) {
        let accepts = |name: &str| {
            accept_encoding.split(',').any(|item| {
                let mut parts = item.split(';').map(str::trim);
                parts
                    .next()
                    .is_some_and(|coding| coding.eq_ignore_ascii_case(name))
                    && parts.all(|p| {
                        p.strip_prefix("q=")
                            .is_none_or(|q| q.parse::<f32>().is_ok_and(|q| q > 0.0))
                    })
            })
        };
        match (self.br, self.gzip) {
            (Some(br), _) if accepts("br") => (Encoding::Brotli, br),
            (_, Some(gz)) if accepts("gzip") => (Encoding::Gzip, gz),
            _ => (Encoding::Identity, self.bytes),
        }
    }
}

impl Encoding {
    /// The ETag of this form: each form is a different representation (RFC 9110 §8.8.3).
    fn etag(self, etag: &str) -> HeaderValue {
        let suffix = match self {
            Encoding::Identity => return HeaderValue::from_str(etag).expect("a valid ETag"),
            Encoding::Brotli => "br",
            Encoding::Gzip => "gz",
        };
        let tag = format!("{}-{suffix}\"", etag.trim_end_matches('"'));
        HeaderValue::from_str(&tag).expect("a valid ETag")
    }
}

include!(concat!(env!("OUT_DIR"), "/static_files.rs"));

/// Cache lifetime of vendored files: their content only changes with a new binary.
pub const CACHE_VENDORED: &str = "public, max-age=31536000, immutable";
/// Cache lifetime of our own files under `crocevia/`.
pub const CACHE_OWN: &str = "public, max-age=600";

/// Every embedded file, sorted by path.
pub fn files() -> &'static [StaticFile] {
    FILES
}

/// The embedded file at `path` (relative to `/static/`), if there is one. Only exact paths
/// match: `..`, `.`, empty segments and backslashes never do.
pub fn get(path: &str) -> Option<&'static StaticFile> {
    if !is_clean(path) {
        return None;
    }
    FILES
        .binary_search_by(|f| f.path.cmp(path))
        .ok()
        .map(|i| &FILES[i])
}

/// The URL to link a static file with: `/static/<path>?v=<content hash>`. For a path that is
/// not embedded (a typo in a template) the plain URL, which will answer 404.
pub fn url(path: &str) -> String {
    match get(path) {
        Some(file) => {
            let hash = file.etag.trim_matches('"');
            let short = hash.split('-').next().unwrap_or(hash);
            format!("/static/{path}?v={}", &short[..short.len().min(10)])
        }
        None => format!("/static/{path}"),
    }
}

fn is_clean(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..")
}

/// The Content-Type for a file name, by extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "geojson" => "application/geo+json",
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "eot" => "application/vnd.ms-fontobject",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// The Cache-Control for a path under `/static/`.
pub fn cache_control(path: &str) -> &'static str {
    if path.starts_with("crocevia/") {
        CACHE_OWN
    } else {
        CACHE_VENDORED
    }
}

/// `GET /static/{*path}`.
pub async fn serve_static(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(file) = get(&path) else {
        return (
            StatusCode::NOT_FOUND,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            "Not found\n",
        )
            .into_response();
    };
    let accept_encoding = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (encoding, bytes) = file.negotiate(accept_encoding);
    let etag = encoding.etag(file.etag);
    let cache = HeaderValue::from_static(cache_control(file.path));
    let compressible = file.br.is_some() || file.gzip.is_some();
    let mut response = if if_none_match(&headers, etag.to_str().unwrap_or_default()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Response::new(Body::from(bytes));
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(file.path)),
        );
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        let coding = match encoding {
            Encoding::Identity => None,
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
        };
        if let Some(coding) = coding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        response
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, cache);
    if compressible {
        // Caches keep one copy per encoding.
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 §13.1.2 asks) or is `*`.
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::to_bytes;
    use axum::http::Request;
    use axum::routing::get as get_route;
    use tower::ServiceExt;

    fn app() -> Router {
        Router::new().route("/static/{*path}", get_route(serve_static))
    }

    async fn fetch(uri: &str, if_none_match: Option<&str>) -> Response {
        let mut request = Request::builder().uri(uri);
        if let Some(tag) = if_none_match {
            request = request.header(header::IF_NONE_MATCH, tag);
        }
        app()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    fn header_of(response: &Response, name: header::HeaderName) -> &str {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[test]
    fn the_pages_files_are_embedded() {
        for path in [
            "bootstrap-italia/css/bootstrap-italia.min.css",
            "bootstrap-italia/js/bootstrap-italia.bundle.min.js",
            "bootstrap-italia/svg/sprites.svg",
            "bootstrap-italia/fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-regular.woff2",
            "bootstrap-italia/fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-600.woff2",
            "bootstrap-italia/fonts/Lora/lora-v20-latin-ext_latin-regular.woff2",
            "bootstrap-italia/fonts/Roboto_Mono/roboto-mono-v13-latin-ext_latin-regular.woff2",
            "leaflet/leaflet.css",
            "leaflet/leaflet.js",
            "leaflet/images/marker-icon.png",
            "leaflet/images/marker-icon-2x.png",
            "leaflet/images/marker-shadow.png",
            "leaflet/images/layers.png",
            "htmx/htmx.min.js",
            "crocevia/crocevia.css",
            "crocevia/crocevia.js",
            "crocevia/favicon.svg",
        ] {
            let file = get(path).unwrap_or_else(|| panic!("{path} is not embedded"));
            assert!(!file.bytes.is_empty(), "{path} is empty");
        }
        // Sorted, so lookups can bisect.
        assert!(files().windows(2).all(|w| w[0].path < w[1].path));
    }

    #[test]
    fn htmx_is_major_version_2() {
        let js = std::str::from_utf8(get("htmx/htmx.min.js").unwrap().bytes).unwrap();
        assert!(js.contains("version:\"2."), "htmx.min.js is not htmx 2");
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a/b.min.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("x.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("s/sprites.svg"), "image/svg+xml");
        assert_eq!(content_type("f/x.woff2"), "font/woff2");
        assert_eq!(content_type("f/x.WOFF"), "font/woff");
        assert_eq!(content_type("i/marker.png"), "image/png");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }

    #[tokio::test]
    async fn serves_with_type_cache_and_etag() {
        let response = fetch(
            "/static/bootstrap-italia/css/bootstrap-italia.min.css",
            None,
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header_of(&response, header::CONTENT_TYPE),
            "text/css; charset=utf-8"
        );
        assert_eq!(header_of(&response, header::CACHE_CONTROL), CACHE_VENDORED);
        assert!(header_of(&response, header::ETAG).starts_with('"'));
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(
            &body[..],
            get("bootstrap-italia/css/bootstrap-italia.min.css")
                .unwrap()
                .bytes
        );

        let response = fetch("/static/crocevia/crocevia.js", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header_of(&response, header::CONTENT_TYPE),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(header_of(&response, header::CACHE_CONTROL), CACHE_OWN);

        let response = fetch("/static/leaflet/images/marker-icon.png", None).await;
        assert_eq!(header_of(&response, header::CONTENT_TYPE), "image/png");
        let response = fetch(
            "/static/bootstrap-italia/fonts/Lora/lora-v20-latin-ext_latin-700.woff2",
            None,
        )
        .await;
        assert_eq!(header_of(&response, header::CONTENT_TYPE), "font/woff2");
    }

    #[tokio::test]
    async fn not_modified_when_the_etag_matches() {
        let etag = get("htmx/htmx.min.js").unwrap().etag;
        let response = fetch("/static/htmx/htmx.min.js", Some(etag)).await;
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header_of(&response, header::ETAG), etag);
        assert_eq!(header_of(&response, header::CACHE_CONTROL), CACHE_VENDORED);
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert!(body.is_empty());

        // In a list, weak, or `*`.
        let listed = format!("\"other\", W/{etag}");
        let response = fetch("/static/htmx/htmx.min.js", Some(&listed)).await;
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        let response = fetch("/static/htmx/htmx.min.js", Some("*")).await;
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);

        // A stale tag gets the file.
        let response = fetch("/static/htmx/htmx.min.js", Some("\"0-0\"")).await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn unknown_paths_are_plain_404() {
        for uri in [
            "/static/nothing.css",
            "/static/bootstrap-italia/",
            "/static/bootstrap-italia/css",
            "/static/crocevia/",
        ] {
            let response = fetch(uri, None).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(
                header_of(&response, header::CONTENT_TYPE),
                "text/plain; charset=utf-8"
            );
            let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
            assert_eq!(&body[..], b"Not found\n");
        }
    }

    #[tokio::test]
    async fn no_directory_traversal() {
        for uri in [
            "/static/../Cargo.toml",
            "/static/..%2F..%2FCargo.toml",
            "/static/%2e%2e/%2e%2e/Cargo.toml",
            "/static/crocevia/../../build.rs",
            "/static/bootstrap-italia/../leaflet/leaflet.js",
            "/static/./leaflet/leaflet.js",
            "/static/leaflet//leaflet.js",
            "/static/leaflet%5Cleaflet.js",
            "/static//etc/passwd",
            "/static/%2Fetc%2Fpasswd",
        ] {
            let response = fetch(uri, None).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{uri}");
        }
        assert!(get("leaflet/../leaflet/leaflet.js").is_none());
        assert!(get("/leaflet/leaflet.js").is_none());
        assert!(get("").is_none());
    }

    async fn fetch_encoded(uri: &str, accept: &str, if_none_match: Option<&str>) -> Response {
        let mut request = Request::builder()
            .uri(uri)
            .header(header::ACCEPT_ENCODING, accept);
        if let Some(tag) = if_none_match {
            request = request.header(header::IF_NONE_MATCH, tag);
        }
        app()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    fn decoded(encoding: &str, body: &[u8]) -> Vec<u8> {
        use std::io::Read as _;
        let mut out = Vec::new();
        match encoding {
            "br" => brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .unwrap(),
            "gzip" => flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap(),
            "" => return body.to_vec(),
            other => panic!("unexpected encoding {other}"),
        };
        out
    }

    #[tokio::test]
    async fn text_files_go_out_compressed_as_the_browser_accepts() {
        let path = "bootstrap-italia/js/bootstrap-italia.bundle.min.js";
        let original = get(path).unwrap().bytes;
        let uri = format!("/static/{path}");
        for (accept, expected) in [
            ("gzip, deflate, br, zstd", "br"),
            ("gzip", "gzip"),
            ("br;q=0, gzip;q=0.8", "gzip"),
            ("identity", ""),
            ("", ""),
        ] {
            let response = fetch_encoded(&uri, accept, None).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(
                header_of(&response, header::CONTENT_ENCODING),
                expected,
                "{accept}"
            );
            assert_eq!(header_of(&response, header::VARY), "accept-encoding");
            let etag = header_of(&response, header::ETAG).to_owned();
            let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
            assert_eq!(decoded(expected, &body), original, "{accept}");
            if !expected.is_empty() {
                assert!(
                    body.len() * 3 < original.len(),
                    "{expected}: {} bytes",
                    body.len()
                );
            }
            // Each form has its own ETag, and revalidates.
            let again = fetch_encoded(&uri, accept, Some(&etag)).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{accept}");
        }
        let brotli_tag = fetch_encoded(&uri, "br", None).await;
        let brotli_tag = header_of(&brotli_tag, header::ETAG).to_owned();
        let as_gzip = fetch_encoded(&uri, "gzip", Some(&brotli_tag)).await;
        assert_eq!(
            as_gzip.status(),
            StatusCode::OK,
            "a brotli ETag is not the gzip form's"
        );

        // Fonts and images are compressed already: sent as they are.
        let font = "/static/bootstrap-italia/fonts/Lora/lora-v20-latin-ext_latin-700.woff2";
        let response = fetch_encoded(font, "br, gzip", None).await;
        assert_eq!(header_of(&response, header::CONTENT_ENCODING), "");
        assert_eq!(header_of(&response, header::VARY), "");
    }

    #[test]
    fn urls_carry_a_content_hash() {
        let u = url("leaflet/leaflet.js");
        assert!(u.starts_with("/static/leaflet/leaflet.js?v="), "{u}");
        assert!(u.len() > "/static/leaflet/leaflet.js?v=".len());
    }
}
