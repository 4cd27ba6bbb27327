//! The admin app (SPA) at `/app/`: the files of `frontend/dist`, embedded in the binary at
//! build time or read from a directory (`TICKETD_STATIC_DIR`). Any path under `/app/` that
//! names no file gets `index.html`, so deep links such as `/app/tickets/ACME-12` load the
//! app, whose router takes it from there. Every answer carries a strict CSP.

use std::borrow::Cow;
use std::path::PathBuf;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

/// `frontend/dist` as built by `scripts/build-frontend.sh`. A binary built before the app
/// compiles anyway (`allow_missing`) and serves a page saying how to build it.
#[derive(RustEmbed)]
#[folder = "../../frontend/dist"]
#[allow_missing = true]
struct Dist;

pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                       connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>ticketd admin app</title></head><body><h1>The admin app is not built</h1>\
<p>The admin app is not built: run <code>./scripts/build-frontend.sh</code> and restart \
ticketd (or start it with <code>./scripts/run.sh</code>, which does both). The API and its \
docs at <a href=\"/docs/\">/docs/</a> work without it.</p></body></html>";

/// Where the app's files come from.
#[derive(Debug, Clone, Default)]
pub enum Spa {
    /// Embedded in the binary.
    #[default]
    Embedded,
    /// Read from this directory on each request (`TICKETD_STATIC_DIR`).
    Dir(PathBuf),
}

impl Spa {
    pub fn from_dir(dir: Option<PathBuf>) -> Self {
        dir.map_or(Spa::Embedded, Spa::Dir)
    }

    /// Whether the app is there to serve (its `index.html` exists).
    pub fn is_built(&self) -> bool {
        match self {
            Spa::Embedded => Dist::get("index.html").is_some(),
            Spa::Dir(dir) => dir.join("index.html").is_file(),
        }
    }

    /// A file and its content type.
    async fn file(&self, name: &str) -> Option<(Cow<'static, [u8]>, String)> {
        match self {
            Spa::Embedded => Dist::get(name).map(|f| (f.data, with_charset(f.metadata.mimetype()))),
            Spa::Dir(dir) => {
                let body = tokio::fs::read(dir.join(name)).await.ok()?;
                Some((
                    Cow::Owned(body),
                    with_charset(mime_guess::from_path(name).first_or_octet_stream().as_ref()),
                ))
            }
        }
    }
}

/// A relative file name from the part of the path after `/app/`, or None for a name that
/// could leave the directory.
fn file_name(rest: &str) -> Option<&str> {
    let rest = rest.trim_start_matches('/');
    let safe = rest.split('/').all(|seg| !seg.starts_with('.') && !seg.contains('\\') && !seg.contains('%'));
    safe.then_some(rest)
}

/// A file's content type as `mime_guess` names it (`Dist`'s metadata, guessed at build time,
/// or the same guess for a directory's file), text declared UTF-8.
fn with_charset(mime: &str) -> String {
    if mime.starts_with("text/") && !mime.contains("charset") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    }
}

/// An asset that is missing is a 404, not the app's page (a script tag would try to run it).
fn is_asset(name: &str) -> bool {
    matches!(
        name.rsplit_once('.').map(|(_, ext)| ext),
        Some("js" | "wasm" | "css" | "map" | "png" | "ico" | "svg")
    )
}

fn secure(mut res: HttpResponse) -> HttpResponse {
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // File names are not content-hashed: always revalidate.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// Everything under `/app`.
pub async fn serve_app(req: HttpRequest, spa: web::Data<Spa>) -> HttpResponse {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return secure(HttpResponse::MethodNotAllowed().insert_header((header::ALLOW, "GET, HEAD")).finish());
    }
    let Some(rest) = req.path().strip_prefix("/app") else {
        return secure(HttpResponse::NotFound().finish());
    };
    if rest.is_empty() {
        return secure(HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/app/")).finish());
    }
    let Some(name) = file_name(rest) else {
        return secure(HttpResponse::NotFound().content_type("text/plain").body("not found"));
    };
    if !name.is_empty()
        && name != "index.html"
        && let Some((body, content_type)) = spa.file(name).await
    {
        return secure(HttpResponse::Ok().content_type(content_type).body(body.into_owned()));
    }
    if is_asset(name) {
        return secure(HttpResponse::NotFound().content_type("text/plain").body("not found"));
    }
    match spa.file("index.html").await {
        Some((body, content_type)) => {
            secure(HttpResponse::Ok().content_type(content_type).body(body.into_owned()))
        }
        None => secure(
            HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE)
                .content_type("text/html; charset=utf-8")
                .body(NOT_BUILT),
        ),
    }
}

/// `/` → `/app/`.
pub async fn root() -> HttpResponse {
    HttpResponse::Found().insert_header((header::LOCATION, "/app/")).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside_the_directory() {
        assert_eq!(file_name("/frontend_bg.wasm"), Some("frontend_bg.wasm"));
        assert_eq!(file_name("/tickets/ACME-12"), Some("tickets/ACME-12"));
        assert_eq!(file_name("/../Cargo.toml"), None);
        assert_eq!(file_name("/.env"), None);
        assert_eq!(file_name("/%2e%2e/x"), None);
        assert!(is_asset("frontend.js") && !is_asset("tickets/ACME-12"));
    }

    #[test]
    fn text_is_utf8() {
        assert_eq!(with_charset("text/html"), "text/html; charset=utf-8");
        assert_eq!(with_charset("application/wasm"), "application/wasm");
        let guess = |name: &str| with_charset(mime_guess::from_path(name).first_or_octet_stream().as_ref());
        assert_eq!(guess("frontend_bg.wasm"), "application/wasm");
        assert_eq!(guess("frontend.js"), "text/javascript; charset=utf-8");
    }
}
