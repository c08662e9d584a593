//! The reader's side of the push relay (`relay/`): its server-sent-events stream
//! (`GET /v1/events`), read with the core's HTTP client, and what one relayed story comes
//! to under the reader's own alert policy (`Core::notify_relayed`). The relay only makes
//! alerts sooner: a story it announces is recorded in the same tables as the local poll's,
//! so whichever sees it first announces it and the other stays silent.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Deserialize;

use crate::error::{Error, FetchError, Result};
use crate::fetch::HttpClient;

/// The article id of a relayed story not stored here yet (SQLite ids start at 1).
pub const NOT_STORED: i64 = 0;

/// One breaking story as the relay streams it (relay/src/sse.rs `StoryEvent`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayStory {
    pub edition: String,
    pub title: String,
    pub source: String,
    pub url: Option<String>,
    #[serde(default)]
    pub breaking: bool,
    /// Every key the relay knows for the story (`img:<picture>`, `url:<link>`).
    #[serde(default)]
    pub keys: Vec<String>,
    #[serde(default)]
    pub sections: Vec<String>,
    pub published: DateTime<Utc>,
}

/// What the stream says.
#[derive(Debug, Clone, PartialEq)]
pub enum RelayEvent {
    /// The stream is open, for these editions.
    Ready { editions: Vec<String> },
    /// `id` is what to send back as `Last-Event-ID` after a reconnect.
    Story { id: Option<String>, story: RelayStory },
}

/// One `text/event-stream` event (WHATWG HTML, "event stream interpretation").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseFrame {
    pub event: String,
    pub data: String,
    pub id: Option<String>,
}

/// Reads `text/event-stream` bytes as they come, in chunks cut anywhere (even inside a
/// UTF-8 character or between `\r` and `\n`).
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    after_cr: bool,
    event: String,
    data: Option<String>,
    id: Option<String>,
}

impl SseParser {
    /// The events completed by `chunk`.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseFrame> {
        let mut frames = Vec::new();
        for &b in chunk {
            if self.after_cr && b == b'\n' {
                self.after_cr = false;
                continue;
            }
            self.after_cr = b == b'\r';
            if b == b'\n' || b == b'\r' {
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                if let Some(frame) = self.line_done(&line) {
                    frames.push(frame);
                }
            } else {
                self.line.push(b);
            }
        }
        frames
    }

    fn line_done(&mut self, line: &str) -> Option<SseFrame> {
        if line.is_empty() {
            let event = std::mem::take(&mut self.event);
            let data = self.data.take()?;
            return Some(SseFrame { event: if event.is_empty() { "message".into() } else { event }, data, id: self.id.clone() });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').map_or((line, ""), |(f, v)| (f, v.strip_prefix(' ').unwrap_or(v)));
        match field {
            "event" => self.event = value.to_owned(),
            "data" => {
                let data = self.data.get_or_insert_with(String::new);
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(value);
            }
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            _ => {}
        }
        None
    }
}

/// The stream's address: `base` (the "Relay URL" a reader typed: http or https, a host, no
/// credentials) + `v1/events?editions=…`.
pub fn events_url(base: &str, editions: &[String]) -> Result<url::Url> {
    let mut url = api_url(base, "events")?;
    if !editions.is_empty() {
        url.query_pairs_mut().append_pair("editions", &editions.join(","));
    }
    Ok(url)
}

/// The relay's address (a prefix path kept) + `v1/<path>`, without the address's query.
pub(crate) fn api_url(base: &str, path: &str) -> Result<url::Url> {
    let mut url = check_relay_url(base)?;
    if !url.path().ends_with('/') {
        let with_slash = format!("{}/", url.path());
        url.set_path(&with_slash);
    }
    let mut url = url.join(&format!("v1/{path}")).map_err(|e| invalid(base, &e.to_string()))?;
    url.set_query(None);
    Ok(url)
}

fn invalid(url: &str, reason: &str) -> Error {
    Error::InvalidUrl { url: url.to_owned(), reason: reason.to_owned() }
}

/// A relay address as Settings accepts it.
pub fn check_relay_url(text: &str) -> Result<url::Url> {
    let url = url::Url::parse(text.trim()).map_err(|e| invalid(text, &format!("not a web address ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(text, "a relay address starts with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(text, "a relay address names a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(text, "a relay address carries no user name or password"));
    }
    if url.fragment().is_some() {
        return Err(invalid(text, "a relay address has no #fragment"));
    }
    Ok(url)
}

/// How a stream ended.
#[derive(Debug)]
pub enum StreamEnd {
    /// The relay closed it (restart, shutdown, a slow reader dropped): reconnect.
    Closed,
    /// Nothing, not even a keep-alive, for longer than `idle`: the connection is presumed dead.
    Silent,
}

/// Read the relay's stream at `url` (from `events_url`) until it ends, handing each event
/// to `on_event` as it arrives. `last_event_id` resumes after the last story seen. Fails
/// when the relay cannot be reached, does not answer within `idle`, or answers anything but
/// an event stream.
pub async fn follow(
    http: &HttpClient,
    url: &url::Url,
    last_event_id: Option<&str>,
    idle: Duration,
    mut on_event: impl FnMut(RelayEvent),
) -> Result<StreamEnd> {
    // A relay that takes the connection but never answers is as good as down.
    let response = tokio::time::timeout(idle, http.open_event_stream(url.as_str(), last_event_id))
        .await
        .map_err(|_| FetchError::Timeout { url: url.to_string(), seconds: idle.as_secs().max(1) })??;
    let mut body = response.bytes_stream();
    let mut parser = SseParser::default();
    loop {
        let chunk = match tokio::time::timeout(idle, body.next()).await {
            Err(_) => return Ok(StreamEnd::Silent),
            Ok(None) => return Ok(StreamEnd::Closed),
            Ok(Some(Err(e))) => {
                return Err(FetchError::Network { url: url.to_string(), message: e.to_string() }.into());
            }
            Ok(Some(Ok(chunk))) => chunk,
        };
        for frame in parser.push(&chunk) {
            match frame.event.as_str() {
                "ready" => {
                    #[derive(Deserialize)]
                    struct Ready {
                        #[serde(default)]
                        editions: Vec<String>,
                    }
                    let editions = serde_json::from_str::<Ready>(&frame.data).map(|r| r.editions).unwrap_or_default();
                    on_event(RelayEvent::Ready { editions });
                }
                "story" => match serde_json::from_str::<RelayStory>(&frame.data) {
                    Ok(story) => on_event(RelayEvent::Story { id: frame.id, story }),
                    // A newer relay's story this build cannot read: the local poll has it.
                    Err(e) => crate::log_line!("caliber: relay event not understood ({e}): {}", frame.data),
                },
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_read_across_chunk_boundaries_and_line_endings() {
        let text = ": keep-alive\n\nevent: ready\nretry: 5000\ndata: {\"editions\":[\"ru\"]}\n\r\nid: 17\nevent: story\ndata: {\"a\":\r\ndata: \"Срочно\"}\r\n\r\n: ping\n\n";
        let bytes = text.as_bytes();
        // Every cut, one byte at a time included, gives the same two events.
        for step in [1, 2, 3, 7, bytes.len()] {
            let mut parser = SseParser::default();
            let frames: Vec<SseFrame> = bytes.chunks(step).flat_map(|c| parser.push(c)).collect();
            assert_eq!(
                frames,
                vec![
                    SseFrame { event: "ready".into(), data: "{\"editions\":[\"ru\"]}".into(), id: None },
                    SseFrame { event: "story".into(), data: "{\"a\":\n\"Срочно\"}".into(), id: Some("17".into()) },
                ],
                "chunks of {step}"
            );
        }
    }

    #[test]
    fn the_relay_url_is_checked_and_joined() {
        let url = events_url("http://127.0.0.1:8780", &["ru".into(), "en".into()]).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8780/v1/events?editions=ru%2Cen");
        assert_eq!(events_url("https://relay.example/caliber/", &[]).unwrap().as_str(), "https://relay.example/caliber/v1/events");
        assert_eq!(events_url("https://relay.example/caliber", &[]).unwrap().as_str(), "https://relay.example/caliber/v1/events");
        for bad in ["relay.example", "ftp://relay.example/", "https://user:pw@relay.example/", "http://", "file:///tmp/x", "https://r.example/#x"] {
            assert!(matches!(check_relay_url(bad), Err(Error::InvalidUrl { .. })), "{bad}");
        }
    }
}
