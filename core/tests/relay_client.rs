//! The reader's side of the push relay: its event stream read over real HTTP, and a relayed
//! story and the local poll announcing each story once between them, in either order.

mod common;

use std::time::Duration;

use caliber_core::notify::{Notice, NotifyPrefs};
use caliber_core::relay::{self, RelayEvent, RelayStory, StreamEnd};
use caliber_core::{Error, FetchError};
use common::*;

fn offset() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(4 * 3600).unwrap()
}

fn rfc2822(minutes_ago: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago)).to_rfc2822()
}

/// What the relay streams for a story of this feed (`rss()` links are https://gen.example/<guid>).
fn relayed(guid: &str, title: &str, keys: &[&str]) -> RelayStory {
    RelayStory {
        edition: "ru".into(),
        title: title.into(),
        source: "Caliber.az".into(),
        url: Some(format!("https://gen.example/{guid}")),
        breaking: true,
        keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        sections: vec!["СРОЧНО".into()],
        published: chrono::Utc::now() - chrono::Duration::minutes(2),
    }
}

fn titles(notices: &[Notice]) -> Vec<String> {
    notices
        .iter()
        .map(|n| match n {
            Notice::Article { title, .. } => title.clone(),
            Notice::Summary { count } => format!("summary {count}"),
        })
        .collect()
}

#[tokio::test]
async fn a_story_is_announced_once_whether_the_relay_or_the_local_poll_sees_it_first() {
    let server = TestServer::start().await;
    let url = server.url("/feed.xml");
    let base = ("base", "Обычная новость", "<p>x</p>", rfc2822(30));
    server.route("/feed.xml", Route::body(rss("Site", &[(base.0, base.1, base.2, &base.3)]), RSS));
    let (_dir, core) = temp_core(fast_options());
    add(&core, std::slice::from_ref(&url));
    sync(&core).await; // the baseline
    let prefs = NotifyPrefs::default();

    // The relay first: shown at once though the article is not stored yet…
    let quake = relayed("quake", "Срочно: землетрясение", &["img:quake.jpg", "url:https://gen.example/quake"]);
    let shown = core.notify_relayed(&quake, &prefs, offset()).unwrap();
    assert_eq!(shown, vec![Notice::Article { article_id: relay::NOT_STORED, title: quake.title.clone(), source: "Caliber.az".into(), breaking: true }]);
    assert!(core.notify_relayed(&quake, &prefs, offset()).unwrap().is_empty(), "the same event again (a resumed stream)");
    // …and the local poll that then stores it says nothing.
    let quake_item = ("quake", "Срочно: землетрясение", "<p>Толчки.</p>", rfc2822(2));
    server.route("/feed.xml", Route::body(rss("Site", &[(base.0, base.1, base.2, &base.3), (quake_item.0, quake_item.1, quake_item.2, &quake_item.3)]), RSS));
    let report = sync(&core).await;
    assert_eq!(report_for(&report, &url).new, 1);
    assert!(core.notifications_for(&report, &prefs, offset()).unwrap().is_empty(), "the local poll repeats the relay");
    // Once stored, a click on it finds the article by its link.
    let stored = core.article_id_by_url("https://gen.example/quake").unwrap().expect("stored");
    assert_eq!(core.article(stored).unwrap().title, "Срочно: землетрясение");

    // The local poll first: the relay's event for the same story is silent, even when the
    // relay names it by a key the local article lacks (its picture) and a link it shares.
    let flood_item = ("flood", "Срочно: наводнение", "<p>Вода.</p>", rfc2822(1));
    server.route(
        "/feed.xml",
        Route::body(
            rss("Site", &[(base.0, base.1, base.2, &base.3), (quake_item.0, quake_item.1, quake_item.2, &quake_item.3), (flood_item.0, flood_item.1, flood_item.2, &flood_item.3)]),
            RSS,
        ),
    );
    let report = sync(&core).await;
    assert_eq!(titles(&core.notifications_for(&report, &prefs, offset()).unwrap()), vec!["Срочно: наводнение"]);
    let flood = relayed("flood", "Срочно: наводнение", &["img:flood.jpg", "url:https://gen.example/flood"]);
    assert!(core.notify_relayed(&flood, &prefs, offset()).unwrap().is_empty(), "the relay repeats the local poll");

    // The same story from another edition (another link, the same picture) is silent too.
    let mut quake_en = relayed("en/quake", "Breaking: earthquake", &["img:quake.jpg", "url:https://gen.example/en/quake"]);
    quake_en.edition = "en".into();
    assert!(core.notify_relayed(&quake_en, &prefs, offset()).unwrap().is_empty());

    // The reader's own policy still rules: alerts off, nothing; and what it would hold back
    // (a pause) is left to the local poll, not marked as announced.
    let storm = relayed("storm", "Срочно: шторм", &["url:https://gen.example/storm"]);
    let off = NotifyPrefs { enabled: false, ..NotifyPrefs::default() };
    assert!(core.notify_relayed(&storm, &off, offset()).unwrap().is_empty());
    let paused = NotifyPrefs { paused_until: Some(chrono::Utc::now() + chrono::Duration::hours(1)), ..NotifyPrefs::default() };
    assert!(core.notify_relayed(&storm, &paused, offset()).unwrap().is_empty());
    assert_eq!(titles(&core.notify_relayed(&storm, &prefs, offset()).unwrap()), vec!["Срочно: шторм"], "not recorded while held back");
    // An ordinary story is not an alert for a reader who follows no section or word.
    let mut ordinary = relayed("park", "Открылся парк", &["url:https://gen.example/park"]);
    ordinary.breaking = false;
    ordinary.sections = vec!["ОБЩЕСТВО".into()];
    assert!(core.notify_relayed(&ordinary, &prefs, offset()).unwrap().is_empty());
}

const STORY: &str = r#"{"kind":"story","edition":"ru","title":"Срочно: землетрясение","source":"Caliber.az","url":"https://caliber.az/post/x","breaking":true,"story":"img:x.png","keys":["img:x.png","url:https://caliber.az/post/x"],"sections":["СРОЧНО"],"published":"2026-06-25T08:00:00Z"}"#;

#[tokio::test]
async fn the_event_stream_is_read_over_http_and_its_failures_are_errors() {
    let server = TestServer::start().await;
    let body = format!(
        ": hello\n\nevent: ready\nretry: 5000\ndata: {{\"editions\":[\"ru\"]}}\n\nid: 1700000000000\nevent: story\ndata: {STORY}\n\nevent: story\ndata: {{\"kind\":\"story\",\"from\":\"a newer relay\"}}\n\n"
    );
    server.route("/v1/events", Route::body(body, "text/event-stream"));
    server.route("/html/v1/events", Route::body("<html>a login page</html>", HTML));
    let (_dir, core) = temp_core(fast_options());

    let url = relay::events_url(&server.url("/"), &["ru".into()]).unwrap();
    let mut events = Vec::new();
    let end = core.follow_relay(&url, Some("1699999999999"), Duration::from_secs(5), |e| events.push(e)).await.unwrap();
    assert!(matches!(end, StreamEnd::Closed), "{end:?}");
    assert_eq!(events.len(), 2, "ready and the one story this build reads: {events:?}");
    assert_eq!(events[0], RelayEvent::Ready { editions: vec!["ru".into()] });
    let RelayEvent::Story { id, story } = &events[1] else { panic!("{events:?}") };
    assert_eq!(id.as_deref(), Some("1700000000000"));
    assert_eq!(story.title, "Срочно: землетрясение");
    assert_eq!(story.keys, vec!["img:x.png", "url:https://caliber.az/post/x"]);
    let asked = server.requests("/v1/events");
    assert_eq!(asked[0]["last-event-id"], "1699999999999", "resumes after the last story seen");
    assert_eq!(asked[0]["accept"], "text/event-stream");

    // A page that is not an event stream, a missing one, and nobody listening: errors.
    let not_a_stream = relay::events_url(&server.url("/html/"), &[]).unwrap();
    let e = core.follow_relay(&not_a_stream, None, Duration::from_secs(5), |_| {}).await.unwrap_err();
    assert!(matches!(e, Error::Fetch(FetchError::Status { status: 200, .. })), "{e}");
    let missing = relay::events_url(&server.url("/nothing/"), &[]).unwrap();
    let e = core.follow_relay(&missing, None, Duration::from_secs(5), |_| {}).await.unwrap_err();
    assert!(matches!(e, Error::Fetch(FetchError::Status { status: 404, .. })), "{e}");
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nobody = relay::events_url(&format!("http://127.0.0.1:{closed_port}/"), &[]).unwrap();
    let e = core.follow_relay(&nobody, None, Duration::from_secs(5), |_| {}).await.unwrap_err();
    assert!(matches!(e, Error::Fetch(FetchError::Connect { .. })), "{e}");

    // A relay that takes the connection and says nothing is given up after the idle time.
    server.route("/silent/v1/events", Route::slow(Duration::from_secs(5), Route::body("event: ready\ndata: {}\n\n", "text/event-stream")));
    let silent = relay::events_url(&server.url("/silent/"), &[]).unwrap();
    let started = std::time::Instant::now();
    let e = core.follow_relay(&silent, None, Duration::from_millis(500), |_| {}).await.unwrap_err();
    assert!(matches!(e, Error::Fetch(FetchError::Timeout { .. })), "{e}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}
