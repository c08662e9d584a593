//! The window stays on the app. Any navigation of the webview away from the app's own origin
//! (a link followed by WebKit's "Open Link" context menu item, a script setting
//! `location`, a form) is refused; http(s) and mailto targets open in the system browser
//! instead. New windows ("Open Link in New Window", `window.open`) are never created, and
//! their http(s)/mailto targets open in the system browser too.

use tauri::plugin::{Builder as PluginBuilder, TauriPlugin};
use tauri::{AppHandle, Manager, Runtime, Url};
use tauri_plugin_opener::OpenerExt;

/// What to do with a navigation of the app's webview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Navigation {
    /// The app's own pages.
    Allow,
    /// Refuse it here, open it in the system browser (or mail client).
    OpenExternally,
    /// Refuse it (file:, data:, blob:, javascript:, the picture scheme, other schemes).
    Deny,
}

/// The app's own origin on this platform: `tauri://localhost` where custom schemes are real
/// schemes (Linux, macOS, iOS), `http(s)://tauri.localhost` where they are mapped onto
/// http (Windows, Android). The other form is refused, so on Linux a link to
/// `http://tauri.localhost` (a server on the loopback) cannot take the window.
fn is_app_origin(url: &Url) -> bool {
    let host = url.host_str();
    let port = url.port();
    if cfg!(any(windows, target_os = "android")) {
        matches!(url.scheme(), "http" | "https") && host == Some("tauri.localhost") && port.is_none()
    } else {
        url.scheme() == "tauri" && host == Some("localhost") && port.is_none()
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

/// The decision for one navigation. `dev_url`: the dev server the UI comes from in a dev
/// build (`build.devUrl`), `None` in a release build.
pub fn decide(url: &Url, dev_url: Option<&Url>) -> Navigation {
    if is_app_origin(url) || dev_url.is_some_and(|dev| same_origin(url, dev)) {
        return Navigation::Allow;
    }
    match url.scheme() {
        "http" | "https" | "mailto" => Navigation::OpenExternally,
        _ => Navigation::Deny,
    }
}

fn dev_url<R: Runtime, M: Manager<R>>(manager: &M) -> Option<Url> {
    tauri::is_dev().then(|| manager.config().build.dev_url.clone()).flatten()
}

/// Opens `url` with the system opener, off the UI thread: the opener waits a moment for the
/// launcher to fail, and the navigation callbacks run on the GTK main loop.
fn open_externally<R: Runtime>(app: &AppHandle<R>, url: &Url) {
    let app = app.clone();
    let url = url.to_string();
    std::thread::spawn(move || {
        if let Err(e) = app.opener().open_url(&url, None::<&str>) {
            caliber_core::log_line!("caliber: could not open {url} in the system browser: {e}");
        }
    });
}

/// Carries out a decision; true when the webview may go on.
fn follow<R: Runtime>(app: &AppHandle<R>, url: &Url, decision: Navigation) -> bool {
    match decision {
        Navigation::Allow => true,
        Navigation::OpenExternally => {
            open_externally(app, url);
            false
        }
        Navigation::Deny => {
            caliber_core::log_line!("caliber: refused navigating the window to {url}");
            false
        }
    }
}

/// The guard as a plugin, so every webview of the app (and the mock runtime) gets it.
pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    PluginBuilder::new("nav-guard")
        .on_navigation(|webview, url| {
            let decision = decide(url, dev_url(webview).as_ref());
            follow(webview.app_handle(), url, decision)
        })
        .build()
}

/// For `WebviewWindowBuilder::on_new_window` (desktop only): no second window, ever; an
/// external target goes to the system browser.
#[cfg(desktop)]
pub fn new_window_handler<R: Runtime>(
    app: &AppHandle<R>,
) -> impl Fn(Url, tauri::webview::NewWindowFeatures) -> tauri::webview::NewWindowResponse<R> + Send + 'static {
    let app = app.clone();
    move |url, _features| {
        let decision = match decide(&url, dev_url(&app).as_ref()) {
            // Even the app's own pages: a second window has no capability to call anything.
            Navigation::Allow => Navigation::Deny,
            other => other,
        };
        follow(&app, &url, decision);
        tauri::webview::NewWindowResponse::Deny
    }
}

#[cfg(test)]
mod tests {
    use super::{Navigation, decide};
    use tauri::Url;

    fn at(url: &str) -> Navigation {
        decide(&Url::parse(url).unwrap(), None)
    }

    #[test]
    fn the_apps_own_pages_are_allowed() {
        #[cfg(not(any(windows, target_os = "android")))]
        {
            assert_eq!(at("tauri://localhost"), Navigation::Allow);
            assert_eq!(at("tauri://localhost/index.html#/article/3"), Navigation::Allow);
            assert_eq!(at("tauri://evil.example/"), Navigation::Deny);
            // The other platforms' form is an ordinary (loopback) web page here.
            assert_eq!(at("http://tauri.localhost/"), Navigation::OpenExternally);
        }
        #[cfg(any(windows, target_os = "android"))]
        {
            assert_eq!(at("http://tauri.localhost/"), Navigation::Allow);
            assert_eq!(at("https://tauri.localhost/#/saved"), Navigation::Allow);
        }
        assert_eq!(at("http://tauri.localhost:8080/"), Navigation::OpenExternally);
    }

    #[test]
    fn the_dev_server_is_allowed_only_in_a_dev_build() {
        let dev = Url::parse("http://localhost:1420").unwrap();
        assert_eq!(decide(&Url::parse("http://localhost:1420/#/settings").unwrap(), Some(&dev)), Navigation::Allow);
        assert_eq!(decide(&Url::parse("http://localhost:1421/").unwrap(), Some(&dev)), Navigation::OpenExternally);
        assert_eq!(decide(&Url::parse("https://localhost:1420/").unwrap(), Some(&dev)), Navigation::OpenExternally);
        assert_eq!(at("http://localhost:1420/"), Navigation::OpenExternally);
    }

    #[test]
    fn web_and_mail_links_open_in_the_system_browser() {
        assert_eq!(at("https://caliber.az/post/gyandzha-park"), Navigation::OpenExternally);
        assert_eq!(at("http://127.0.0.1:8765/somewhere"), Navigation::OpenExternally);
        assert_eq!(at("mailto:editor@caliber.az"), Navigation::OpenExternally);
    }

    #[test]
    fn everything_else_is_refused() {
        for url in [
            "file:///etc/passwd",
            "data:text/html,<script>alert(1)</script>",
            "javascript:alert(1)",
            "blob:tauri://localhost/0b6c",
            "caliber-img://localhost/https%3A%2F%2Fevil.example%2Fx.svg",
            "caliber://article/3",
            "about:blank",
            "ftp://example.com/",
        ] {
            assert_eq!(at(url), Navigation::Deny, "{url}");
        }
    }
}
