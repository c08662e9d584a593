//! Plain data the core hands out.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Feed,
    Site,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::Site => "site",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "feed" => Some(SourceKind::Feed),
            "site" => Some(SourceKind::Site),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    Ok,
    NotModified,
    Error,
}

impl SyncStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Ok => "ok",
            SyncStatus::NotModified => "not_modified",
            SyncStatus::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ok" => Some(SyncStatus::Ok),
            "not_modified" => Some(SyncStatus::NotModified),
            "error" => Some(SyncStatus::Error),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub id: i64,
    pub url: String,
    pub kind: Option<SourceKind>,
    pub title: Option<String>,
    pub language: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_status: Option<SyncStatus>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    /// Of the last document stored in full; an identical one needs no parsing.
    #[serde(skip)]
    pub(crate) body_hash: Option<[u8; 16]>,
}

/// What removing a source did: its unsaved articles went, its saved ones stayed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SourceRemoval {
    pub deleted_articles: u64,
    pub kept_saved: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Article {
    pub id: i64,
    pub source_id: i64,
    pub source_url: String,
    /// Who published it, as a reader should see it: the site's name only for the site's own
    /// sources, else the source's title or host. Never taken from the item itself.
    pub source_name: String,
    /// From one of the site's own sources (feed or edition), so it may carry its signature.
    pub from_site: bool,
    pub guid: String,
    pub url: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub author: Option<String>,
    pub categories: Vec<String>,
    pub published_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub image_url: Option<String>,
    pub language: Option<String>,
    pub views: Option<i64>,
    pub is_breaking: bool,
    pub first_seen_at: DateTime<Utc>,
    pub read: bool,
    pub saved: bool,
}

/// Which articles to list; newest first.
#[derive(Debug, Clone, Default)]
pub struct ArticleQuery {
    pub limit: Option<u32>,
    pub source_url: Option<String>,
    pub breaking_only: bool,
    pub saved_only: bool,
    pub unread_only: bool,
    pub category: Option<String>,
    pub language: Option<String>,
    /// Keyset paging: articles strictly older than this (published_at, id).
    pub before: Option<(DateTime<Utc>, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub article: Article,
    /// Plain text around the matches, each match between `MARK_START` and `MARK_END`.
    pub snippet: String,
}

/// Limits on what is kept per source. Saved articles are never deleted.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub max_per_source: Option<u32>,
    /// Articles both published and first seen longer ago than this are dropped.
    pub max_age: Option<chrono::Duration>,
}

impl Default for Retention {
    fn default() -> Self {
        Self { max_per_source: Some(2000), max_age: Some(chrono::Duration::days(90)) }
    }
}

/// Progress of a sync, per source, as it happens.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SyncEvent {
    Started { source_id: i64, url: String },
    Finished { source_id: i64, url: String, status: SyncStatus, new: u32, updated: u32 },
    Failed { source_id: i64, url: String, error: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceReport {
    pub source_id: i64,
    /// After any permanent redirect.
    pub url: String,
    pub status: SyncStatus,
    pub new: u32,
    pub updated: u32,
    pub error: Option<String>,
    /// Articles this sync added or changed, for the breaking-news policy.
    pub changed_article_ids: Vec<i64>,
    pub first_sync: bool,
    /// First sync, or first after being unreachable for long: a baseline for notifications.
    pub baseline: bool,
    /// The source could not be reached at all (no connection, timeout): maybe offline.
    pub unreachable: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncReport {
    pub sources: Vec<SourceReport>,
    /// Pictures downloaded after the sync (None when disabled).
    pub images: Option<crate::images::ImageReport>,
    /// The articles were stored but indexing them failed; they are indexed at a later sync.
    pub index_error: Option<String>,
    /// Unsaved articles of removed sources could not be dropped; a later sync tries again.
    pub purge_error: Option<String>,
}

impl SyncReport {
    pub fn new_total(&self) -> u32 {
        self.sources.iter().map(|s| s.new).sum()
    }

    /// Every source was unreachable: the device is most likely offline.
    pub fn offline(&self) -> bool {
        !self.sources.is_empty() && self.sources.iter().all(|s| s.unreachable)
    }

    pub fn failed(&self) -> usize {
        self.sources.iter().filter(|s| s.status == SyncStatus::Error).count()
    }
}

/// What `Core::import_opml` did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpmlImport {
    /// Each source of the file, and whether it is new.
    pub added: Vec<(Source, bool)>,
    /// Outlines left out, in document order.
    pub rejected: Vec<RejectedOutline>,
}

/// An outline `import_opml` could not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedOutline {
    /// Its xmlUrl as written, or its text when the URL is empty.
    pub outline: String,
    /// Why, for the reader.
    pub reason: String,
}

/// An article ready to be written: summary extracted; its HTML either sanitised
/// (`content_html`) or waiting to be (`unsanitised_body`, see store/pending.rs). Feed items
/// and site pages both become one through `prepare.rs`.
#[derive(Debug, Clone)]
pub struct PreparedArticle {
    pub guid: String,
    pub url: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub author: Option<String>,
    pub categories: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub image_url: Option<String>,
    pub language: Option<String>,
    pub views: Option<i64>,
    pub is_breaking: bool,
    pub hash: [u8; 16],
    /// A body still to be sanitised: written to `pending_bodies`, never to `content_html`.
    pub unsanitised_body: Option<UnsanitisedBody>,
}

/// A feed's body for an article, not yet sanitised. Its HTML is readable only inside the
/// crate, and the store keeps it out of every reader's way (store/pending.rs).
#[derive(Debug, Clone)]
pub struct UnsanitisedBody {
    /// Empty once `spilled` (store/pending.rs, `spill_bodies`).
    pub(crate) html: String,
    /// What relative URLs in `html` resolve against.
    pub(crate) base: url::Url,
    /// Where the HTML was written, beside the database, for the store to keep only that.
    pub(crate) spilled: Option<SpilledBody>,
}

/// A body's bytes in a file of the database's bodies directory.
#[derive(Debug, Clone)]
pub(crate) struct SpilledBody {
    /// The file's name in that directory.
    pub(crate) file: std::sync::Arc<str>,
    pub(crate) offset: u64,
    pub(crate) length: u64,
}
