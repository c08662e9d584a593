//! The relay's state: subscriptions and each edition's alert history (decisions, story keys,
//! the hourly log). Two backends behind one `Store`, so the poll, the API and the fan-out do
//! not care which is used:
//!
//! - SQLite (default): the relay's tables in the same file as the core's; one process.
//! - PostgreSQL (`--database postgres://…`): shared by several relay processes, of which
//!   exactly one polls at a time (an advisory lock on a dedicated session; `postgres.rs`).
//!   Each process keeps the core's copy of the site in its own SQLite file (`--db`), so the
//!   baseline ("was this article already there?") is also kept in PostgreSQL.

pub mod postgres;
pub mod sqlite;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use caliber_core::notify::{Candidate, History, Plan};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
pub use postgres::PgStore;
pub use sqlite::{RELAY_SCHEMA_VERSION, SqliteStore};

/// Story keys older than this no longer stop a repeat (the core uses the same window).
pub(crate) const STORY_WINDOW_HOURS: i64 = 48;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Webpush,
    Apns,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Webpush => "webpush",
            Kind::Apns => "apns",
        }
    }
}

/// Quiet hours in the subscriber's own time zone ("22:00"–"07:00", "Asia/Baku").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuietHours {
    pub start: String,
    pub end: String,
    pub time_zone: String,
}

/// What a subscriber chose; validated by the API before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Prefs {
    pub editions: Vec<String>,
    #[serde(default)]
    pub sections: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub kind: Kind,
    pub endpoint: String,
    pub p256dh: Option<String>,
    pub auth: Option<String>,
    pub prefs: Prefs,
    pub held: u32,
}

pub struct NewSubscription {
    pub kind: Kind,
    pub endpoint: String,
    pub p256dh: Option<String>,
    pub auth: Option<String>,
    pub prefs: Prefs,
}

/// An article a poll brought (new or changed), with what identifies it beyond this process.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub candidate: Candidate,
    /// The source's URL and the item's guid: the same in every relay process, where the
    /// core's article id is only this process's.
    pub key: String,
    pub source_url: String,
    /// This process's first sync of the source: its own copy of the site was empty, so only
    /// the shared history can tell what is new (PostgreSQL).
    pub first_sync: bool,
}

impl Arrival {
    pub fn new(article: caliber_core::Article, baseline: bool, first_sync: bool) -> Self {
        let key = format!("{} {}", article.source_url, article.guid);
        let source_url = article.source_url.clone();
        Self { candidate: Candidate::from_article(article, baseline), key, source_url, first_sync }
    }
}

#[allow(clippy::large_enum_variant)] // one per process, never moved after start
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Store {
    /// The SQLite store in `path` (the core's file).
    pub fn open(path: &Path) -> Result<Self> {
        Ok(Self::Sqlite(SqliteStore::open(path)?))
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Whether this process may poll now. SQLite: always (one process per file). PostgreSQL:
    /// it holds, or has just taken, the poller's advisory lock.
    pub async fn try_lead(&self) -> Result<bool> {
        match self {
            Store::Sqlite(_) => Ok(true),
            Store::Postgres(p) => p.try_lead().await,
        }
    }

    /// Share a streamed story with the other relays on the same database (PostgreSQL
    /// `NOTIFY`); with SQLite there are none.
    pub async fn share_event(&self, event: &crate::sse::StoryEvent) -> Result<()> {
        match self {
            Store::Sqlite(_) => Ok(()),
            Store::Postgres(p) => p.share_event(event).await,
        }
    }

    /// Stream what the other relays share (PostgreSQL); returns at once with SQLite.
    pub async fn follow_events(&self, hub: std::sync::Arc<crate::sse::Hub>) {
        if let Store::Postgres(p) = self {
            p.follow_events(hub).await;
        }
    }

    /// As of the last `try_lead`.
    pub fn leading(&self) -> bool {
        match self {
            Store::Sqlite(_) => true,
            Store::Postgres(p) => p.leading(),
        }
    }

    pub async fn schema_version(&self) -> Result<u32> {
        match self {
            Store::Sqlite(s) => s.schema_version(),
            Store::Postgres(p) => p.schema_version().await,
        }
    }

    pub async fn subscribe(&self, id: &str, new: &NewSubscription) -> Result<()> {
        match self {
            Store::Sqlite(s) => s.subscribe(id, new),
            Store::Postgres(p) => p.subscribe(id, new).await,
        }
    }

    pub async fn update(&self, id: &str, prefs: &Prefs) -> Result<bool> {
        match self {
            Store::Sqlite(s) => s.update(id, prefs),
            Store::Postgres(p) => p.update(id, prefs).await,
        }
    }

    pub async fn unsubscribe(&self, id: &str) -> Result<bool> {
        match self {
            Store::Sqlite(s) => s.unsubscribe(id),
            Store::Postgres(p) => p.unsubscribe(id).await,
        }
    }

    pub async fn remove_endpoint(&self, endpoint: &str) -> Result<bool> {
        match self {
            Store::Sqlite(s) => s.remove_endpoint(endpoint),
            Store::Postgres(p) => p.remove_endpoint(endpoint).await,
        }
    }

    pub async fn subscription(&self, id: &str) -> Result<Option<Subscription>> {
        match self {
            Store::Sqlite(s) => s.subscription(id),
            Store::Postgres(p) => p.subscription(id).await,
        }
    }

    pub async fn subscription_count(&self) -> Result<i64> {
        match self {
            Store::Sqlite(s) => s.subscription_count(),
            Store::Postgres(p) => p.subscription_count().await,
        }
    }

    pub async fn subscribers_of(&self, edition: &str) -> Result<Vec<Subscription>> {
        match self {
            Store::Sqlite(s) => s.subscribers_of(edition),
            Store::Postgres(p) => p.subscribers_of(edition).await,
        }
    }

    pub async fn with_held(&self) -> Result<Vec<Subscription>> {
        match self {
            Store::Sqlite(s) => s.with_held(),
            Store::Postgres(p) => p.with_held().await,
        }
    }

    pub async fn add_held(&self, ids: &[&str]) -> Result<()> {
        match self {
            Store::Sqlite(s) => s.add_held(ids),
            Store::Postgres(p) => p.add_held(ids).await,
        }
    }

    pub async fn clear_held(&self, id: &str) -> Result<()> {
        match self {
            Store::Sqlite(s) => s.clear_held(id),
            Store::Postgres(p) => p.clear_held(id).await,
        }
    }

    pub async fn interests(&self, edition: &str) -> Result<(Vec<String>, Vec<String>)> {
        match self {
            Store::Sqlite(s) => s.interests(edition),
            Store::Postgres(p) => p.interests(edition).await,
        }
    }

    /// Decide which arrivals are a baseline (never alert). SQLite: the core's own answer
    /// stands. PostgreSQL: what another process already saw is not news to this one.
    pub async fn settle_baselines(&self, arrivals: &mut [Arrival]) -> Result<()> {
        match self {
            Store::Sqlite(_) => Ok(()),
            Store::Postgres(p) => p.settle_baselines(arrivals).await,
        }
    }

    pub async fn edition_history(&self, edition: &str, arrivals: &[Arrival], now: DateTime<Utc>) -> Result<History> {
        match self {
            Store::Sqlite(s) => {
                let ids: Vec<i64> = arrivals.iter().map(|a| a.candidate.article_id).collect();
                s.edition_history(edition, &ids, now)
            }
            Store::Postgres(p) => p.edition_history(edition, arrivals, now).await,
        }
    }

    /// Record an edition's plan (and, on PostgreSQL, what this poll saw of `synced` sources),
    /// in one transaction, before anything is sent.
    pub async fn record_plan(
        &self,
        edition: &str,
        plan: &Plan,
        arrivals: &[Arrival],
        synced: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        match self {
            Store::Sqlite(s) => s.record_plan(edition, plan, now),
            Store::Postgres(p) => p.record_plan(edition, plan, arrivals, synced, now).await,
        }
    }

    pub async fn announced_elsewhere(&self, edition: &str, keys: &[String], now: DateTime<Utc>) -> Result<HashSet<String>> {
        match self {
            Store::Sqlite(s) => s.announced_elsewhere(edition, keys, now),
            Store::Postgres(p) => p.announced_elsewhere(edition, keys, now).await,
        }
    }

    pub async fn counts(&self) -> Result<HashMap<String, i64>> {
        match self {
            Store::Sqlite(s) => s.counts(),
            Store::Postgres(p) => p.counts().await,
        }
    }
}
