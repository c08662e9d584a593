//! `GET /v1/events`: the relay binary against the fixture site, read as a client reads it
//! (the raw `text/event-stream` bytes, parsed here): the baseline streams nothing, a
//! breaking story is streamed once to the streams of its edition with every story key,
//! idle streams get keep-alives, `Last-Event-ID` resumes, and the cap on streams holds.

mod common;

use std::time::{Duration, Instant};

use common::{FixtureSite, RelayProcess};
use futures_util::StreamExt;
use serde_json::Value;

#[derive(Debug, Clone, Default)]
struct Frame {
    event: String,
    id: String,
    data: String,
    /// A comment-only frame (`: …`): a keep-alive.
    comment: bool,
}

struct EventStream {
    body: futures_util::stream::BoxStream<'static, reqwest::Result<Vec<u8>>>,
    buffer: String,
}

impl EventStream {
    async fn open(url: &str, last_event_id: Option<&str>) -> reqwest::Response {
        let mut request = reqwest::Client::new().get(url).header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        request.send().await.unwrap()
    }

    async fn connect(url: &str, last_event_id: Option<&str>) -> Self {
        let response = Self::open(url, last_event_id).await;
        assert_eq!(response.status(), 200, "{url}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        let mut stream = Self { body: response.bytes_stream().map(|chunk| chunk.map(|b| b.to_vec())).boxed(), buffer: String::new() };
        let hello = stream.next(Duration::from_secs(5)).await.expect("the ready event");
        assert_eq!(hello.event, "ready", "{hello:?}");
        stream
    }

    /// The next frame within `timeout`, or `None`.
    async fn next(&mut self, timeout: Duration) -> Option<Frame> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let raw: String = self.buffer.drain(..end + 2).collect();
                let mut frame = Frame::default();
                let mut fields = false;
                for line in raw.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        frame.event = v.trim().to_owned();
                        fields = true;
                    } else if let Some(v) = line.strip_prefix("id:") {
                        frame.id = v.trim().to_owned();
                        fields = true;
                    } else if let Some(v) = line.strip_prefix("data:") {
                        frame.data.push_str(v.strip_prefix(' ').unwrap_or(v));
                        fields = true;
                    } else if line.starts_with("retry:") {
                        fields = true;
                    }
                }
                frame.comment = !fields;
                return Some(frame);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(_) | Err(_) => return None,
            }
        }
    }

    /// The story events within `timeout` (keep-alives skipped).
    async fn stories(&mut self, timeout: Duration) -> Vec<Frame> {
        let deadline = Instant::now() + timeout;
        let mut stories = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next(left).await {
                Some(frame) if frame.event == "story" => stories.push(frame),
                Some(_) => {}
                None => break,
            }
        }
        stories
    }
}

fn json(frame: &Frame) -> Value {
    serde_json::from_str(&frame.data).unwrap_or_else(|e| panic!("{e}: {:?}", frame.data))
}

const BREAKING_TITLE: &str = "Срочно: землетрясение магнитудой 5 в Каспийском море";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breaking_stories_stream_once_to_their_editions_with_keep_alives_resume_and_a_cap() {
    let dir = tempfile::tempdir().unwrap();
    let site = FixtureSite::start("normal");
    let relay = RelayProcess::start(
        &dir.path().join("relay.db"),
        &site.url(),
        &["--editions", "ru,en", "--sse-max-clients", "2", "--sse-keepalive-seconds", "1"],
    );
    let port = relay.port;
    let events = move |query: &str| format!("http://127.0.0.1:{port}/v1/events{query}");

    let status = EventStream::open(&events("?editions=ru,xx"), None).await.status();
    assert_eq!(status, 422, "an unknown edition is refused");
    let status = EventStream::open(&events(""), Some("yesterday")).await.status();
    assert_eq!(status, 422, "a Last-Event-ID the relay never sent is refused");

    let mut ru = EventStream::connect(&events("?editions=ru"), None).await;
    let mut en = EventStream::connect(&events("?editions=en"), None).await;
    // The cap (2): a third stream is refused, with a time to come back.
    let third = EventStream::open(&events(""), None).await;
    assert_eq!(third.status(), 503);
    assert_eq!(third.headers()["retry-after"], "30");

    // The first polls are the baseline: keep-alives only, no story.
    let r = relay;
    let r = tokio::task::spawn_blocking(move || {
        r.wait_polls(2);
        r
    })
    .await
    .unwrap();
    let mut keep_alives = 0;
    let quiet_until = Instant::now() + Duration::from_millis(2500);
    while let Some(left) = quiet_until.checked_duration_since(Instant::now()) {
        match ru.next(left).await {
            Some(frame) if frame.comment => keep_alives += 1,
            Some(frame) => panic!("the baseline streamed {frame:?}"),
            None => break,
        }
    }
    assert!(keep_alives >= 1, "an idle stream gets keep-alives");

    let published = Instant::now();
    site.set_mode_async("breaking").await;
    let story = loop {
        match ru.next(Duration::from_secs(15).saturating_sub(published.elapsed())).await {
            Some(frame) if frame.event == "story" => break frame,
            Some(_) => {}
            None => panic!("no story on the RU stream within 15 s of publishing"),
        }
    };
    eprintln!("publish → SSE event: {:?} (relay polling every 1 s)", published.elapsed());
    // Anything else within two more seconds (the ordinary story would come now if at all).
    let mut first = vec![story.clone()];
    first.extend(ru.stories(Duration::from_secs(2)).await);
    assert_eq!(first.len(), 1, "one story (the ordinary one is not streamed): {first:?}");
    let message = json(&story);
    assert_eq!(message["kind"], "story");
    assert_eq!(message["title"], BREAKING_TITLE);
    assert_eq!(message["edition"], "ru");
    assert_eq!(message["breaking"], true);
    assert_eq!(message["sections"], serde_json::json!(["СРОЧНО"]));
    assert!(message["url"].as_str().unwrap().ends_with("/post/srochno-zemletryasenie"), "{message}");
    let keys: Vec<&str> = message["keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    assert!(keys.contains(&"img:pic6.png"), "{keys:?}");
    assert!(keys.iter().any(|k| k.starts_with("url:") && k.ends_with("/post/srochno-zemletryasenie")), "{keys:?}");
    chrono::DateTime::parse_from_rfc3339(message["published"].as_str().unwrap()).unwrap();
    let id: u64 = story.id.parse().unwrap();

    let later = r.polls();
    let r = tokio::task::spawn_blocking(move || {
        r.wait_polls(3);
        r
    })
    .await
    .unwrap();
    assert!(r.polls() >= later + 3);
    assert!(ru.stories(Duration::from_millis(500)).await.is_empty(), "no repeat on later polls");
    assert!(en.stories(Duration::from_millis(500)).await.is_empty(), "an EN stream hears nothing of an RU story");
    drop((ru, en));
    // The relay sees a closed stream at its next write (a keep-alive each second).
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // A client back from a dropped connection gets what it missed, and nothing it had.
    let mut missed = EventStream::connect(&events("?editions=ru"), Some(&(id - 1).to_string())).await;
    let replayed = missed.stories(Duration::from_secs(1)).await;
    assert_eq!(replayed.len(), 1, "{replayed:?}");
    assert_eq!(json(&replayed[0])["title"], BREAKING_TITLE);
    assert_eq!(replayed[0].id, story.id);
    drop(missed);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut up_to_date = EventStream::connect(&events("?editions=ru"), Some(&story.id)).await;
    assert!(up_to_date.stories(Duration::from_secs(1)).await.is_empty());
    let mut en_resume = EventStream::connect(&events("?editions=en"), Some(&(id - 1).to_string())).await;
    assert!(en_resume.stories(Duration::from_secs(1)).await.is_empty(), "a resume replays only the asked editions");
    drop(r);
}
