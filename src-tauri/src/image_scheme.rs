//! `caliber-img://localhost/<percent-encoded original URL>`: pictures from the core's offline
//! store (no network when stored), else fetched once, stored and served.

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

pub fn handle<R: Runtime>(ctx: UriSchemeContext<'_, R>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let app = ctx.app_handle().clone();
    let path = request.uri().path().to_owned();
    tauri::async_runtime::spawn(async move {
        let not_found = |why: &str| Response::builder().status(StatusCode::NOT_FOUND).body(why.as_bytes().to_vec()).unwrap_or_default();
        let Some(url) = original_url(&path) else {
            return responder.respond(not_found("not a picture URL"));
        };
        let core = app.state::<AppState>().core.clone();
        let response = match core.fetch_image(&url).await {
            Ok(Some((content_type, bytes))) => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::CACHE_CONTROL, "max-age=31536000, immutable")
                .body(bytes)
                .unwrap_or_default(),
            _ => not_found("picture not stored and not reachable"),
        };
        responder.respond(response);
    });
}

#[cfg(test)]
mod tests {
    use super::original_url;

    #[test]
    fn scheme_paths_decode_to_the_original_url() {
        assert_eq!(original_url("/https%3A%2F%2Fcaliber.az%2Fuploads%2Fa%20b.jpg%3Fx%3D1").as_deref(), Some("https://caliber.az/uploads/a b.jpg?x=1"));
        assert_eq!(original_url("/file%3A%2F%2F%2Fetc%2Fpasswd"), None, "only http(s) pictures");
        assert_eq!(original_url("/%zz"), None);
    }
}
