//! Server-sent events (`GET /v1/events?editions=ru,en`): each breaking story the relay's
//! policy lets through, the moment it does, to clients that keep a connection open (the
//! desktop app, a browser's `EventSource`). No subscription, nothing stored about the
//! client: the stream is the same for everyone who asks for the same editions.
//!
//! Each event's `id` grows across restarts (milliseconds of the decision, or one more than
//! the last), and the last `RECENT` events are kept in memory, so a client that reconnects
//! with `Last-Event-ID` gets what it missed since, unless the relay restarted meanwhile (its
//! own poll covers that gap). Connections are capped (`--sse-max-clients`, 503 beyond) and
//! kept alive with a comment every `--sse-keepalive-seconds`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use caliber_core::notify::Candidate;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast};

use crate::api::ApiState;
use crate::push::Alert;

/// Events kept for `Last-Event-ID` resumes: far more than a reconnect takes to miss.
pub const RECENT: usize = 100;

/// One breaking story as the stream carries it: the push payload (`kind`, `edition`,
/// `title`, `source`, `url`, `breaking`, `story`) and what a client needs to recognise the
/// story as one it has already announced (every key: cover picture, links) or to file it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoryEvent {
    #[serde(skip)]
    pub id: u64,
    #[serde(flatten)]
    pub alert: Alert,
    /// Every story key the relay knows for it (`img:<picture>`, `url:<link>`).
    pub keys: Vec<String>,
    pub sections: Vec<String>,
    pub published: DateTime<Utc>,
}

impl StoryEvent {
    fn edition(&self) -> &str {
        match &self.alert {
            Alert::Story { edition, .. } => edition,
            Alert::Summary { edition, .. } => edition.as_deref().unwrap_or(""),
        }
    }
}

struct Recent {
    last_id: u64,
    events: VecDeque<Arc<StoryEvent>>,
}

/// Where the poll publishes and the API's streams listen.
pub struct Hub {
    live: broadcast::Sender<Arc<StoryEvent>>,
    recent: Mutex<Recent>,
    slots: Arc<Semaphore>,
    max_clients: usize,
    keep_alive: Duration,
}

impl Hub {
    pub fn new(max_clients: usize, keep_alive: Duration) -> Self {
        Self {
            live: broadcast::channel(RECENT).0,
            recent: Mutex::new(Recent { last_id: 0, events: VecDeque::with_capacity(RECENT) }),
            slots: Arc::new(Semaphore::new(max_clients)),
            max_clients,
            keep_alive,
        }
    }

    /// Announce one story to every open stream (and keep it for resumes); the event as sent.
    pub fn publish(&self, alert: &Alert, candidate: &Candidate, keys: &[String], now: DateTime<Utc>) -> Arc<StoryEvent> {
        let event = StoryEvent {
            id: u64::try_from(now.timestamp_millis()).unwrap_or(0),
            alert: alert.clone(),
            keys: keys.to_vec(),
            sections: candidate.categories.clone(),
            published: candidate.published_at,
        };
        self.announce(event)
    }

    /// A story another relay process published (PostgreSQL: `store::PgStore::follow_events`):
    /// the same stories reach the streams of every relay, not only the poller's.
    pub fn relay_from_peer(&self, event: StoryEvent) -> Arc<StoryEvent> {
        self.announce(event)
    }

    /// `event.id` is a wish (the decision's milliseconds): ids only grow on one stream.
    fn announce(&self, mut event: StoryEvent) -> Arc<StoryEvent> {
        let mut recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        event.id = (recent.last_id + 1).max(event.id);
        recent.last_id = event.id;
        let event = Arc::new(event);
        if recent.events.len() == RECENT {
            recent.events.pop_front();
        }
        recent.events.push_back(event.clone());
        // No receiver is fine: nobody is listening right now.
        let _ = self.live.send(event.clone());
        event
    }

    /// Open streams now.
    pub fn clients(&self) -> usize {
        self.max_clients.saturating_sub(self.slots.available_permits())
    }

    /// The kept events after `last_seen`, oldest first.
    fn since(&self, last_seen: u64) -> Vec<Arc<StoryEvent>> {
        let recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        recent.events.iter().filter(|e| e.id > last_seen).cloned().collect()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Comma-separated edition codes; absent or empty: every edition the relay polls.
    #[serde(default)]
    pub editions: Option<String>,
}

fn to_event(story: &StoryEvent) -> Event {
    // A story always serialises; an empty data line would be the only other outcome.
    let data = serde_json::to_string(story).unwrap_or_default();
    Event::default().id(story.id.to_string()).event("story").data(data)
}

struct Streaming {
    backlog: VecDeque<Arc<StoryEvent>>,
    live: broadcast::Receiver<Arc<StoryEvent>>,
    editions: Vec<String>,
    /// Live events at or below this were in the backlog already.
    replayed_up_to: u64,
    hello: Option<Event>,
    /// Held while the stream is open: the connection's place under the cap.
    _slot: OwnedSemaphorePermit,
}

fn stream(streaming: Streaming) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(streaming, |mut s| async move {
        if let Some(hello) = s.hello.take() {
            return Some((Ok(hello), s));
        }
        if let Some(story) = s.backlog.pop_front() {
            return Some((Ok(to_event(&story)), s));
        }
        loop {
            match s.live.recv().await {
                Ok(story) if story.id > s.replayed_up_to && s.editions.iter().any(|e| e == story.edition()) => {
                    return Some((Ok(to_event(&story)), s));
                }
                Ok(_) => {}
                // Too slow to keep up (or shutting down): end the stream; the client resumes
                // from its Last-Event-ID and gets the missed stories from the kept ones.
                Err(broadcast::error::RecvError::Lagged(_) | broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

/// `GET /v1/events`: 200 `text/event-stream`; 422 for an unknown edition or a bad
/// `Last-Event-ID`; 503 with `Retry-After` when every place is taken.
pub async fn events(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> Response {
    let error = |status: StatusCode, message: String| (status, axum::Json(serde_json::json!({ "error": message }))).into_response();
    let editions: Vec<String> = match query.editions.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => state.editions.clone(),
        Some(list) => list.split(',').map(|e| e.trim().to_owned()).collect(),
    };
    if let Some(unknown) = editions.iter().find(|e| !state.editions.contains(e)) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("unknown edition {unknown:?}; this relay serves {}", state.editions.join(", ")),
        );
    }
    let last_seen = match headers.get("last-event-id").map(|v| v.to_str().map(|s| s.trim().parse::<u64>())) {
        None => None,
        Some(Ok(Ok(id))) => Some(id),
        Some(_) => return error(StatusCode::UNPROCESSABLE_ENTITY, "Last-Event-ID must be an id this relay sent (a number)".into()),
    };
    let hub = &state.events;
    let Ok(slot) = hub.slots.clone().try_acquire_owned() else {
        let mut response = error(StatusCode::SERVICE_UNAVAILABLE, "too many open event streams; try again later".into());
        response.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from_static("30"));
        return response;
    };
    // Listen first, then read the kept events: nothing falls between the two.
    let live = hub.live.subscribe();
    let backlog: VecDeque<_> = match last_seen {
        Some(id) => hub.since(id).into_iter().filter(|e| editions.iter().any(|w| w == e.edition())).collect(),
        None => VecDeque::new(),
    };
    let replayed_up_to = backlog.back().map_or(last_seen.unwrap_or(0), |e| e.id);
    // Says the stream is open (a client can show "connected" at once) and how long a
    // browser's EventSource should wait before reconnecting.
    let hello = Event::default()
        .event("ready")
        .retry(Duration::from_secs(5))
        .data(serde_json::json!({ "editions": editions }).to_string());
    let streaming = Streaming { backlog, live, editions, replayed_up_to, hello: Some(hello), _slot: slot };
    Sse::new(stream(streaming)).keep_alive(KeepAlive::new().interval(hub.keep_alive)).into_response()
}
