//! Shared test support: a real HTTP server on 127.0.0.1 (axum, random port) whose paths
//! are configured per test, fixture loading, and a `Core` with short timeouts.
//!
//! Each integration-test binary uses a different subset of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use caliber_core::{
    Article, ArticleQuery, Core, CoreConfig, FetchOptions, HttpClient, Retention, SourceReport, SyncReport,
};
use futures_util::StreamExt;

pub mod faults;

/// What the server does for one path.
#[derive(Clone)]
pub enum Route {
    /// 200 with this body. With `etag`/`last_modified` set, a matching `If-None-Match` /
    /// `If-Modified-Since` gets a 304 instead.
    Body { body: Bytes, content_type: String, etag: Option<String>, last_modified: Option<String>, gzip: bool },
    /// A redirect (301, 302, 307, 308) to another path or URL.
    Redirect { status: u16, location: String },
    /// A fixed status with a short plain-text body.
    Status(u16),
    /// `503` with `Retry-After` for the first `times` requests, then `then`.
    Unavailable { times: usize, retry_after: String, served: Arc<AtomicUsize>, then: Box<Route> },
    /// 200 whose RSS body never ends.
    Endless,
    /// 200 right away, then one small chunk every 100 ms, forever.
    Trickle,
    /// Sleeps before answering with `then`.
    Slow { delay: Duration, then: Box<Route> },
    /// 200 right away, then `body` one byte every `every` (1 byte/s: a feed of a few hundred
    /// bytes takes minutes).
    Drip { body: Bytes, every: Duration },
    /// Any status with these headers and this body (429 + `Retry-After`, for instance).
    Custom { status: u16, headers: Vec<(String, String)>, body: Bytes },
}

impl Route {
    pub fn body(body: impl Into<Bytes>, content_type: &str) -> Self {
        Route::Body { body: body.into(), content_type: content_type.into(), etag: None, last_modified: None, gzip: false }
    }

    pub fn fixture(name: &str, content_type: &str) -> Self {
        Self::body(fixture(name), content_type)
    }

    pub fn with_etag(mut self, value: &str) -> Self {
        if let Route::Body { etag, .. } = &mut self {
            *etag = Some(value.into());
        }
        self
    }

    pub fn with_last_modified(mut self, value: &str) -> Self {
        if let Route::Body { last_modified, .. } = &mut self {
            *last_modified = Some(value.into());
        }
        self
    }

    pub fn gzipped(mut self) -> Self {
        if let Route::Body { gzip, .. } = &mut self {
            *gzip = true;
        }
        self
    }

    pub fn redirect(status: u16, location: &str) -> Self {
        Route::Redirect { status, location: location.into() }
    }

    pub fn unavailable(times: usize, retry_after: &str, then: Route) -> Self {
        Route::Unavailable { times, retry_after: retry_after.into(), served: Arc::new(AtomicUsize::new(0)), then: Box::new(then) }
    }

    pub fn slow(delay: Duration, then: Route) -> Self {
        Route::Slow { delay, then: Box::new(then) }
    }

    pub fn drip(body: impl Into<Bytes>, every: Duration) -> Self {
        Route::Drip { body: body.into(), every }
    }

    pub fn custom(status: u16, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Self {
        let headers = headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Route::Custom { status, headers, body: body.into() }
    }
}

pub const RSS: &str = "application/rss+xml";
pub const ATOM: &str = "application/atom+xml";
pub const JSON_FEED: &str = "application/feed+json";
pub const HTML: &str = "text/html; charset=utf-8";

#[derive(Default)]
struct ServerState {
    routes: Mutex<HashMap<String, Route>>,
    /// Every request: its path and headers, in arrival order.
    log: Mutex<Vec<(String, HeaderMap)>>,
}

/// A running test server. The server task lives as long as the runtime (or thread) that
/// started it; the configuration can be changed from any thread at any time.
#[derive(Clone)]
pub struct TestServer {
    pub addr: SocketAddr,
    state: Arc<ServerState>,
}

impl TestServer {
    /// Start on a random port in the current tokio runtime.
    pub async fn start() -> Self {
        let state = Arc::new(ServerState::default());
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("test server");
        });
        Self { addr, state }
    }

    /// Start on its own thread and runtime (for tests that run the CLI as a child process
    /// and so have no runtime of their own).
    pub fn start_on_thread() -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                tx.send(TestServer::start().await).unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv_timeout(Duration::from_secs(10)).expect("test server started")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Set (or replace) what `path` serves.
    pub fn route(&self, path: &str, route: Route) -> &Self {
        self.state.routes.lock().unwrap().insert(path.into(), route);
        self
    }

    /// Requests seen for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.state.log.lock().unwrap().iter().filter(|(p, _)| p == path).count()
    }

    /// Headers of every request seen for `path`, in order.
    pub fn requests(&self, path: &str) -> Vec<HeaderMap> {
        self.state.log.lock().unwrap().iter().filter(|(p, _)| p == path).map(|(_, h)| h.clone()).collect()
    }
}

async fn handle(State(state): State<Arc<ServerState>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let headers = request.headers().clone();
    state.log.lock().unwrap().push((path.clone(), headers.clone()));
    let route = state.routes.lock().unwrap().get(&path).cloned();
    match route {
        Some(route) => respond(route, &headers).await,
        None => status_response(404),
    }
}

fn status_response(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    let mut response = Response::new(Body::from(format!("{status}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

fn respond(route: Route, request: &HeaderMap) -> std::pin::Pin<Box<dyn Future<Output = Response> + Send + '_>> {
    Box::pin(async move {
        match route {
            Route::Body { body, content_type, etag, last_modified, gzip } => {
                let sent = |name: header::HeaderName| request.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
                let etag_matches = etag.is_some() && sent(header::IF_NONE_MATCH) == etag;
                let date_matches = last_modified.is_some() && sent(header::IF_MODIFIED_SINCE) == last_modified;
                let mut response = if etag_matches || date_matches {
                    status_response(304)
                } else if gzip {
                    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    encoder.write_all(&body).unwrap();
                    let mut response = Response::new(Body::from(encoder.finish().unwrap()));
                    response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                    response
                } else {
                    Response::new(Body::from(body))
                };
                if response.status() == StatusCode::OK {
                    response.headers_mut().insert(header::CONTENT_TYPE, content_type.parse().unwrap());
                } else {
                    response.headers_mut().remove(header::CONTENT_TYPE);
                    *response.body_mut() = Body::empty();
                }
                if let Some(etag) = etag {
                    response.headers_mut().insert(header::ETAG, etag.parse().unwrap());
                }
                if let Some(date) = last_modified {
                    response.headers_mut().insert(header::LAST_MODIFIED, date.parse().unwrap());
                }
                response
            }
            Route::Redirect { status, location } => {
                let mut response = status_response(status);
                response.headers_mut().insert(header::LOCATION, location.parse().unwrap());
                response
            }
            Route::Status(status) => status_response(status),
            Route::Unavailable { times, retry_after, served, then } => {
                if served.fetch_add(1, Ordering::SeqCst) < times {
                    let mut response = status_response(503);
                    response.headers_mut().insert(header::RETRY_AFTER, retry_after.parse().unwrap());
                    response
                } else {
                    respond(*then, request).await
                }
            }
            Route::Endless => {
                let head = Bytes::from_static(
                    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Endless</title>\n",
                );
                let mut n = 0u64;
                let items = futures_util::stream::repeat_with(move || {
                    n += 1;
                    Bytes::from(format!(
                        "<item><title>Item {n}</title><link>https://endless.example/{n}</link><description>{}</description></item>\n",
                        "lorem ipsum ".repeat(40)
                    ))
                });
                let stream = futures_util::stream::once(async move { head }).chain(items).map(Ok::<_, std::io::Error>);
                let mut response = Response::new(Body::from_stream(stream));
                response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(RSS));
                response
            }
            Route::Trickle => {
                let head = Bytes::from_static(b"<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>");
                let drip = futures_util::stream::unfold((), |()| async {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Some((Bytes::from_static(b" "), ()))
                });
                let stream = futures_util::stream::once(async move { head }).chain(drip).map(Ok::<_, std::io::Error>);
                let mut response = Response::new(Body::from_stream(stream));
                response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(RSS));
                response
            }
            Route::Slow { delay, then } => {
                tokio::time::sleep(delay).await;
                respond(*then, request).await
            }
            Route::Drip { body, every } => {
                let drip = futures_util::stream::unfold(0usize, move |at| {
                    let body = body.clone();
                    async move {
                        if at >= body.len() {
                            return None;
                        }
                        tokio::time::sleep(every).await;
                        Some((body.slice(at..at + 1), at + 1))
                    }
                });
                let mut response = Response::new(Body::from_stream(drip.map(Ok::<_, std::io::Error>)));
                response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(RSS));
                response
            }
            Route::Custom { status, headers, body } => {
                let mut response = Response::new(Body::from(body));
                *response.status_mut() = StatusCode::from_u16(status).unwrap();
                for (name, value) in headers {
                    response.headers_mut().insert(header::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
                }
                response
            }
        }
    })
}

// ---- fixtures ----

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap_or_else(|e| panic!("fixture {name} is not UTF-8: {e}"))
}

/// An RSS 2.0 document with the given (guid, title, body, RFC 2822 date) items.
pub fn rss(title: &str, items: &[(&str, &str, &str, &str)]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>{title}</title>\
         <link>https://gen.example/</link><description>generated</description>\n"
    );
    for (guid, title, body, date) in items {
        xml.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title>\
             <link>https://gen.example/{guid}</link><pubDate>{date}</pubDate>\
             <description><![CDATA[{body}]]></description></item>\n"
        ));
    }
    xml.push_str("</channel></rss>\n");
    xml
}

// ---- the core under test ----

/// Short timeouts and a tiny backoff so failure paths stay fast.
pub fn fast_options() -> FetchOptions {
    FetchOptions {
        connect_timeout: Duration::from_secs(1),
        total_timeout: Duration::from_secs(3),
        max_body_bytes: 1024 * 1024,
        retries: 1,
        backoff_base: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(3),
        ..Default::default()
    }
}

pub fn open_core(dir: &Path, options: FetchOptions) -> Core {
    open_core_with(dir, options, Retention::default())
}

pub fn open_core_with(dir: &Path, options: FetchOptions, retention: Retention) -> Core {
    Core::open(config(dir, options, retention)).expect("open core")
}

/// The config these tests use: the feed alone is the input. Fetching article pages for
/// summary-only items and downloading pictures are off, so nothing but the test server
/// is ever contacted and each test's requests are exactly the ones it sets up.
pub fn config(dir: &Path, options: FetchOptions, retention: Retention) -> CoreConfig {
    let http = HttpClient::new(options);
    let mut config = CoreConfig::at(dir.join("caliber.db"), http);
    config.retention = retention;
    config.full_text = false;
    config.images.enabled = false;
    config
}

/// A temp dir with a core in it; keep the `TempDir` alive as long as the core.
pub fn temp_core(options: FetchOptions) -> (tempfile::TempDir, Core) {
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(dir.path(), options);
    (dir, core)
}

pub fn add(core: &Core, urls: &[String]) {
    core.add_sources(urls, None).expect("add sources");
}

pub async fn sync(core: &Core) -> SyncReport {
    core.run_once(|_| {}).await.expect("run_once")
}

pub fn report_for<'a>(report: &'a SyncReport, url: &str) -> &'a SourceReport {
    report
        .sources
        .iter()
        .find(|s| s.url == url)
        .unwrap_or_else(|| panic!("no report for {url} in {:#?}", report.sources))
}

pub fn articles_of(core: &Core, url: &str) -> Vec<Article> {
    core.articles(&ArticleQuery { source_url: Some(url.into()), ..Default::default() }).expect("articles")
}

pub fn article_by_guid(articles: &[Article], guid: &str) -> Article {
    articles
        .iter()
        .find(|a| a.guid == guid)
        .cloned()
        .unwrap_or_else(|| panic!("no article with guid {guid}; have {:?}", articles.iter().map(|a| &a.guid).collect::<Vec<_>>()))
}

pub fn article_by_title(articles: &[Article], title: &str) -> Article {
    articles
        .iter()
        .find(|a| a.title == title)
        .cloned()
        .unwrap_or_else(|| panic!("no article titled {title:?}; have {:?}", articles.iter().map(|a| &a.title).collect::<Vec<_>>()))
}

pub fn utc(rfc3339: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&chrono::Utc)
}

pub fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Every value of `attr="…"` in an HTML fragment (attribute names matched case-insensitively).
pub fn attr_values(html: &str, attr: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let needle = format!("{}=", attr.to_ascii_lowercase());
    let mut values = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&needle) {
        let start = from + i;
        let preceded_by_space = start > 0 && lower.as_bytes()[start - 1].is_ascii_whitespace();
        let rest = &html[start + needle.len()..];
        from = start + needle.len();
        if !preceded_by_space {
            continue;
        }
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
            _ => rest.split(|c: char| c.is_whitespace() || c == '>').next().unwrap_or(""),
        };
        values.push(value.to_owned());
    }
    values
}

/// An article as a sync would hand it to the store, for tests that write through `Store`.
pub fn prepared_article(url: &str, guid: &str, title: &str, body: &str) -> caliber_core::testing::PreparedArticle {
    caliber_core::testing::PreparedArticle {
        guid: guid.into(),
        url: Some(url.into()),
        title: title.into(),
        summary: None,
        content_html: Some(body.into()),
        author: None,
        categories: Vec::new(),
        published_at: None,
        updated_at: None,
        image_url: None,
        language: Some("en".into()),
        views: None,
        is_breaking: false,
        hash: [guid.len() as u8; 16],
        unsanitised_body: None,
    }
}

/// A database as a release with schema `version` left it: its migrations, applied by hand.
pub fn database_at_schema(path: &Path, version: usize) -> rusqlite::Connection {
    const MIGRATIONS: [&str; 6] = [
        include_str!("../../src/store/migrations/0001_init.sql"),
        include_str!("../../src/store/migrations/0002_images.sql"),
        include_str!("../../src/store/migrations/0003_settings.sql"),
        include_str!("../../src/store/migrations/0004_notifications.sql"),
        include_str!("../../src/store/migrations/0005_index_queue.sql"),
        include_str!("../../src/store/migrations/0006_keep_saved.sql"),
    ];
    let conn = rusqlite::Connection::open(path).unwrap();
    for sql in &MIGRATIONS[..version] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", version as i64).unwrap();
    conn
}
