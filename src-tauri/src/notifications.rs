//! Delivering what the core's breaking-news policy decided. On Linux, notify-rust directly,
//! because the notification plugin reports no clicks there: the "default" action (a click
//! on the notification) brings the window forward and opens the article. Elsewhere the
//! notification plugin, with the article id in its extra data and `caliber://article/<id>`
//! deep links for the paths that come back through the OS.

use caliber_core::notify::Notice;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::dto::OpenArticleEvent;
use crate::events;

/// Strings in the reader's interface language; `{source}` is the article's real source.
fn texts(ui_language: &str) -> (&'static str, &'static str, &'static str) {
    match ui_language {
        "ru" => ("Срочные новости · {source}", "Ещё срочных новостей: {n}", "Открыть"),
        "az" => ("Təcili xəbərlər · {source}", "Daha {n} təcili xəbər", "Aç"),
        _ => ("Breaking news · {source}", "{n} more breaking stories", "Open"),
    }
}

/// The notification's (summary, body) for an article: the body names who published it,
/// so no feed can pass its story off as the site's.
pub fn article_texts(ui_language: &str, title: &str, source: &str, breaking: bool) -> (String, String) {
    let body = if breaking { texts(ui_language).0.replace("{source}", source) } else { source.to_owned() };
    (title.to_owned(), body)
}

/// Bring the window forward and show the article (or the home list for a summary).
pub fn open_article<R: Runtime>(app: &AppHandle<R>, article_id: Option<i64>) {
    if let Some(window) = app.get_webview_window("main") {
        #[cfg(desktop)]
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    if let Some(id) = article_id {
        let _ = app.emit(events::OPEN_ARTICLE, OpenArticleEvent { id });
    }
}

/// `caliber://article/<id>` → the id.
pub fn article_id_from_deep_link(url: &str) -> Option<i64> {
    let parsed = url::Url::parse(url).ok()?;
    if parsed.scheme() != "caliber" {
        return None;
    }
    let mut parts = std::iter::once(parsed.host_str().unwrap_or("")).chain(parsed.path().split('/')).filter(|p| !p.is_empty());
    (parts.next()? == "article").then_some(())?;
    parts.next()?.parse().ok()
}

pub fn deliver<R: Runtime>(app: &AppHandle<R>, notices: Vec<Notice>, ui_language: &str) {
    let (_, more, open) = texts(ui_language);
    for notice in notices {
        let (summary, body, article_id) = match notice {
            Notice::Article { article_id, title, source, breaking } => {
                let (summary, body) = article_texts(ui_language, &title, &source, breaking);
                (summary, body, Some(article_id))
            }
            Notice::Summary { count } => (more.replace("{n}", &count.to_string()), "Caliber Reader".to_owned(), None),
        };
        show(app, summary, body, open, article_id);
    }
}

#[cfg(target_os = "linux")]
fn show<R: Runtime>(app: &AppHandle<R>, summary: String, body: String, open_label: &str, article_id: Option<i64>) {
    let app = app.clone();
    let open_label = open_label.to_owned();
    // wait_for_action blocks until the notification is clicked or closed: one thread each.
    std::thread::spawn(move || {
        let shown = notify_rust::Notification::new()
            .appname("Caliber Reader")
            .summary(&summary)
            .body(&body)
            .icon("az.caliber.reader")
            .action("default", &open_label)
            .hint(notify_rust::Hint::Category("im.received".into()))
            .show();
        match shown {
            Ok(handle) => handle.wait_for_action(|action| {
                if action == "default" {
                    open_article(&app, article_id);
                }
            }),
            Err(e) => eprintln!("caliber: could not show a notification: {e}"),
        }
    });
}

#[cfg(not(target_os = "linux"))]
fn show<R: Runtime>(app: &AppHandle<R>, summary: String, body: String, _open_label: &str, article_id: Option<i64>) {
    use tauri_plugin_notification::{NotificationExt, PermissionState};
    let notification = app.notification();
    // Asked on first use, on the platforms that ask at all.
    if !matches!(notification.permission_state(), Ok(PermissionState::Granted))
        && !matches!(notification.request_permission(), Ok(PermissionState::Granted))
    {
        return;
    }
    let mut builder = notification.builder().title(summary).body(body).channel_id(BREAKING_CHANNEL);
    if let Some(id) = article_id {
        builder = builder.extra("articleId", id).extra("url", format!("caliber://article/{id}"));
    }
    if let Err(e) = builder.show() {
        eprintln!("caliber: could not show a notification: {e}");
    }
}

/// The Android channel breaking news arrives on (high importance).
pub const BREAKING_CHANNEL: &str = "breaking-news";

/// Create the "Breaking news" channel where channels exist (Android).
#[cfg(mobile)]
pub fn create_channel<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_notification::{Channel, Importance, NotificationExt, Visibility};
    let channel = Channel::builder(BREAKING_CHANNEL, "Breaking news")
        .description("Urgent stories from Caliber.az")
        .importance(Importance::High)
        .visibility(Visibility::Public)
        .build();
    let _ = app.notification().create_channel(channel);
}

#[cfg(test)]
mod tests {
    use super::article_id_from_deep_link;

    #[test]
    fn deep_links_name_an_article() {
        assert_eq!(article_id_from_deep_link("caliber://article/42"), Some(42));
        assert_eq!(article_id_from_deep_link("caliber://article/42/"), Some(42));
        assert_eq!(article_id_from_deep_link("caliber://settings"), None);
        assert_eq!(article_id_from_deep_link("https://article/42"), None);
        assert_eq!(article_id_from_deep_link("caliber://article/x"), None);
    }
}
