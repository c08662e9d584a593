//! Two real relay processes on one real PostgreSQL server: only one polls, yet a reader
//! whose event stream (`/v1/events`) is open on the *other* one hears the breaking story
//! too, and each stream carries it exactly once (the poller shares it by `NOTIFY`; every
//! relay `LISTEN`s and skips its own).

mod common;

use std::time::{Duration, Instant};

use common::{FixtureSite, RelayProcess};
use futures_util::StreamExt;
use serde_json::Value;

const TITLE: &str = "Срочно: землетрясение магнитудой 5 в Каспийском море";

/// An open `/v1/events` stream, read in the background into its raw text.
struct RawStream {
    text: std::sync::Arc<std::sync::Mutex<String>>,
    reader: tokio::task::JoinHandle<()>,
}

impl RawStream {
    async fn open(url: String) -> Self {
        let response = reqwest::Client::new().get(&url).header("accept", "text/event-stream").send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = text.clone();
        let reader = tokio::spawn(async move {
            let mut body = response.bytes_stream();
            while let Some(Ok(chunk)) = body.next().await {
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk));
            }
        });
        let stream = Self { text, reader };
        stream.wait_for("the ready event", Duration::from_secs(10), |t| t.contains("event: ready")).await;
        stream
    }

    fn stories(&self) -> Vec<Value> {
        let text = self.text.lock().unwrap().clone();
        text.split("\n\n")
            .filter(|frame| frame.lines().any(|l| l == "event: story"))
            .filter_map(|frame| frame.lines().find_map(|l| l.strip_prefix("data: ")).map(|d| serde_json::from_str(d).unwrap()))
            .collect()
    }

    async fn wait_for(&self, what: &str, within: Duration, done: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        while !done(&self.text.lock().unwrap()) {
            assert!(start.elapsed() < within, "waited {within:?} for {what}: {:?}", self.text.lock().unwrap());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        start.elapsed()
    }
}

impl Drop for RawStream {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

async fn polls_now(relay: &RelayProcess) -> bool {
    let response = reqwest::get(relay.url("/v1/status")).await;
    let status: Value = match response {
        Ok(r) => serde_json::from_str(&r.text().await.unwrap_or_default()).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    status["polling"] == true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_reaches_the_event_streams_of_a_standby_relay_once() {
    let server = common::pg::TestPostgres::start();
    let url = server.database("relay");
    let site = FixtureSite::start("normal");
    let dir = tempfile::tempdir().unwrap();
    let args = ["--database", url.as_str(), "--editions", "ru"];
    let first = RelayProcess::start(&dir.path().join("a.db"), &site.url(), &args);
    let second = RelayProcess::start(&dir.path().join("b.db"), &site.url(), &args);

    // Which one polls; the other stands by.
    let start = Instant::now();
    let (poller, standby) = loop {
        if polls_now(&first).await {
            break (&first, &second);
        }
        if polls_now(&second).await {
            break (&second, &first);
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no relay polls");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let on_standby = RawStream::open(standby.url("/v1/events?editions=ru")).await;
    let on_poller = RawStream::open(poller.url("/v1/events?editions=ru")).await;
    // The baseline (and a poll after it) announce nothing.
    let (p, polls) = (poller.log.clone(), poller.polls());
    tokio::task::spawn_blocking(move || {
        common::wait_until("two polls", Duration::from_secs(30), || {
            std::fs::read_to_string(&p).unwrap_or_default().lines().filter(|l| l.contains("caliber-relay: poll:")).count() >= polls + 2
        })
    })
    .await
    .unwrap();
    assert!(on_standby.stories().is_empty() && on_poller.stories().is_empty(), "the baseline streamed a story");

    site.set_mode_async("breaking").await;
    let heard = on_standby
        .wait_for("the story on the standby relay's stream", Duration::from_secs(20), |t| t.contains(TITLE))
        .await;
    on_poller.wait_for("the story on the poller's stream", Duration::from_secs(5), |t| t.contains(TITLE)).await;
    eprintln!("the standby relay's stream carried the story {heard:?} after it was published");
    // A few more polls: nothing is streamed twice, on either.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (name, stream) in [("standby", &on_standby), ("poller", &on_poller)] {
        let stories = stream.stories();
        assert_eq!(stories.len(), 1, "{name}: {stories:?}");
        assert_eq!(stories[0]["title"], TITLE, "{name}");
        assert_eq!(stories[0]["edition"], "ru", "{name}");
        assert!(stories[0]["keys"].as_array().is_some_and(|k| !k.is_empty()), "{name}: the story's keys travel too");
    }
    assert_eq!(standby.polls(), 0, "the standby relay polled:\n{}", standby.log_text());
    drop(server);
}
