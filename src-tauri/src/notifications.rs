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
        "hy" => ("Շտապ լուրեր · {source}", "Եվս {n} շտապ լուր", "Բացել"),
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

/// What a `caliber://` link opens: `caliber://article/<id>` (the app's own notifications),
/// `caliber://open?url=<article link>` (a relayed alert on a phone: the phone knows only
/// the link), `caliber://open` (the list).
pub fn target_from_deep_link(url: &str) -> Option<ClickTarget> {
    if let Some(id) = article_id_from_deep_link(url) {
        return Some(ClickTarget::Article(id));
    }
    let parsed = url::Url::parse(url).ok()?;
    if parsed.scheme() != "caliber" || parsed.host_str() != Some("open") || !matches!(parsed.path(), "" | "/") {
        return None;
    }
    let Some((_, link)) = parsed.query_pairs().find(|(k, _)| k == "url") else { return Some(ClickTarget::Home) };
    // Only a web page: the link comes from a push message, and is opened in a browser when
    // the article cannot be found.
    let link = url::Url::parse(&link).ok().filter(|l| matches!(l.scheme(), "http" | "https"))?;
    Some(ClickTarget::Link(link.into()))
}

/// The deep link a phone's relayed alert opens (built the same way by `CaliberPushService.kt`
/// and `PushPlugin.swift`).
pub fn open_link(article_url: &str) -> String {
    let mut link = url::Url::parse("caliber://open").expect("a valid URL");
    link.query_pairs_mut().append_pair("url", article_url);
    link.into()
}

/// The stored article with this link, also under its canonical form (tracking parameters
/// and fragment removed, as sources store them).
pub fn find_by_link(core: &caliber_core::Core, link: &str) -> Option<i64> {
    let exact = core.article_id_by_url(link).ok().flatten();
    exact.or_else(|| {
        let canonical = caliber_core::canonical_url(link);
        (canonical != link).then(|| core.article_id_by_url(&canonical).ok().flatten()).flatten()
    })
}

/// What a click on a notification opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClickTarget {
    /// The home list (a summary).
    Home,
    Article(i64),
    /// A relayed story, found by its link when clicked (it may not be stored yet).
    Link(String),
}

/// Bring the window forward and show what the notification was about. A relayed story not
/// stored yet is fetched first (one sync, as the reader asked for it).
pub fn open_target<R: Runtime>(app: &AppHandle<R>, target: ClickTarget) {
    match target {
        ClickTarget::Home => open_article(app, None),
        ClickTarget::Article(id) => open_article(app, Some(id)),
        ClickTarget::Link(url) => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let state = app.state::<crate::state::AppState>();
                let mut found = find_by_link(&state.core, &url);
                if found.is_none() {
                    let _ = state.sync(&app).await;
                    found = find_by_link(&state.core, &url);
                }
                open_article(&app, found);
                if found.is_none() {
                    // Not on any followed source (or the site is unreachable): the reader
                    // asked for this story, so the browser shows it.
                    use tauri_plugin_opener::OpenerExt;
                    if let Err(e) = app.opener().open_url(&url, None::<&str>) {
                        caliber_core::log_line!("caliber: could not open {url}: {e}");
                    }
                }
            });
        }
    }
}

pub fn deliver<R: Runtime>(app: &AppHandle<R>, notices: Vec<Notice>, ui_language: &str) {
    deliver_with(app, notices, ui_language, None);
}

/// Notices from a relayed story (`Core::notify_relayed`): an article not stored yet
/// (`relay::NOT_STORED`) opens by its link.
pub fn deliver_relayed<R: Runtime>(app: &AppHandle<R>, notices: Vec<Notice>, ui_language: &str, url: Option<String>) {
    deliver_with(app, notices, ui_language, url);
}

fn deliver_with<R: Runtime>(app: &AppHandle<R>, notices: Vec<Notice>, ui_language: &str, link: Option<String>) {
    let (_, more, open) = texts(ui_language);
    for notice in notices {
        let (summary, body, target) = match notice {
            Notice::Article { article_id, title, source, breaking } => {
                let (summary, body) = article_texts(ui_language, &title, &source, breaking);
                let target = match (&link, article_id) {
                    (Some(url), caliber_core::relay::NOT_STORED) => ClickTarget::Link(url.clone()),
                    (None, caliber_core::relay::NOT_STORED) => ClickTarget::Home,
                    _ => ClickTarget::Article(article_id),
                };
                (summary, body, target)
            }
            Notice::Summary { count } => (more.replace("{n}", &count.to_string()), "Caliber Reader".to_owned(), ClickTarget::Home),
        };
        show(app, summary, body, open, target);
    }
}

/// How many notifications listen for a click at once. Each listening one holds a D-Bus
/// connection (and zbus's executor thread for it); a newer notification beyond this many
/// closes the oldest, so N notifications never hold N connections.
#[cfg(target_os = "linux")]
pub const MAX_WAITING: usize = 4;

/// How long a notification listens for a click. Daemons that keep notifications until
/// dismissed (resident, or in a tray) would otherwise hold its connection forever; after
/// this it is closed, because a click could no longer open anything.
#[cfg(target_os = "linux")]
pub const WAIT_FOR_CLICK: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// The notifications listening for a click, oldest first, each with a way to stop it.
#[cfg(target_os = "linux")]
pub struct Waiters {
    cap: usize,
    next: u64,
    waiting: std::collections::VecDeque<(u64, tokio::sync::oneshot::Sender<()>)>,
}

#[cfg(target_os = "linux")]
impl Waiters {
    pub const fn new(cap: usize) -> Self {
        Waiters { cap, next: 0, waiting: std::collections::VecDeque::new() }
    }

    /// A place for one more listener: the oldest beyond the cap are told to stop.
    pub fn admit(&mut self) -> (u64, tokio::sync::oneshot::Receiver<()>) {
        while self.waiting.len() >= self.cap.max(1) {
            if let Some((_, stop)) = self.waiting.pop_front() {
                let _ = stop.send(());
            }
        }
        let (stop, stopped) = tokio::sync::oneshot::channel();
        self.next += 1;
        self.waiting.push_back((self.next, stop));
        (self.next, stopped)
    }

    /// A listener that ended (clicked, closed, stopped, timed out) gives its place back.
    pub fn release(&mut self, ticket: u64) {
        self.waiting.retain(|(id, _)| *id != ticket);
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(target_os = "linux")]
static WAITERS: std::sync::Mutex<Waiters> = std::sync::Mutex::new(Waiters::new(MAX_WAITING));

/// How a listener ended.
#[cfg(target_os = "linux")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitEnd {
    /// The reader clicked it, or the daemon closed it.
    Answered,
    /// A newer notification took its place.
    Replaced,
    /// Nobody clicked within the time.
    TimedOut,
}

/// Waits for `answer`, but no longer than `timeout` and not after `stop` fires.
#[cfg(target_os = "linux")]
pub async fn bounded_wait(
    answer: impl std::future::Future<Output = ()>,
    stop: tokio::sync::oneshot::Receiver<()>,
    timeout: std::time::Duration,
) -> WaitEnd {
    tokio::select! {
        () = answer => WaitEnd::Answered,
        _ = stop => WaitEnd::Replaced,
        () = tokio::time::sleep(timeout) => WaitEnd::TimedOut,
    }
}

#[cfg(target_os = "linux")]
fn show<R: Runtime>(app: &AppHandle<R>, summary: String, body: String, open_label: &str, target: ClickTarget) {
    let app = app.clone();
    let open_label = open_label.to_owned();
    // A task, not a thread: the wait is bounded in number (MAX_WAITING) and time (WAIT_FOR_CLICK).
    tauri::async_runtime::spawn(async move {
        let mut notification = notify_rust::Notification::new();
        notification
            .appname("Caliber Reader")
            .summary(&summary)
            .body(&body)
            .icon("az.caliber.reader")
            .action("default", &open_label)
            .hint(notify_rust::Hint::Category("im.received".into()));
        let handle = match notification.show_async().await {
            Ok(handle) => handle,
            Err(e) => return caliber_core::log_line!("caliber: could not show a notification: {e}"),
        };
        let (ticket, stop) = WAITERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).admit();
        let answer = handle.wait_for_action_async(|response| {
            if matches!(response, notify_rust::ActionResponse::Custom("default")) {
                open_target(&app, target.clone());
            }
        });
        let end = bounded_wait(answer, stop, WAIT_FOR_CLICK).await;
        WAITERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).release(ticket);
        if end != WaitEnd::Answered {
            // Nothing listens for its click any more: take it off the screen.
            handle.close_async().await;
        }
    });
}

#[cfg(not(target_os = "linux"))]
fn show<R: Runtime>(app: &AppHandle<R>, summary: String, body: String, _open_label: &str, target: ClickTarget) {
    use tauri_plugin_notification::{NotificationExt, PermissionState};
    let notification = app.notification();
    // Asked on first use, on the platforms that ask at all.
    if !matches!(notification.permission_state(), Ok(PermissionState::Granted))
        && !matches!(notification.request_permission(), Ok(PermissionState::Granted))
    {
        return;
    }
    let mut builder = notification.builder().title(summary).body(body).channel_id(BREAKING_CHANNEL);
    if let ClickTarget::Article(id) = target {
        builder = builder.extra("articleId", id).extra("url", format!("caliber://article/{id}"));
    }
    if let Err(e) = builder.show() {
        caliber_core::log_line!("caliber: could not show a notification: {e}");
    }
}

/// The Android channel breaking news arrives on (high importance).
pub const BREAKING_CHANNEL: &str = "breaking-news";

/// Create the "Breaking news" channel where channels exist (Android; the plugin has no
/// channels on iOS, which `./dev macos-check` caught when this was `cfg(mobile)`).
#[cfg(target_os = "android")]
pub fn create_channel<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_notification::{Channel, Importance, NotificationExt, Visibility};
    let channel = Channel::builder(BREAKING_CHANNEL, "Breaking news")
        .description("Urgent stories from Caliber.az")
        .importance(Importance::High)
        .visibility(Visibility::Public)
        .build();
    let _ = app.notification().create_channel(channel);
}

#[cfg(all(test, target_os = "linux"))]
mod bound_tests {
    use std::time::Duration;

    use super::{WaitEnd, Waiters, bounded_wait};

    #[test]
    fn never_more_than_the_cap_listen_and_the_oldest_are_stopped() {
        let mut waiters = Waiters::new(4);
        let mut stops: Vec<_> = (0..10).map(|_| waiters.admit()).collect();
        assert_eq!(waiters.len(), 4, "ten notifications, four listeners");
        for (i, (_, stop)) in stops.iter_mut().enumerate() {
            let told = stop.try_recv().is_ok();
            assert_eq!(told, i < 6, "notification {i}: the six oldest are told to stop");
        }
        let (newest, _) = &stops[9];
        waiters.release(*newest);
        assert_eq!(waiters.len(), 3);
        for (ticket, _) in &stops {
            waiters.release(*ticket);
        }
        assert!(waiters.is_empty());
    }

    #[tokio::test]
    async fn an_unanswered_notification_stops_listening_after_the_time() {
        let mut waiters = Waiters::new(4);
        let (_, stop) = waiters.admit();
        // A daemon that never reports a click or a close.
        let end = bounded_wait(std::future::pending(), stop, Duration::from_millis(20)).await;
        assert_eq!(end, WaitEnd::TimedOut);
    }

    #[tokio::test]
    async fn a_newer_notification_past_the_cap_stops_the_oldest_listener() {
        let mut waiters = Waiters::new(1);
        let (_, stop) = waiters.admit();
        let waiting = tokio::spawn(bounded_wait(std::future::pending(), stop, Duration::from_secs(1800)));
        tokio::task::yield_now().await;
        let _newer = waiters.admit();
        assert_eq!(waiting.await.unwrap(), WaitEnd::Replaced);
    }

    #[tokio::test]
    async fn a_click_ends_the_wait_as_answered() {
        let mut waiters = Waiters::new(4);
        let (_, stop) = waiters.admit();
        assert_eq!(bounded_wait(async {}, stop, Duration::from_secs(1800)).await, WaitEnd::Answered);
    }
}

#[cfg(test)]
mod tests {
    use super::{ClickTarget, article_id_from_deep_link, open_link, target_from_deep_link};

    #[test]
    fn a_relayed_alerts_link_opens_its_article_by_url() {
        let article = "https://caliber.az/post/srochno-zemletryasenie?utm_source=x&a=1#top";
        let link = open_link(article);
        assert!(link.starts_with("caliber://open?url=https%3A%2F%2Fcaliber.az%2Fpost%2F"), "{link}");
        assert_eq!(target_from_deep_link(&link), Some(ClickTarget::Link(article.into())));
        // As the phones build it: Android's Uri.encode, iOS's URLComponents.
        assert_eq!(
            target_from_deep_link("caliber://open?url=https%3A%2F%2Fcaliber.az%2Fen%2Fpost%2Fnews"),
            Some(ClickTarget::Link("https://caliber.az/en/post/news".into()))
        );
        assert_eq!(
            target_from_deep_link("caliber://open?url=https://caliber.az/az/post/x"),
            Some(ClickTarget::Link("https://caliber.az/az/post/x".into()))
        );
        assert_eq!(target_from_deep_link("caliber://open"), Some(ClickTarget::Home), "a summary opens the list");
        assert_eq!(target_from_deep_link("caliber://article/7"), Some(ClickTarget::Article(7)));
        for refused in ["caliber://open?url=javascript:alert(1)", "caliber://open?url=file:///etc/passwd", "caliber://open?url=", "caliber://opener?url=https://a.b/", "https://open?url=https://a.b/"] {
            assert_eq!(target_from_deep_link(refused), None, "{refused}");
        }
    }

    #[test]
    fn deep_links_name_an_article() {
        assert_eq!(article_id_from_deep_link("caliber://article/42"), Some(42));
        assert_eq!(article_id_from_deep_link("caliber://article/42/"), Some(42));
        assert_eq!(article_id_from_deep_link("caliber://settings"), None);
        assert_eq!(article_id_from_deep_link("https://article/42"), None);
        assert_eq!(article_id_from_deep_link("caliber://article/x"), None);
    }
}
