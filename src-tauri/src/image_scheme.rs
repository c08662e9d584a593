//! `caliber-img://localhost/<percent-encoded original URL>`: pictures from the core's offline
//! store (no network when stored), else fetched once, stored and served.
//!
//! Documents on a registered scheme count as the app's own origin in Tauri, so a feed that
//! got a script served here would speak to the app: only raster pictures are served, never
//! SVG or anything else a browser could run, and nothing is ever sniffed into HTML.

use std::sync::atomic::{AtomicUsize, Ordering};

use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

pub const SCHEME: &str = "caliber-img";

/// The original picture URL a scheme request stands for.
pub fn original_url(request_path: &str) -> Option<String> {
    let encoded = request_path.trim_start_matches('/');
    let decoded = percent_decode(encoded)?;
    (decoded.starts_with("http://") || decoded.starts_with("https://")).then_some(decoded)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Raster picture types: nothing in them can run script. SVG (which can) is refused.
const RASTER_TYPES: &[&str] = &[
    "image/jpeg",
    "image/jpg",
    "image/pjpeg",
    "image/png",
    "image/apng",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/bmp",
    "image/x-ms-bmp",
    "image/x-icon",
    "image/vnd.microsoft.icon",
];

/// On every response, pictures included: no type guessing, and were the response ever
/// loaded as a document, no script, no requests, a unique origin.
const NO_SCRIPT_CSP: &str = "sandbox; default-src 'none'";

/// The media type of a `Content-Type` value if it is a raster picture type (lowercase).
pub fn raster_type(content_type: &str) -> Option<String> {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    RASTER_TYPES.contains(&essence.as_str()).then_some(essence)
}

fn guarded(status: StatusCode) -> tauri::http::response::Builder {
    Response::builder()
        .status(status)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CONTENT_SECURITY_POLICY, NO_SCRIPT_CSP)
}

/// A refusal (no picture here), as plain text.
pub fn refusal(status: StatusCode, why: &str) -> Response<Vec<u8>> {
    guarded(status).header(header::CONTENT_TYPE, "text/plain; charset=utf-8").body(why.as_bytes().to_vec()).unwrap_or_default()
}

/// What the scheme answers for a stored or fetched picture: raster types as themselves,
/// anything else (SVG, HTML, XML …) refused with 415.
pub fn picture_response(content_type: &str, bytes: Vec<u8>) -> Response<Vec<u8>> {
    match raster_type(content_type) {
        Some(media_type) => guarded(StatusCode::OK)
            .header(header::CONTENT_TYPE, media_type)
            .header(header::CACHE_CONTROL, "max-age=31536000, immutable")
            .body(bytes)
            .unwrap_or_default(),
        None => refusal(StatusCode::UNSUPPORTED_MEDIA_TYPE, "not a raster picture"),
    }
}

/// The box width a request asks a thumbnail for (`?w=224`), if it asks for one.
pub fn thumbnail_width(query: Option<&str>) -> Option<u32> {
    query?.split('&').find_map(|pair| pair.strip_prefix("w=")).and_then(|w| w.parse().ok()).filter(|&w| (1..=4096).contains(&w))
}

/// Picture requests being answered.
static PICTURES_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// One picture request being answered. The last of a burst (a screenful scrolled into view)
/// to finish hands the memory its decoding and copies freed back to the system, which
/// glibc would otherwise keep in holes between longer-lived blocks (`malloc.rs`).
struct PictureInFlight;

impl PictureInFlight {
    fn start() -> Self {
        PICTURES_IN_FLIGHT.fetch_add(1, Ordering::AcqRel);
        Self
    }
}

impl Drop for PictureInFlight {
    fn drop(&mut self) {
        if PICTURES_IN_FLIGHT.fetch_sub(1, Ordering::AcqRel) == 1 {
            caliber_core::malloc::give_back_free_memory();
        }
    }
}

pub fn handle<R: Runtime>(ctx: UriSchemeContext<'_, R>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let app = ctx.app_handle().clone();
    let path = request.uri().path().to_owned();
    let width = thumbnail_width(request.uri().query());
    let in_flight = PictureInFlight::start();
    // On the blocking pool: a screenful of pictures read from the database (and scaled)
    // must not hold the async workers that answer the reader's commands.
    tauri::async_runtime::spawn_blocking(move || {
        let _in_flight = in_flight;
        let Some(url) = original_url(&path) else {
            return responder.respond(refusal(StatusCode::NOT_FOUND, "not a picture URL"));
        };
        let core = app.state::<AppState>().core.clone();
        let picture = tauri::async_runtime::block_on(async {
            match width {
                Some(width) => core.fetch_thumbnail(&url, width).await,
                None => core.fetch_image(&url).await,
            }
        });
        let response = match picture {
            Ok(Some((content_type, bytes))) => picture_response(&content_type, bytes),
            _ => refusal(StatusCode::NOT_FOUND, "picture not stored and not reachable"),
        };
        responder.respond(response);
    });
}

#[cfg(test)]
mod tests {
    use super::{original_url, picture_response, refusal, thumbnail_width};
    use tauri::http::{StatusCode, header};

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";

    #[test]
    fn raster_pictures_are_served_as_themselves_with_nosniff() {
        for (declared, served) in [
            ("image/png", "image/png"),
            ("image/jpeg", "image/jpeg"),
            ("IMAGE/JPEG; charset=binary", "image/jpeg"),
            ("image/gif", "image/gif"),
            ("image/webp", "image/webp"),
            ("image/avif", "image/avif"),
            ("image/bmp", "image/bmp"),
            ("image/x-icon", "image/x-icon"),
        ] {
            let response = picture_response(declared, PNG.to_vec());
            assert_eq!(response.status(), StatusCode::OK, "{declared}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], served);
            assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(response.headers()[header::CONTENT_SECURITY_POLICY], "sandbox; default-src 'none'");
            assert_eq!(response.body(), PNG);
        }
    }

    #[test]
    fn svg_and_other_types_a_browser_could_run_are_refused() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>parent.__TAURI_INTERNALS__</script></svg>"#;
        for declared in ["image/svg+xml", "image/svg+xml; charset=utf-8", "text/html", "image/", "application/xml", "image/svg", ""] {
            let response = picture_response(declared, svg.to_vec());
            assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{declared:?}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], "text/plain; charset=utf-8");
            assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert!(!response.body().windows(4).any(|w| w == b"<svg"), "{declared:?}: the document is not passed on");
        }
    }

    #[test]
    fn refusals_carry_nosniff_and_the_sandbox_too() {
        let response = refusal(StatusCode::NOT_FOUND, "not a picture URL");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(response.headers()[header::CONTENT_SECURITY_POLICY], "sandbox; default-src 'none'");
    }

    #[test]
    fn scheme_paths_decode_to_the_original_url() {
        assert_eq!(original_url("/https%3A%2F%2Fcaliber.az%2Fuploads%2Fa%20b.jpg%3Fx%3D1").as_deref(), Some("https://caliber.az/uploads/a b.jpg?x=1"));
        assert_eq!(original_url("/file%3A%2F%2F%2Fetc%2Fpasswd"), None, "only http(s) pictures");
        assert_eq!(original_url("/%zz"), None);
    }

    #[test]
    fn a_thumbnail_is_asked_for_by_its_box_width() {
        assert_eq!(thumbnail_width(Some("w=224")), Some(224));
        assert_eq!(thumbnail_width(Some("x=1&w=112")), Some(112));
        assert_eq!(thumbnail_width(None), None, "the article view asks for the picture itself");
        assert_eq!(thumbnail_width(Some("w=0")), None);
        assert_eq!(thumbnail_width(Some("w=abc")), None);
        assert_eq!(thumbnail_width(Some("w=100000")), None);
    }
}
