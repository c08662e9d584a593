//! The shell's commands on Tauri's mock runtime, over a real core, a real SQLite file and a
//! real HTTP server on 127.0.0.1.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use caliber_core::{Core, CoreConfig, FetchOptions, HttpClient};
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Fixture</title><language>ru</language>
<item><guid>1</guid><title>Срочно: Землетрясение в Баку</title><link>http://HOST/post/quake</link>
<category>МИР</category><pubDate>Thu, 25 Jun 2026 13:24:00 GMT</pubDate>
<description><![CDATA[<p>Толчки ощущались в Баку <b>и</b> Сумгайыте. Разрушений нет, сообщают спасатели, которые проверили все дома в районе.</p>]]></description></item>
<item><guid>2</guid><title>Oil prices rise</title><link>http://HOST/en/post/oil</link>
<category>ECONOMY</category><pubDate>Thu, 25 Jun 2026 10:00:00 GMT</pubDate>
<description>Brent went up in London trading, analysts say, on supply cuts and strong demand from Asia this week.</description></item>
</channel></rss>"#;

/// A feed server on its own thread (the mock app has no runtime of its own to lend).
fn serve_feed() -> String {
    serve_feed_counting().0
}

/// As `serve_feed`, with how many times the feed itself was asked for.
fn serve_feed_counting() -> (String, Arc<AtomicUsize>) {
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            // Article links point here too (404): full-text fetching never leaves 127.0.0.1.
            let feed = FEED.replace("HOST", &addr.to_string());
            let app = axum::Router::new().route(
                "/feed.xml",
                axum::routing::get(move || async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    ([("content-type", "application/rss+xml")], feed)
                }),
            );
            tx.send(addr).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (format!("http://{}/feed.xml", rx.recv().unwrap()), asked)
}

/// The data dir prepared the way `caliber --db` would: one fixture source, no network yet.
fn prepared_dir(feed_url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(CoreConfig::in_data_dir(dir.path(), HttpClient::new(FetchOptions::default()))).unwrap();
    core.add_sources(&[feed_url.to_owned()], None).unwrap();
    dir
}

/// The app's real context: its config and the ACL built from `capabilities/` and the app
/// manifest in build.rs, so every command below passes the same checks as in the app.
fn real_context() -> tauri::Context<MockRuntime> {
    tauri::generate_context!()
}

fn app_in_window(dir: &Path, label: &str) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = caliber_app_lib::build_app(mock_builder(), Some(dir.to_path_buf()), false).build(real_context()).expect("app builds");
    // The mock runtime never reaches "ready", where setup runs: open the state as setup would.
    app.manage(caliber_app_lib::state::AppState::open(dir.to_path_buf(), "ru-RU".into()).expect("state opens"));
    let webview = WebviewWindowBuilder::new(&app, label, Default::default()).build().expect("webview");
    (app, webview)
}

fn app(dir: &Path) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    app_in_window(dir, "main")
}

const APP_ORIGIN: &str = "tauri://localhost";

fn invoke(webview: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    invoke_from(webview, APP_ORIGIN, cmd, args)
}

/// A call as the page at `origin` in that window would make it.
fn invoke_from(webview: &WebviewWindow<MockRuntime>, origin: &str, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: origin.parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

fn synced() -> (tempfile::TempDir, App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let dir = prepared_dir(&serve_feed());
    let (app, webview) = app(dir.path());
    let summary = invoke(&webview, "sync_now", json!({})).expect("sync_now");
    assert_eq!(summary, json!({"newTotal": 2, "failed": 0, "reached": 1, "offline": false}));
    (dir, app, webview)
}

/// A phone's relayed alert carries the article's link, not this device's id: the deep link
/// it opens finds the stored article by that link (also with tracking parameters added).
#[test]
fn a_relayed_alerts_deep_link_finds_the_stored_article_by_its_link() {
    use caliber_app_lib::notifications::{ClickTarget, find_by_link, open_link, target_from_deep_link};
    let (_dir, app, webview) = synced();
    let page = invoke(&webview, "list_articles", json!({"query": {"limit": 10}})).unwrap();
    let quake = &page["items"][0];
    let link = quake["url"].as_str().unwrap();
    let state = app.state::<caliber_app_lib::state::AppState>();
    for sent in [link.to_owned(), format!("{link}?utm_source=push#top")] {
        let Some(ClickTarget::Link(url)) = target_from_deep_link(&open_link(&sent)) else { panic!("{sent}: a link target") };
        assert_eq!(find_by_link(&state.core, &url), quake["id"].as_i64(), "{sent}");
    }
    assert_eq!(find_by_link(&state.core, "http://127.0.0.1:9/post/not-stored"), None, "not stored: synced, then the browser");
}

#[test]
fn sync_then_list_returns_camel_case_cards_newest_first() {
    let (_dir, _app, webview) = synced();
    let page = invoke(&webview, "list_articles", json!({"query": {"limit": 10}})).unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["title"], "Срочно: Землетрясение в Баку");
    assert_eq!(items[0]["isBreaking"], true);
    assert_eq!(items[0]["publishedAt"], "2026-06-25T13:24:00Z");
    assert_eq!(items[0]["categories"], json!(["МИР"]));
    assert_eq!(items[0]["read"], false);
    assert!(page["next"].is_null(), "a short page has no next cursor");
}

#[test]
fn paging_with_the_cursor_walks_the_whole_list_once() {
    let (_dir, _app, webview) = synced();
    let first = invoke(&webview, "list_articles", json!({"query": {"limit": 1}})).unwrap();
    assert_eq!(first["items"][0]["title"], "Срочно: Землетрясение в Баку");
    let cursor = first["next"].clone();
    assert!(cursor.is_object());
    let second = invoke(&webview, "list_articles", json!({"query": {"limit": 1, "before": cursor}})).unwrap();
    assert_eq!(second["items"][0]["title"], "Oil prices rise");
}

#[test]
fn filters_by_section_and_saved() {
    let (_dir, _app, webview) = synced();
    let economy = invoke(&webview, "list_articles", json!({"query": {"section": "ECONOMY"}})).unwrap();
    assert_eq!(economy["items"].as_array().unwrap().len(), 1);
    let sections = invoke(&webview, "list_sections", json!({"edition": null})).unwrap();
    assert_eq!(sections.as_array().unwrap().len(), 2);
    let id = economy["items"][0]["id"].as_i64().unwrap();
    let marked = invoke(&webview, "mark_article", json!({"id": id, "read": true, "saved": true})).unwrap();
    assert_eq!((marked["read"].clone(), marked["saved"].clone()), (json!(true), json!(true)));
    let saved = invoke(&webview, "list_articles", json!({"query": {"savedOnly": true}})).unwrap();
    assert_eq!(saved["items"][0]["id"], id);
}

#[test]
fn article_detail_carries_sanitised_body() {
    let (_dir, _app, webview) = synced();
    let page = invoke(&webview, "list_articles", json!({"query": {}})).unwrap();
    let id = page["items"][0]["id"].clone();
    let article = invoke(&webview, "get_article", json!({"id": id})).unwrap();
    assert!(article["contentHtml"].as_str().unwrap().contains("<b>и</b>"));
    assert!(article["url"].as_str().unwrap().ends_with("/post/quake"));
}

#[test]
fn search_highlights_matches_as_escaped_html() {
    let (_dir, _app, webview) = synced();
    let hits = invoke(&webview, "search_articles", json!({"query": "БАКУ", "limit": 5})).unwrap();
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 1);
    let snippet = hits[0]["snippetHtml"].as_str().unwrap();
    assert!(snippet.contains("<mark>Баку</mark>"), "{snippet}");
    assert!(!snippet.contains("<b>"), "body markup is not passed through: {snippet}");
    // Operators are searched as words, never parsed: no error, and "AND" finds "and".
    let words = invoke(&webview, "search_articles", json!({"query": "\"AND (", "limit": 5})).unwrap();
    assert_eq!(words[0]["article"]["title"], "Oil prices rise");
    let nothing = invoke(&webview, "search_articles", json!({"query": "\"(*-", "limit": 5})).unwrap();
    assert_eq!(nothing, json!([]));
}

#[test]
fn errors_serialise_as_kind_and_message() {
    let (_dir, _app, webview) = synced();
    let err = invoke(&webview, "get_article", json!({"id": 9999})).unwrap_err();
    assert_eq!(err["kind"], "notFound");
    assert!(err["message"].as_str().unwrap().contains("9999"));
    let err = invoke(&webview, "add_source", json!({"url": "ftp://x"})).unwrap_err();
    assert_eq!(err["kind"], "invalidInput");
    let err = invoke(&webview, "update_settings", json!({"settings": {"textScale": 250}})).unwrap_err();
    assert_eq!(err["kind"], "invalidInput");
}

#[test]
fn settings_persist_in_the_database_across_app_restarts() {
    let dir = prepared_dir("http://127.0.0.1:9/feed.xml");
    {
        let (_app, webview) = app(dir.path());
        let s = invoke(&webview, "update_settings", json!({"settings": {"theme": "dark", "textScale": 130, "syncIntervalMinutes": 1}})).unwrap();
        assert_eq!(s["theme"], "dark");
        assert_eq!(s["syncIntervalMinutes"], 5, "the interval never goes under 5 minutes");
    }
    let (_app, webview) = app(dir.path());
    let s = invoke(&webview, "get_settings", json!({})).unwrap();
    assert_eq!((s["theme"].clone(), s["textScale"].clone()), (json!("dark"), json!(130)));
}

#[test]
fn unreadable_settings_keep_what_still_reads_and_the_original_text() {
    let dir = prepared_dir("http://127.0.0.1:9/feed.xml");
    // Written by some other build: a theme this one does not know, the rest fine.
    let stored = r#"{"theme":"sepia","textScale":150,"uiLanguage":"en","syncIntervalMinutes":30}"#;
    let core = || Core::open(CoreConfig::in_data_dir(dir.path(), HttpClient::new(FetchOptions::default()))).unwrap();
    core().set_setting("app.settings", stored).unwrap();
    {
        let (_app, webview) = app(dir.path());
        let s = invoke(&webview, "get_settings", json!({})).unwrap();
        assert_eq!(s["theme"], "system", "the unknown theme is back to the default");
        assert_eq!((s["textScale"].clone(), s["uiLanguage"].clone(), s["syncIntervalMinutes"].clone()), (json!(150), json!("en"), json!(30)));
        // A save writes the salvaged settings; the original text is still there to recover.
        invoke(&webview, "update_settings", json!({"settings": {"textScale": 160}})).unwrap();
    }
    let core = core();
    assert_eq!(core.setting("app.settings.unreadable").unwrap().as_deref(), Some(stored));
    let saved: Value = serde_json::from_str(&core.setting("app.settings").unwrap().unwrap()).unwrap();
    assert_eq!((saved["textScale"].clone(), saved["syncIntervalMinutes"].clone()), (json!(160), json!(30)));
}

#[test]
fn default_sources_are_added_on_first_run_only() {
    let empty = tempfile::tempdir().unwrap();
    let (_app, webview) = app(empty.path());
    let sources = invoke(&webview, "list_sources", json!({})).unwrap();
    assert!(!sources.as_array().unwrap().is_empty(), "first run follows an edition");
    assert!(sources.as_array().unwrap().iter().all(|s| s["url"].as_str().unwrap().starts_with("https://caliber.az/")));
    let editions = invoke(&webview, "list_editions", json!({})).unwrap();
    assert_eq!(editions.as_array().unwrap().iter().filter(|e| e["followed"] == true).count(), 1);

    let prepared = prepared_dir("http://127.0.0.1:9/feed.xml");
    let (_app, webview) = app(prepared.path());
    let sources = invoke(&webview, "list_sources", json!({})).unwrap();
    assert_eq!(sources.as_array().unwrap().len(), 1, "never over the reader's own sources");
}

#[test]
fn an_unreachable_server_reports_offline() {
    let dir = prepared_dir("http://127.0.0.1:9/feed.xml");
    let (_app, webview) = app(dir.path());
    let summary = invoke(&webview, "sync_now", json!({})).unwrap();
    assert_eq!(summary["offline"], true);
    assert_eq!(summary["failed"], 1);
    assert_eq!(summary["reached"], 0, "nothing answered: nothing may be called up to date");
    let sources = invoke(&webview, "list_sources", json!({})).unwrap();
    assert!(sources[0]["lastError"].as_str().unwrap().contains("127.0.0.1:9"));
}

#[test]
fn editions_can_be_followed_and_unfollowed() {
    let dir = prepared_dir("http://127.0.0.1:9/feed.xml");
    let (_app, webview) = app(dir.path());
    let editions = invoke(&webview, "set_edition_followed", json!({"code": "en", "followed": true})).unwrap();
    assert!(editions.as_array().unwrap().iter().any(|e| e["code"] == "en" && e["followed"] == true));
    let editions = invoke(&webview, "set_edition_followed", json!({"code": "en", "followed": false})).unwrap();
    assert!(editions.as_array().unwrap().iter().all(|e| e["followed"] == false));
    let stats = invoke(&webview, "storage_stats", json!({})).unwrap();
    assert_eq!(stats["articles"], 0);
    assert!(stats["databaseBytes"].as_u64().unwrap() > 0);
}

fn refused_by_the_acl(result: &Result<Value, Value>) -> bool {
    matches!(result, Err(Value::String(message)) if message.contains("not allowed"))
}

#[test]
fn every_command_is_allowed_to_the_main_window_on_the_apps_origin() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, main) = app(dir.path());
    for &command in caliber_app_lib::command_names::COMMANDS {
        // It would show a real desktop notification; it is checked from elsewhere below.
        if command == "send_test_notification" {
            continue;
        }
        // No arguments: commands that take some fail on them, after the ACL let them through.
        let result = invoke(&main, command, json!({}));
        assert!(!refused_by_the_acl(&result), "{command}: {result:?}");
    }
}

#[test]
fn commands_are_refused_to_other_windows_and_other_origins() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, other) = app_in_window(dir.path(), "other");
    for &command in caliber_app_lib::command_names::COMMANDS {
        let result = invoke(&other, command, json!({}));
        assert!(refused_by_the_acl(&result), "{command} from another window: {result:?}");
    }
    let (_app, main) = app(dir.path());
    for origin in ["https://evil.example/", "http://127.0.0.1:8765/post/x", "http://tauri.localhost.evil.example/"] {
        for &command in caliber_app_lib::command_names::COMMANDS {
            let result = invoke_from(&main, origin, command, json!({}));
            assert!(refused_by_the_acl(&result), "{command} from {origin}: {result:?}");
        }
    }
}

// ---- The contract scenarios (tests/contract/scenarios.json), also run against the UI's mock ----

const SCENARIOS: &str = include_str!("../../tests/contract/scenarios.json");
const PLACEHOLDER_SOURCE: &str = "http://127.0.0.1:9/placeholder.xml";

/// `expected` within `actual`: objects by the keys given, arrays whole, "$present" for any
/// non-null value. The same rules as ui/src/test/contract.test.ts.
fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(s), a) if s == "$present" => !a.is_null(),
        (Value::Object(e), Value::Object(a)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|av| matches(v, av))),
        (Value::Array(e), Value::Array(a)) => e.len() == a.len() && e.iter().zip(a).all(|(ev, av)| matches(ev, av)),
        (e, a) => e == a,
    }
}

/// A library following exactly `sources` (none: an emptied one, not a first run, which
/// would follow an edition).
fn scenario_app(sources: &[String]) -> (tempfile::TempDir, App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let dir = tempfile::tempdir().unwrap();
    {
        let core = Core::open(CoreConfig::in_data_dir(dir.path(), HttpClient::new(FetchOptions::default()))).unwrap();
        let initial = if sources.is_empty() { vec![PLACEHOLDER_SOURCE.to_owned()] } else { sources.to_vec() };
        core.add_sources(&initial, None).unwrap();
    }
    let (app, webview) = app(dir.path());
    if sources.is_empty() {
        app.state::<caliber_app_lib::state::AppState>().core.remove_source(PLACEHOLDER_SOURCE).unwrap();
    }
    (dir, app, webview)
}

#[test]
fn contract_scenarios_hold_for_the_real_commands() {
    let file: Value = serde_json::from_str(SCENARIOS).expect("scenarios.json parses");
    let scenarios = file["scenarios"].as_array().expect("a scenarios array");
    assert!(!scenarios.is_empty());
    let mut failures = Vec::new();
    for scenario in scenarios {
        let name = scenario["name"].as_str().unwrap();
        let sources: Vec<String> =
            scenario.get("sources").and_then(Value::as_array).map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect()).unwrap_or_default();
        let (_dir, _app, webview) = scenario_app(&sources);
        for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
            let call = step["call"].as_str().unwrap();
            let args = step.get("args").cloned().unwrap_or_else(|| json!({}));
            let result = invoke(&webview, call, args);
            let ok = match (&result, step.get("ok"), step.get("error").and_then(Value::as_str)) {
                (Ok(actual), Some(expected), None) => matches(expected, actual),
                (Err(Value::String(_)), None, Some("invalidArgs")) => true,
                (Err(err), None, Some(kind)) => err["kind"] == kind,
                _ => false,
            };
            if !ok {
                failures.push(format!("{name}, step {} ({call}): expected {step}, got {result:?}", i + 1));
            }
        }
    }
    assert!(failures.is_empty(), "the real commands disagree with tests/contract/scenarios.json:\n{}", failures.join("\n"));
}

/// The app over a data dir whose one source is a feed that counts how often it is asked for.
fn app_on_a_counted_feed() -> (tempfile::TempDir, App<MockRuntime>, WebviewWindow<MockRuntime>, Arc<AtomicUsize>) {
    let (url, asked) = serve_feed_counting();
    let dir = prepared_dir(&url);
    let (app, webview) = app(dir.path());
    (dir, app, webview, asked)
}

/// The reader pressed sync before the launch's sync began (a second after the first list):
/// the launch's sync then only waits for theirs and reports how it went. It used to ask
/// every source again right after (500 requests at 100k articles, all answered 304).
#[test]
fn the_launch_sync_does_not_repeat_a_sync_the_reader_already_ran() {
    let (_dir, app, webview, asked) = app_on_a_counted_feed();
    let state = app.state::<caliber_app_lib::state::AppState>();
    invoke(&webview, "sync_now", json!({})).expect("sync_now");
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert!(tauri::async_runtime::block_on(state.launch_sync(app.handle())), "the reader's sync reached the feed");
    assert_eq!(asked.load(Ordering::SeqCst), 1, "the launch's sync asked the feed again");
    // Later syncs, the reader's or the interval's, still run.
    invoke(&webview, "sync_now", json!({})).expect("sync_now");
    assert_eq!(asked.load(Ordering::SeqCst), 2);
}

#[test]
fn with_no_sync_before_it_the_launch_sync_runs() {
    let (_dir, app, webview, asked) = app_on_a_counted_feed();
    let state = app.state::<caliber_app_lib::state::AppState>();
    assert!(tauri::async_runtime::block_on(state.launch_sync(app.handle())));
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    let list = invoke(&webview, "list_articles", json!({"query": {"limit": 10}})).expect("list_articles");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "{list}");
}
