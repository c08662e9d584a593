//! caliber-core: everything Caliber Reader knows about news, without any UI.
//!
//! This file is the entirety of the public API (the front door): the shell and the CLI
//! use `Core` and the types re-exported here. The core is handed its database path, HTTP
//! client and clock; it never looks up platform paths itself (mobile sandboxes differ).

/// `eprintln!` that never panics. A diagnostic line that cannot be written (stderr on a full
/// disk, a broken pipe) is dropped, where `eprintln!` would panic and take down the thread
/// that wanted to report: the relay's poller at its first line, the app's notification or
/// relay thread (RELIABILITY.md). For the hosts' and the core's diagnostics alike.
#[macro_export]
macro_rules! log_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod breaking;
mod clock;
mod digest;
mod error;
mod fetch;
mod fold;
mod fulltext;
mod images;
mod locks;
pub mod malloc;
mod model;
pub mod notify;
mod opml;
mod parse;
pub mod phases;
mod prepare;
pub mod push;
pub mod relay;
mod sanitize;
mod site;
mod store;
mod stories;
mod sync;
mod weburl;
mod xmlfeed;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

pub use breaking::is_breaking;
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, FetchError, ParseError, Result};
pub use fetch::{FetchOptions, HttpClient, USER_AGENT};
pub use images::{ImageOptions, ImageReport};
pub use model::{
    Article, ArticleQuery, OpmlImport, RejectedOutline, Retention, SearchHit, Source, SourceKind, SourceRemoval,
    SourceReport, SyncEvent, SyncReport, SyncStatus,
};
pub use sanitize::{html_to_text, sanitize_html};
pub use site::{Edition, canonical_url};
pub use store::SCHEMA_VERSION;
pub use store::search::{MARK_END, MARK_START, fts_query};

/// The database file's name inside the data dir; the app and the CLI open the same one.
pub const DB_FILE_NAME: &str = "caliber.db";

/// What the core is given by its host (the app, the CLI, a test).
pub struct CoreConfig {
    pub db_path: PathBuf,
    pub http: HttpClient,
    pub clock: Arc<dyn Clock>,
    pub retention: Retention,
    /// Threads that parse and sanitise during a sync; defaults to the number of cores.
    pub cpu_workers: usize,
    /// Fetch the article page for feed items that carry only a summary.
    pub full_text: bool,
    /// Pictures stored for offline reading.
    pub images: ImageOptions,
    /// Whether `Core::open` indexes what an upgrade queued for the index before it returns
    /// (true: the CLI's next command searches a whole index). The app passes false and calls
    /// `Core::index_pending` once its window shows: the first launch after an update that
    /// rebuilt the index (migration 0012) would otherwise wait 5 s for it at 100,000
    /// articles, on the thread that opens the window.
    pub index_at_open: bool,
}

impl CoreConfig {
    /// Defaults for a database inside `data_dir`.
    pub fn in_data_dir(data_dir: &Path, http: HttpClient) -> Self {
        Self::at(data_dir.join(DB_FILE_NAME), http)
    }

    pub fn at(db_path: PathBuf, http: HttpClient) -> Self {
        Self {
            db_path,
            http,
            clock: Arc::new(SystemClock),
            retention: Retention::default(),
            cpu_workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            full_text: true,
            images: ImageOptions::default(),
            index_at_open: true,
        }
    }
}

pub struct Core {
    store: Mutex<store::Store>,
    /// Pictures on a connection of their own: a screenful of them asked for at once must
    /// not queue in front of the reader's list, search and settings.
    pictures: Mutex<store::Store>,
    sync: Arc<sync::SyncContext>,
    images: ImageOptions,
    thumbnails: images::thumbnail::ThumbnailCache,
}

/// Thumbnails kept in memory: a few KB each, so a few screenfuls scrolled back over. Older
/// ones are read from the pictures' table. At 8 MiB a scroll through 1,000 cards left the
/// app's process 9 MiB larger than without pictures; at 1 MiB, with glibc handing freed
/// pages back after each burst of pictures (`malloc::give_back_free_memory`), 3–4 MiB
/// (BENCHMARKS.md, "the thumbnail cache").
const THUMBNAIL_CACHE_BYTES: usize = 1024 * 1024;

impl Core {
    /// Open (creating and migrating as needed) the database.
    pub fn open(config: CoreConfig) -> Result<Self> {
        let store = if config.index_at_open { store::Store::open(&config.db_path)? } else { store::Store::open_leaving_index(&config.db_path)? };
        let pictures = store::Store::open(&config.db_path)?;
        let sync = sync::SyncContext {
            db_path: config.db_path,
            http: config.http,
            clock: config.clock,
            retention: config.retention,
            cpu_workers: config.cpu_workers,
            full_text: config.full_text,
            stop_after_listing: false,
        };
        Ok(Self {
            store: Mutex::new(store),
            pictures: Mutex::new(pictures),
            sync: Arc::new(sync),
            images: config.images,
            thumbnails: images::thumbnail::ThumbnailCache::new(THUMBNAIL_CACHE_BYTES),
        })
    }

    pub fn db_path(&self) -> &Path {
        &self.sync.db_path
    }

    fn store(&self) -> MutexGuard<'_, store::Store> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll back).
        locks::lock(&self.store)
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.sync.clock.now()
    }

    /// Add sources without touching the network. Returns each source and whether it is new.
    pub fn add_sources(&self, urls: &[String], kind: Option<SourceKind>) -> Result<Vec<(Source, bool)>> {
        let normalized = urls.iter().map(|u| normalize_source_url(u)).collect::<Result<Vec<_>>>()?;
        let store = self.store();
        normalized.iter().map(|url| store.add_source(url, kind, self.now())).collect()
    }

    /// Remove a source and its unsaved articles; saved articles (their pictures and read
    /// marks) are kept. `None` when no such source is followed.
    pub fn remove_source(&self, url: &str) -> Result<Option<SourceRemoval>> {
        self.store().remove_source(url, self.now())
    }

    pub fn sources(&self) -> Result<Vec<Source>> {
        self.store().sources()
    }

    /// Sync every source once. Progress is reported per source as it happens; one failing
    /// source never affects another (its error is recorded on it and in the report).
    /// Pictures of the articles it stored are then downloaded for offline reading.
    pub async fn run_once(&self, progress: impl Fn(SyncEvent) + Send + Sync + 'static) -> Result<SyncReport> {
        let (mut report, deadlines) = sync::run_once(self.sync.clone(), Arc::new(progress)).await?;
        let changed: Vec<(String, Vec<i64>)> = report
            .sources
            .iter()
            .filter(|s| !s.changed_article_ids.is_empty())
            .map(|s| (s.url.clone(), s.changed_article_ids.clone()))
            .collect();
        // A source's pictures are fetched within what is left of its deadline.
        let until: Vec<tokio::time::Instant> = report
            .sources
            .iter()
            .filter(|s| !s.changed_article_ids.is_empty())
            .map(|s| deadlines.get(&s.source_id).copied().unwrap_or_else(tokio::time::Instant::now))
            .collect();
        // Nothing stored, nothing to fetch or evict: an all-304 sync stays a few requests.
        if changed.is_empty() {
            return Ok(report);
        }
        // Without downloads there is nothing more to do: every stored body's pictures were
        // linked with it (store/pending.rs), so the reader's window may still load them. Reading
        // every body back to link them here was the last 7 % of a cold sync, on one core.
        if self.images.enabled {
            report.images = Some(images::fetch_for_articles(&self.store, &self.sync.http, self.images, &changed, &until, self.now()).await?);
        }
        Ok(report)
    }

    /// Run the breaking-news policy over what a sync stored, record its decisions, and
    /// return what to show. `local_offset` is the reader's time zone (for quiet hours).
    pub fn notifications_for(
        &self,
        report: &SyncReport,
        prefs: &notify::NotifyPrefs,
        local_offset: chrono::FixedOffset,
    ) -> Result<Vec<notify::Notice>> {
        let store = self.store();
        let mut candidates = Vec::new();
        for source in report.sources.iter().filter(|s| s.status == SyncStatus::Ok) {
            for &id in &source.changed_article_ids {
                let Some(a) = store.article(id)? else { continue };
                candidates.push(notify::Candidate::from_article(a, source.baseline));
            }
        }
        let now = self.now();
        let ids: Vec<i64> = candidates.iter().map(|c| c.article_id).collect();
        let history = store.notify_history(&ids, now)?;
        let plan = notify::decide(&candidates, prefs, &history, now, local_offset);
        store.record_notify_plan(&plan, now)?;
        Ok(plan.notices)
    }

    /// Read the push relay's event stream at `url` (`relay::events_url`) until it ends,
    /// with the core's HTTP client; see `relay::follow`.
    pub async fn follow_relay(
        &self,
        url: &url::Url,
        last_event_id: Option<&str>,
        idle: std::time::Duration,
        on_event: impl FnMut(relay::RelayEvent),
    ) -> Result<relay::StreamEnd> {
        relay::follow(&self.sync.http, url, last_event_id, idle, on_event).await
    }

    /// A story the relay streamed, under the reader's own policy and history: what to show
    /// now (nothing if the local poll or an earlier event already announced it). What is
    /// shown is recorded with every key of the story, so the local poll will not announce
    /// it again; what the policy would hold back (quiet hours, a pause, the hourly limit)
    /// is left to the local poll, which holds and summarises it as it does its own.
    /// An article not stored here yet is `Notice::Article` with id `relay::NOT_STORED`.
    pub fn notify_relayed(
        &self,
        story: &relay::RelayStory,
        prefs: &notify::NotifyPrefs,
        local_offset: chrono::FixedOffset,
    ) -> Result<Vec<notify::Notice>> {
        let store = self.store();
        let now = self.now();
        let local = match story.url.as_deref() {
            Some(url) => match store.article_id_by_url(url)? {
                Some(id) => store.article(id)?,
                None => None,
            },
            None => None,
        };
        let candidate = match local {
            Some(article) => {
                let mut c = notify::Candidate::from_article(article, false);
                c.is_breaking |= story.breaking;
                c
            }
            None => notify::Candidate {
                article_id: relay::NOT_STORED,
                title: story.title.clone(),
                source: story.source.clone(),
                url: story.url.clone(),
                image_url: None,
                categories: story.sections.clone(),
                language: Some(
                    Self::editions().into_iter().find(|e| e.code == story.edition).map_or_else(|| story.edition.clone(), |e| e.language),
                ),
                published_at: story.published,
                is_breaking: story.breaking,
                baseline: false,
            },
        };
        let ids: Vec<i64> = [candidate.article_id].into_iter().filter(|&id| id != relay::NOT_STORED).collect();
        let history = store.notify_history(&ids, now)?;
        if story.keys.iter().any(|k| history.story_keys.contains(k)) {
            return Ok(Vec::new());
        }
        let mut plan = notify::decide(std::slice::from_ref(&candidate), prefs, &history, now, local_offset);
        plan.held.retain(|(id, _)| *id != relay::NOT_STORED);
        for (_, keys) in plan.sent.iter_mut().chain(plan.held.iter_mut()) {
            for key in &story.keys {
                if !keys.contains(key) {
                    keys.push(key.clone());
                }
            }
        }
        store.record_notify_plan(&plan, now)?;
        Ok(plan.notices)
    }

    /// Bring this device's subscription at the push relay in line with `relay_url` (empty:
    /// none), the platform's `device` registration (`None`: not registered yet) and what
    /// the reader wants (`push::PushPrefs::new`): subscribe, update, or delete it, and
    /// remember it in the settings table. See `push::reconcile`.
    pub async fn sync_push_subscription(
        &self,
        relay_url: &str,
        device: Option<&push::PushDevice>,
        wanted: &push::PushPrefs,
    ) -> Result<push::PushOutcome> {
        let stored = self.push_subscription()?;
        let (outcome, keep) = push::reconcile(&self.sync.http, stored.clone(), relay_url, device, wanted).await?;
        if keep != stored {
            match keep {
                Some(subscription) => {
                    let json = serde_json::to_string(&subscription).expect("a subscription serialises");
                    self.set_setting(push::SUBSCRIPTION_KEY, &json)?;
                }
                None => self.store().delete_setting(push::SUBSCRIPTION_KEY)?,
            }
        }
        Ok(outcome)
    }

    /// This device's subscription at the push relay, as last made.
    pub fn push_subscription(&self) -> Result<Option<push::PushSubscription>> {
        // Unreadable (another build's shape): as if none, so the next sync subscribes anew.
        Ok(self.setting(push::SUBSCRIPTION_KEY)?.and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// The relay's VAPID public key, for a platform that registers with it (UnifiedPush).
    pub async fn relay_vapid_key(&self, relay_url: &str) -> Result<String> {
        push::vapid_public_key(&self.sync.http, relay_url).await
    }

    /// Alerts the phone showed by itself while the app was not running: their stories are
    /// recorded as announced (as `notify_relayed` records what it shows), so neither the
    /// local poll nor the relay's stream announces them again. Nothing is shown.
    pub fn record_shown_alerts(&self, alerts: &[push::ShownAlert]) -> Result<()> {
        let store = self.store();
        let mut plan = notify::Plan::default();
        for alert in alerts {
            let keys = alert.keys();
            if keys.is_empty() {
                continue;
            }
            let id = match alert.url.as_deref() {
                Some(url) => store.article_id_by_url(url)?.unwrap_or(relay::NOT_STORED),
                None => relay::NOT_STORED,
            };
            plan.sent.push((id, keys));
        }
        if !plan.sent.is_empty() {
            store.record_notify_plan(&plan, self.now())?;
        }
        Ok(())
    }

    /// The stored article with this link, if any (a relayed alert's click).
    pub fn article_id_by_url(&self, url: &str) -> Result<Option<i64>> {
        self.store().article_id_by_url(url)
    }

    /// A stored picture's content type and bytes, if it was downloaded.
    pub fn image(&self, url: &str) -> Result<Option<(String, Vec<u8>)>> {
        locks::lock(&self.pictures).image(url)
    }

    /// A picture for display: from the store when it is there (no network), else fetched,
    /// checked to be an image, stored and returned. Only pictures a stored article shows
    /// are fetched, and only where that article's source may reach (see
    /// `HttpClient::get_derived`); the store is then trimmed to its cap. `None` when it
    /// cannot be had.
    pub async fn fetch_image(&self, url: &str) -> Result<Option<(String, Vec<u8>)>> {
        if let Some(stored) = self.image(url)? {
            return Ok(Some(stored));
        }
        let Some(source_url) = locks::lock(&self.pictures).picture_source(url)? else { return Ok(None) };
        let outcome = self.sync.http.get_derived(url, self.images.max_image_bytes, 0, &source_url).await;
        let Ok(fetch::FetchOutcome::Fetched(fetched)) = outcome else { return Ok(None) };
        let Some((content_type, body)) = images::as_picture(fetched) else { return Ok(None) };
        let store = locks::lock(&self.pictures);
        store.put_images([(url, content_type.as_str(), body.as_slice())], self.now())?;
        store.evict_images(self.images.cap_bytes)?;
        Ok(Some((content_type, body)))
    }

    /// A picture for a box `width` device pixels wide (a card's thumbnail): a copy scaled to
    /// cover that box when it saves the web view decoding the whole picture, else the
    /// picture itself (small already, or a type or size not scaled here).
    pub async fn fetch_thumbnail(&self, url: &str, width: u32) -> Result<Option<(String, Vec<u8>)>> {
        let width = images::thumbnail::box_width(width);
        let known = match self.thumbnails.get(url, width) {
            Some(cached) => Some(cached),
            // Made by an earlier run: read, not decoded again.
            None => locks::lock(&self.pictures).thumbnail(url, width)?.map(|stored| {
                let cached = stored.map(|(content_type, bytes)| (images::thumbnail::served_type(&content_type), Arc::new(bytes)));
                self.thumbnails.put(url, width, cached.clone());
                cached
            }),
        };
        if let Some(known) = known {
            return match known {
                Some((content_type, bytes)) => Ok(Some((content_type.to_owned(), bytes.to_vec()))),
                None => self.fetch_image(url).await,
            };
        }
        let Some((content_type, original)) = self.fetch_image(url).await? else { return Ok(None) };
        // Decoding is CPU work: off the async workers, which serve the reader's commands.
        let scaled = tokio::task::spawn_blocking(move || (images::thumbnail::thumbnail(&original, width), original)).await;
        // A decoder that panicked on hostile bytes: the original, as the web view gets it anyway.
        let Ok((made, original)) = scaled else { return self.fetch_image(url).await };
        let made = made.map(|(small_type, small)| (small_type, Arc::new(small)));
        self.thumbnails.put(url, width, made.clone());
        // Kept for the next launch. Not kept (a sync writing, a full disk) costs one decode
        // next time, never the reader's picture.
        let _ = locks::lock(&self.pictures).put_thumbnail_unless_busy(url, width, made.as_ref().map(|(t, b)| (*t, b.as_slice())));
        Ok(Some(match made {
            Some((small_type, small)) => (small_type.to_owned(), small.to_vec()),
            None => (content_type, original),
        }))
    }

    /// A host's setting (opaque to the core).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.store().setting(key)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.store().set_setting(key, value)
    }

    /// Sections of recent articles (optionally of one language), most used first.
    pub fn sections(&self, language: Option<&str>, limit: u32) -> Result<Vec<String>> {
        self.store().sections(language, limit)
    }

    /// Sections of an edition's recent articles (of all editions when `None`), most used
    /// first, each with the site's description where it gives one.
    pub fn edition_sections(&self, edition: Option<&str>, limit: u32) -> Result<Vec<Section>> {
        let edition = edition
            .map(|code| site::data().editions.iter().find(|e| e.code == code).ok_or_else(|| Error::UnknownEdition(code.into())))
            .transpose()?;
        let names = self.store().sections(edition.map(|e| e.language.as_str()), limit)?;
        Ok(names
            .into_iter()
            .map(|name| Section { description: edition.and_then(|e| e.section_description(&name)).map(str::to_owned), name })
            .collect())
    }

    /// Total articles stored.
    pub fn article_count(&self) -> Result<i64> {
        self.store().article_count()
    }

    /// (count, bytes) of stored pictures.
    pub fn image_stats(&self) -> Result<(i64, i64)> {
        self.store().image_stats()
    }

    /// The site's editions (data from the site adapter).
    pub fn editions() -> Vec<Edition> {
        site::data().editions.clone()
    }

    /// Every edition with whether it is followed: one of its source URLs is a source. The
    /// one rule the CLI and the app both show.
    pub fn editions_followed(&self) -> Result<Vec<(Edition, bool)>> {
        let followed: Vec<String> = self.store().sources()?.into_iter().map(|s| s.url).collect();
        Ok(site::data()
            .editions
            .iter()
            .map(|e| {
                let is_followed = site::edition_source_urls(e).iter().any(|(url, _)| followed.contains(url));
                (e.clone(), is_followed)
            })
            .collect())
    }

    /// The edition to follow by default for a system language ("ru-RU", "az", …): the
    /// matching one, else English.
    pub fn default_edition(system_language: &str) -> Edition {
        let lang = system_language.split(['-', '_', '.']).next().unwrap_or("").to_ascii_lowercase();
        let editions = &site::data().editions;
        editions.iter().find(|e| e.language == lang).or_else(|| editions.iter().find(|e| e.code == "en")).unwrap_or(&editions[0]).clone()
    }

    /// Follow an edition: add its feed (where it has one) and its listing page.
    pub fn follow_edition(&self, code: &str) -> Result<Vec<(Source, bool)>> {
        let edition = site::data().editions.iter().find(|e| e.code == code).ok_or_else(|| Error::UnknownEdition(code.into()))?;
        let store = self.store();
        site::edition_source_urls(edition).into_iter().map(|(url, kind)| store.add_source(&url, Some(kind), self.now())).collect()
    }

    /// Stop following an edition: its unsaved articles go, saved ones stay.
    pub fn unfollow_edition(&self, code: &str) -> Result<SourceRemoval> {
        let edition = site::data().editions.iter().find(|e| e.code == code).ok_or_else(|| Error::UnknownEdition(code.into()))?;
        let store = self.store();
        let mut total = SourceRemoval::default();
        for (url, _) in site::edition_source_urls(edition) {
            if let Some(removed) = store.remove_source(&url, self.now())? {
                total.deleted_articles += removed.deleted_articles;
                total.kept_saved += removed.kept_saved;
            }
        }
        Ok(total)
    }

    /// On first run only (no sources at all): follow the default edition. Returns whether it did.
    pub fn add_default_sources(&self, system_language: &str) -> Result<bool> {
        if !self.store().sources()?.is_empty() {
            return Ok(false);
        }
        self.follow_edition(&Self::default_edition(system_language).code)?;
        Ok(true)
    }

    /// Add every feed of an OPML file that has a usable URL; the others are reported in
    /// `rejected`, never cost the rest. A document that is not OPML at all is an error.
    pub fn import_opml(&self, opml: &str) -> Result<OpmlImport> {
        let mut import = OpmlImport::default();
        let mut urls = Vec::new();
        for outline in opml::feed_outlines(opml)? {
            if outline.url.is_empty() {
                let outline_text = outline.text.unwrap_or_else(|| "(untitled outline)".into());
                import.rejected.push(RejectedOutline { outline: outline_text, reason: "empty xmlUrl".into() });
                continue;
            }
            match normalize_source_url(&outline.url) {
                Ok(url) => urls.push(url),
                Err(e) => import.rejected.push(RejectedOutline { outline: outline.url, reason: e.to_string() }),
            }
        }
        import.added = self.add_sources(&urls, None)?;
        Ok(import)
    }

    /// Every source as an OPML 2.0 document.
    pub fn export_opml(&self) -> Result<String> {
        Ok(opml::write(&self.sources()?))
    }

    pub fn articles(&self, query: &ArticleQuery) -> Result<Vec<Article>> {
        self.store().articles(query)
    }

    pub fn article(&self, id: i64) -> Result<Article> {
        self.store().article(id)?.ok_or(Error::ArticleNotFound(id))
    }

    /// The same story in the reader's other editions: for each followed edition (in the
    /// site's order) that has it, that edition and its article. A local lookup — it works
    /// offline. Two articles are one story by the rule in `stories` (same cover picture,
    /// each the other's nearest in time); an article without a cover has none.
    pub fn story_in_other_editions(&self, id: i64) -> Result<Vec<StoryEdition>> {
        let store = self.store();
        let article = store.article(id)?.ok_or(Error::ArticleNotFound(id))?;
        let (Some(picture), Some(language)) = (article.image_url.as_deref().and_then(notify::picture_name), article.language.as_deref())
        else {
            return Ok(Vec::new());
        };
        let base_language = |l: &str| l.split(['-', '_']).next().unwrap_or(l).to_ascii_lowercase();
        let of = stories::StoryArticle { id, language: base_language(language), published_at: article.published_at };
        // Twice the window: the mutual check looks a window around each candidate.
        let span = stories::WINDOW * 2;
        let mut group = store.articles_with_picture(picture, article.published_at - span, article.published_at + span, id)?;
        for a in &mut group {
            a.language = base_language(&a.language);
        }
        let editions = &site::data().editions;
        let mut found = Vec::new();
        for other_id in stories::other_editions(&of, &group) {
            let Some(other) = store.article(other_id)? else { continue };
            let other_language = other.language.as_deref().map(base_language).unwrap_or_default();
            if let Some(edition) = editions.iter().find(|e| e.language == other_language) {
                found.push(StoryEdition { article_id: other.id, title: other.title, edition: edition.clone() });
            }
        }
        found.sort_by_key(|s| editions.iter().position(|e| e.code == s.edition.code));
        Ok(found)
    }

    /// Index the stored articles search cannot find yet (those an upgrade queued, when
    /// `CoreConfig::index_at_open` was false). On a connection of its own, so readers and
    /// searches go on meanwhile; a reader's mark waits at most a second for its write lock.
    pub fn index_pending(&self) -> Result<u64> {
        store::Store::open(&self.sync.db_path)?.index_pending()
    }

    /// Ranked full-text search; any input is accepted (operators are searched for, not parsed).
    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        self.store().search(query, limit)
    }

    /// `search`, unless `still_wanted` says otherwise once the database is ours (search as
    /// you type: a search that waited while the reader typed on is not run). `None` then.
    pub fn search_if(&self, query: &str, limit: u32, still_wanted: impl Fn() -> bool) -> Result<Option<Vec<SearchHit>>> {
        let store = self.store();
        if !still_wanted() {
            return Ok(None);
        }
        store.search(query, limit).map(Some)
    }

    /// Set the reader's marks; `None` leaves a mark as it is.
    pub fn mark(&self, id: i64, read: Option<bool>, saved: Option<bool>) -> Result<Article> {
        self.store().mark(id, read, saved, self.now())
    }

    /// Apply the retention limits now (sync applies them to each source it writes).
    pub fn apply_retention(&self) -> Result<u64> {
        let now = self.now();
        self.store().apply_retention(self.sync.retention, now)
    }
}

/// A section of an edition, with the site's description of it where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub description: Option<String>,
}

/// One story in another edition (`Core::story_in_other_editions`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoryEdition {
    pub article_id: i64,
    pub title: String,
    pub edition: Edition,
}

/// Trim, require http(s), drop the fragment. Errors name the URL.
pub fn normalize_source_url(input: &str) -> Result<String> {
    let trimmed = input.trim();
    let mut url = url::Url::parse(trimmed).map_err(|e| Error::InvalidUrl { url: trimmed.into(), reason: e.to_string() })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::InvalidUrl { url: trimmed.into(), reason: "only http and https sources are supported".into() });
    }
    url.set_fragment(None);
    Ok(url.to_string())
}

/// Entry points and invariants for the fuzz targets and property tests (not an API).
#[doc(hidden)]
pub mod fuzzing;

#[cfg(test)]
mod test_support {
    /// A seeded xorshift64: `pick(n)` is in `0..n`, the same sequence every run, for tests
    /// that generate their cases.
    pub(crate) fn picker(mut seed: u64) -> impl FnMut(usize) -> usize {
        move |n| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        }
    }
}

/// The store, for tests and benchmarks that seed or inspect the database directly.
#[doc(hidden)]
pub mod testing {
    pub use crate::model::PreparedArticle;
    pub use crate::store::{SourceUpdate, Store};

    /// A sync that stops once every source's listing is written, its bodies still waiting
    /// to be sanitised and indexed: the state a sync killed at that moment leaves behind.
    pub async fn sync_listing_only(core: &crate::Core) -> crate::Result<crate::SyncReport> {
        let ctx = crate::sync::SyncContext { stop_after_listing: true, ..(*core.sync).clone() };
        let (report, _) = crate::sync::run_once(std::sync::Arc::new(ctx), std::sync::Arc::new(|_| {})).await?;
        Ok(report)
    }

    /// The ids versions before issue 15 stored for a document's items (SHA-256), by guid:
    /// what an upgraded database holds.
    pub fn item_ids_before_xxh3(document: &[u8], url: &str) -> Vec<(String, [u8; 16])> {
        let items = crate::parse::parse_feed(document, url, None, None).map(|f| f.items).unwrap_or_default();
        items
            .into_iter()
            .map(|item| {
                let id = item.id_before_xxh3();
                (item.guid, id)
            })
            .collect()
    }
}
