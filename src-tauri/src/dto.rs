//! What crosses the IPC boundary, in camelCase. The TypeScript side is generated from these
//! (`ts_rs::TS`) into ui/src/ipc/generated.ts by contract.rs: never edit that file by hand.

use caliber_core::{Article, Edition, Section, Source, SourceKind, StoryEdition, SyncEvent, SyncReport, SyncStatus};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct ArticleSummary {
    pub id: i64,
    pub source_url: String,
    /// Who published it (the site's name only for its own sources).
    pub source_name: String,
    /// From one of the site's own sources: only these carry its signature and notice.
    pub from_site: bool,
    pub url: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub categories: Vec<String>,
    /// RFC 3339, UTC.
    pub published_at: String,
    pub image_url: Option<String>,
    pub language: Option<String>,
    pub views: Option<i64>,
    pub is_breaking: bool,
    pub read: bool,
    pub saved: bool,
}

impl From<&Article> for ArticleSummary {
    fn from(a: &Article) -> Self {
        Self {
            id: a.id,
            source_url: a.source_url.clone(),
            source_name: a.source_name.clone(),
            from_site: a.from_site,
            url: a.url.clone(),
            title: a.title.clone(),
            summary: a.summary.clone(),
            author: a.author.clone(),
            categories: a.categories.clone(),
            published_at: rfc3339(a.published_at),
            image_url: a.image_url.clone(),
            language: a.language.clone(),
            views: a.views,
            is_breaking: a.is_breaking,
            read: a.read,
            saved: a.saved,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct ArticleDetail {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// Sanitised HTML; picture URLs are the originals (see imageSrc in ui/src/ipc).
    pub content_html: Option<String>,
}

impl From<&Article> for ArticleDetail {
    fn from(a: &Article) -> Self {
        Self { summary: a.into(), content_html: a.content_html.clone() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
/// Keyset cursor for the next page of a list.
pub struct Cursor {
    pub published_at: String,
    pub id: i64,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(optional_fields = nullable)]
pub struct ArticleListQuery {
    pub section: Option<String>,
    pub edition: Option<String>,
    #[ts(as = "Option<bool>")]
    pub saved_only: bool,
    #[ts(as = "Option<bool>")]
    pub unread_only: bool,
    pub before: Option<Cursor>,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct ArticlePage {
    pub items: Vec<ArticleSummary>,
    pub next: Option<Cursor>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub article: ArticleSummary,
    /// Escaped text with matches wrapped in <mark>…</mark>; safe to use as innerHTML.
    pub snippet_html: String,
}

/// The core marks matches with control characters; escape the text, then turn them into <mark>.
pub fn snippet_html(snippet: &str) -> String {
    snippet
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace(caliber_core::MARK_START, "<mark>")
        .replace(caliber_core::MARK_END, "</mark>")
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct SourceDto {
    pub id: i64,
    pub url: String,
    pub kind: Option<SourceKind>,
    pub title: Option<String>,
    pub last_sync_at: Option<String>,
    pub last_status: Option<SyncStatus>,
    pub last_error: Option<String>,
}

impl From<&Source> for SourceDto {
    fn from(s: &Source) -> Self {
        Self {
            id: s.id,
            url: s.url.clone(),
            kind: s.kind,
            title: s.title.clone(),
            last_sync_at: s.last_sync_at.map(rfc3339),
            last_status: s.last_status,
            last_error: s.last_error.clone(),
        }
    }
}

/// What removing a source did: its unsaved articles went, its saved ones stayed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct SourceRemovalDto {
    pub deleted_articles: u64,
    pub kept_saved: u64,
}

impl From<caliber_core::SourceRemoval> for SourceRemovalDto {
    fn from(r: caliber_core::SourceRemoval) -> Self {
        Self { deleted_articles: r.deleted_articles, kept_saved: r.kept_saved }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct EditionDto {
    pub code: String,
    pub name: String,
    pub language: String,
    pub followed: bool,
    /// "Read in English": the offer to read a story in this edition, in its language.
    pub read_in: String,
    /// Section name → the site's description of it, where it gives one (list_sections
    /// already matches them to sections; here for the mock backend).
    pub section_descriptions: std::collections::BTreeMap<String, String>,
}

impl EditionDto {
    pub fn new(e: Edition, followed: bool) -> Self {
        Self { code: e.code, name: e.name, language: e.language, followed, read_in: e.read_in, section_descriptions: e.sections }
    }
}

/// A section of an edition and the site's description of it, where it gives one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct SectionDto {
    pub name: String,
    pub description: Option<String>,
}

impl From<Section> for SectionDto {
    fn from(s: Section) -> Self {
        Self { name: s.name, description: s.description }
    }
}

/// The article's story in another edition the reader follows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoryEditionDto {
    pub article_id: i64,
    pub title: String,
    pub edition_code: String,
    /// The edition's language (for `lang`), and its offer in that language: "Read in English".
    pub language: String,
    pub read_in: String,
}

impl From<StoryEdition> for StoryEditionDto {
    fn from(s: StoryEdition) -> Self {
        Self { article_id: s.article_id, title: s.title, edition_code: s.edition.code, language: s.edition.language, read_in: s.edition.read_in }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct StorageStats {
    pub articles: i64,
    pub images: i64,
    pub image_bytes: i64,
    pub database_bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncSummary {
    pub new_total: u32,
    pub failed: u32,
    /// Sources that answered (with news or without): "up to date" is only said when some did.
    pub reached: u32,
    /// Every source failed to connect: the reader is offline.
    pub offline: bool,
}

impl From<&SyncReport> for SyncSummary {
    fn from(r: &SyncReport) -> Self {
        let failed = r.failed() as u32;
        let reached = r.sources.len() as u32 - failed;
        Self { new_total: r.new_total(), failed, reached, offline: r.offline() }
    }
}

/// Where one source's sync is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, TS)]
#[serde(rename_all = "lowercase")]
pub enum SyncStage {
    Started,
    Finished,
    Failed,
}

/// Payload of `sync:progress`, once per source and stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncProgressEvent {
    pub source_id: i64,
    pub url: String,
    pub stage: SyncStage,
    pub new_count: u32,
    pub updated_count: u32,
    pub error: Option<String>,
}

impl From<&SyncEvent> for SyncProgressEvent {
    fn from(e: &SyncEvent) -> Self {
        match e {
            SyncEvent::Started { source_id, url } => {
                Self { source_id: *source_id, url: url.clone(), stage: SyncStage::Started, new_count: 0, updated_count: 0, error: None }
            }
            SyncEvent::Finished { source_id, url, new, updated, .. } => {
                Self { source_id: *source_id, url: url.clone(), stage: SyncStage::Finished, new_count: *new, updated_count: *updated, error: None }
            }
            SyncEvent::Failed { source_id, url, error } => Self {
                source_id: *source_id,
                url: url.clone(),
                stage: SyncStage::Failed,
                new_count: 0,
                updated_count: 0,
                error: Some(error.clone()),
            },
        }
    }
}

/// Whether the push relay's event stream is open (Settings shows it; `relay:status` on change).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub enum RelayState {
    /// No relay address set: alerts come from the local poll alone.
    Off,
    Connecting,
    /// The stream is open: breaking news arrives as the relay sees it.
    Connected,
    /// The relay cannot be reached (or refused): the local poll still alerts; retrying.
    Unreachable,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct RelayStatus {
    pub state: RelayState,
    /// Why it is unreachable, as the network said it.
    pub error: Option<String>,
    /// Counts the changes since launch. A `relay:status` event and a `relay_status` reply
    /// travel by different channels and can arrive in either order: the higher is the newer.
    pub revision: u64,
}

/// Payload of `app:open-article` (a notification or deep link asks to show an article).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct OpenArticleEvent {
    pub id: i64,
}
