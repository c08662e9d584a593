//! SQLite storage: schema migrations, sources, articles, reader state and the full-text
//! index. One `Store` per connection; the sync writer owns one, readers open their own
//! (WAL lets them read while a sync writes). Every write transaction is IMMEDIATE: a
//! deferred one that read first cannot upgrade while another connection writes, and
//! fails with "database is locked" whatever the busy timeout.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use crate::error::{Error, Result};
use crate::model::{Article, ArticleQuery, Retention, SearchHit, Source, SourceKind, SourceRemoval, SyncStatus};

mod fts_rank;
mod index;
mod pending;
pub(crate) mod search;

/// Append-only: never edit a migration that has landed; add the next number.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("migrations/0001_init.sql")),
    (2, include_str!("migrations/0002_images.sql")),
    (3, include_str!("migrations/0003_settings.sql")),
    (4, include_str!("migrations/0004_notifications.sql")),
    (5, include_str!("migrations/0005_index_queue.sql")),
    (6, include_str!("migrations/0006_keep_saved.sql")),
    (7, include_str!("migrations/0007_pending_bodies.sql")),
];

pub use pending::UnsanitisedBody;

pub const SCHEMA_VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

pub struct Store {
    conn: Connection,
}

/// WAL pages written before a commit copies them into the database (SQLite's default is
/// 1,000). A sync writes hundreds of MB: fewer, larger checkpoints copy each page fewer times.
const WAL_CHECKPOINT_PAGES: u32 = 10_000;

/// An article ready to be written: summary extracted; its HTML either sanitised
/// (`content_html`) or waiting to be (`unsanitised_body`, see store/pending.rs).
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

/// What a fetch taught us about a source, written with its articles.
#[derive(Debug, Clone, Default)]
pub struct SourceUpdate {
    pub new_url: Option<String>,
    pub kind: Option<SourceKind>,
    pub title: Option<String>,
    pub language: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Of the document these articles came from (feeds only).
    pub body_hash: Option<[u8; 16]>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    pub new: u32,
    pub updated: u32,
    pub changed_ids: Vec<i64>,
    pub url: String,
}

/// SQLite's message for a failed statement, without the SQL text rusqlite adds to it.
fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqlInputError { msg, .. } | rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn from_ts(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

impl Store {
    /// Open (creating if needed) and migrate the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let conn = Connection::open(path).map_err(|source| Error::OpenDb { path: path.into(), source })?;
        let mut store = Self { conn };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// A read-only connection to an already migrated database.
    pub fn open_read_only(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|source| Error::OpenDb { path: path.into(), source })?;
        conn.busy_timeout(Duration::from_secs(5))?;
        fts_rank::register(&conn)?;
        Ok(Self { conn })
    }

    fn configure(&mut self) -> Result<()> {
        self.conn.busy_timeout(Duration::from_secs(5))?;
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)?;
        // The search's ranking and snippet-column functions.
        fts_rank::register(&self.conn)?;
        Ok(())
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<()> {
        let current = self.schema_version()?;
        if current > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew { found: current, known: SCHEMA_VERSION });
        }
        for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(sql).map_err(|e| Error::Migration { version, message: sqlite_message(&e) })?;
            tx.pragma_update(None, "user_version", version)?;
            tx.commit()?;
        }
        Ok(())
    }

    // ---- sources ----

    /// Add a source; returns it and whether it was new. Never touches the network.
    pub fn add_source(&self, url: &str, kind: Option<SourceKind>, now: DateTime<Utc>) -> Result<(Source, bool)> {
        // A removed source kept for its saved articles comes back (as new to the reader).
        let inserted = self.conn.execute(
            "INSERT INTO sources (url, kind, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (url) DO UPDATE SET removed_at = NULL WHERE removed_at IS NOT NULL",
            params![url, kind.map(SourceKind::as_str), ts(now)],
        )? == 1;
        if !inserted && let Some(kind) = kind {
            self.conn.execute("UPDATE sources SET kind = ?2 WHERE url = ?1", params![url, kind.as_str()])?;
        }
        let source = self.source_by_url(url)?.ok_or_else(|| Error::SourceNotFound(url.into()))?;
        Ok((source, inserted))
    }

    /// Remove a source and its unsaved articles. Saved ones (with their pictures and read
    /// marks) stay, under the source kept as a tombstone that is neither listed nor synced.
    /// `None` when no such source is followed.
    pub fn remove_source(&self, url: &str, now: DateTime<Utc>) -> Result<Option<SourceRemoval>> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let Some(id): Option<i64> =
            tx.query_row("SELECT id FROM sources WHERE url = ?1 AND removed_at IS NULL", [url], |r| r.get(0)).optional()?
        else {
            return Ok(None);
        };
        let deleted_articles = tx.execute(&format!("DELETE FROM articles WHERE source_id = ?1 AND {NOT_SAVED}"), [id])? as u64;
        let kept_saved: i64 = tx.query_row("SELECT count(*) FROM articles WHERE source_id = ?1", [id], |r| r.get(0))?;
        let kept_saved = kept_saved as u64;
        if kept_saved == 0 {
            tx.execute("DELETE FROM sources WHERE id = ?1", [id])?;
        } else {
            // Validators forgotten: if the reader follows it again, its first sync reads everything.
            tx.execute(
                "UPDATE sources SET removed_at = ?2, etag = NULL, last_modified = NULL, body_hash = NULL WHERE id = ?1",
                params![id, ts(now)],
            )?;
        }
        tx.commit()?;
        Ok(Some(SourceRemoval { deleted_articles, kept_saved }))
    }

    /// Articles a reader unsaved after their source was removed go, and so does the
    /// tombstone once nothing is left under it.
    pub fn purge_removed_sources(&self) -> Result<u64> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let purged = tx.execute(
            &format!(
                "DELETE FROM articles WHERE source_id IN (SELECT id FROM sources WHERE removed_at IS NOT NULL) AND {NOT_SAVED}"
            ),
            [],
        )? as u64;
        tx.execute(
            "DELETE FROM sources WHERE removed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM articles WHERE source_id = sources.id)",
            [],
        )?;
        tx.commit()?;
        Ok(purged)
    }

    pub fn sources(&self) -> Result<Vec<Source>> {
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE removed_at IS NULL ORDER BY id"))?;
        let rows = stmt.query_map([], source_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn source_by_url(&self, url: &str) -> Result<Option<Source>> {
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE url = ?1"))?;
        Ok(stmt.query_row([url], source_from_row).optional()?)
    }

    /// Content hashes of a source's stored articles, by guid: unchanged items skip sanitising.
    pub fn article_hashes(&self, source_id: i64) -> Result<HashMap<String, [u8; 16]>> {
        let mut stmt = self.conn.prepare_cached("SELECT guid, content_hash FROM articles WHERE source_id = ?1")?;
        let rows = stmt.query_map([source_id], |r| {
            let hash: Vec<u8> = r.get(1)?;
            let mut fixed = [0u8; 16];
            if hash.len() == 16 {
                fixed.copy_from_slice(&hash);
            }
            Ok((r.get::<_, String>(0)?, fixed))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Which of `urls` are already stored by a source that speaks for them (one story is
    /// stored once; a third-party feed's copy does not count).
    pub fn stored_urls(&self, urls: &[String]) -> Result<std::collections::HashSet<String>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT s.url FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.url = ?1")?;
        let mut found = std::collections::HashSet::new();
        for url in urls {
            let mut sources = stmt.query_map([url], |r| r.get::<_, String>(0))?;
            if sources.any(|s| s.is_ok_and(|s| speaks_for(&s, url))) {
                found.insert(url.clone());
            }
        }
        Ok(found)
    }

    /// A sync that stored articles but could not read some pages: keep the note on the source.
    pub fn record_problem(&self, source_id: i64, problem: &str) -> Result<()> {
        self.conn.execute("UPDATE sources SET last_error = ?2 WHERE id = ?1", params![source_id, problem])?;
        Ok(())
    }

    /// Record a failed sync on the source alone.
    pub fn record_failure(&self, source_id: i64, error: &str, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE sources SET last_sync_at = ?2, last_status = 'error', last_error = ?3,
                 consecutive_failures = consecutive_failures + 1 WHERE id = ?1",
            params![source_id, ts(now), error],
        )?;
        Ok(())
    }

    /// Record a 304: nothing changed but the source may have moved.
    pub fn record_not_modified(&self, source_id: i64, new_url: Option<&str>, now: DateTime<Utc>) -> Result<String> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let url = apply_move(&tx, source_id, new_url)?;
        tx.execute(
            "UPDATE sources SET last_sync_at = ?2, last_status = 'not_modified', last_error = NULL,
                 consecutive_failures = 0 WHERE id = ?1",
            params![source_id, ts(now)],
        )?;
        tx.commit()?;
        Ok(url)
    }

    /// Write one source's fetched articles and its new state in one transaction.
    /// Articles whose hash is unchanged are left alone; reader state is never touched.
    pub fn write_source(
        &mut self,
        source_id: i64,
        update: &SourceUpdate,
        articles: &[PreparedArticle],
        retention: Retention,
        now: DateTime<Utc>,
    ) -> Result<WriteOutcome> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let url = apply_move(&tx, source_id, update.new_url.as_deref())?;
        tx.execute(
            "UPDATE sources SET kind = COALESCE(?2, kind), title = COALESCE(?3, title), language = COALESCE(?4, language),
                 etag = ?5, last_modified = ?6, last_sync_at = ?7, last_status = 'ok', last_error = NULL,
                 consecutive_failures = 0, body_hash = ?8 WHERE id = ?1",
            params![
                source_id,
                update.kind.map(SourceKind::as_str),
                update.title,
                update.language,
                update.etag,
                update.last_modified,
                ts(now),
                update.body_hash.as_ref().map(|h| &h[..]),
            ],
        )?;
        let mut outcome = WriteOutcome { url, ..Default::default() };
        {
            let mut find = tx.prepare_cached("SELECT id, content_hash FROM articles WHERE source_id = ?1 AND guid = ?2")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO articles (source_id, guid, url, title, summary, content_html, author, categories,
                     published_at, updated_at, image_url, language, views, is_breaking, content_hash, first_seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?;
            let mut update_article = tx.prepare_cached(
                "UPDATE articles SET url = ?2, title = ?3, summary = ?4, content_html = CASE WHEN ?15 THEN content_html ELSE ?5 END,
                     author = ?6, categories = ?7,
                     published_at = COALESCE(?8, published_at), updated_at = ?9, image_url = ?10, language = ?11,
                     views = COALESCE(?12, views), is_breaking = ?13, content_hash = ?14
                 WHERE id = ?1",
            )?;
            let mut queue_for_index = tx.prepare_cached("INSERT OR IGNORE INTO index_queue (article_id) VALUES (?1)")?;
            let mut pruned = tx.prepare_cached("SELECT 1 FROM pruned_articles WHERE source_id = ?1 AND guid = ?2")?;
            let mut index_delete = tx.prepare_cached("DELETE FROM articles_fts WHERE rowid = ?1")?;
            let mut link_cover = tx.prepare_cached("INSERT OR IGNORE INTO article_images (article_id, url) VALUES (?1, ?2)")?;
            let source_url: String = tx.query_row("SELECT url FROM sources WHERE id = ?1", [source_id], |r| r.get(0))?;
            let mut stored_elsewhere = tx.prepare_cached(
                "SELECT s.url FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.url = ?1 AND a.source_id != ?2",
            )?;
            for a in articles {
                let categories = serde_json::to_string(&a.categories).unwrap_or_else(|_| "[]".into());
                // Whatever the feed or page named: a web picture off the app's own origins, or none.
                let image_url = a.image_url.as_deref().filter(|u| crate::sanitize::picture_url_allowed(u));
                let existing: Option<(i64, Vec<u8>)> =
                    find.query_row(params![source_id, a.guid], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
                let id = match existing {
                    Some((_, hash)) if hash == a.hash => continue,
                    Some((id, _)) => {
                        update_article.execute(params![
                            id,
                            a.url,
                            a.title,
                            a.summary,
                            a.content_html,
                            a.author,
                            categories,
                            a.published_at.map(ts),
                            a.updated_at.map(ts),
                            image_url,
                            a.language,
                            a.views,
                            a.is_breaking,
                            &a.hash[..],
                            // Until the new body is sanitised the reader keeps the old one.
                            a.unsanitised_body.is_some(),
                        ])?;
                        // Searching must not find the old text; the new follows in index_pending.
                        index_delete.execute([id])?;
                        outcome.updated += 1;
                        id
                    }
                    None if a.url.as_ref().is_some_and(|url| {
                        speaks_for(&source_url, url)
                            && stored_elsewhere
                                .query_map(params![url, source_id], |r| r.get::<_, String>(0))
                                .map(|others| others.flatten().any(|other| speaks_for(&other, url)))
                                .unwrap_or(false)
                    }) =>
                    {
                        // The same story reached through another of its site's sources (feed
                        // and listing): stored once. A third-party copy never stands in for it.
                        continue;
                    }
                    None if pruned.exists(params![source_id, a.guid])? => continue,
                    None => {
                        insert.execute(params![
                            source_id,
                            a.guid,
                            a.url,
                            a.title,
                            a.summary,
                            a.content_html,
                            a.author,
                            categories,
                            ts(a.published_at.unwrap_or(now)),
                            a.updated_at.map(ts),
                            image_url,
                            a.language,
                            a.views,
                            a.is_breaking,
                            &a.hash[..],
                            ts(now),
                        ])?;
                        outcome.new += 1;
                        tx.last_insert_rowid()
                    }
                };
                match &a.unsanitised_body {
                    // Indexed once its body is in (pending::sanitize_pending queues it).
                    Some(body) => pending::hold(&tx, id, body)?,
                    None => {
                        // A body an earlier, interrupted sync left waiting is older than this one.
                        pending::forget(&tx, id)?;
                        queue_for_index.execute([id])?;
                    }
                }
                // The cover is known at once, so the reader's window may load it before the
                // picture phase (which links body pictures too) has run.
                if let Some(cover) = image_url {
                    link_cover.execute(params![id, cover])?;
                }
                outcome.changed_ids.push(id);
            }
        }
        if apply_retention(&tx, source_id, retention, now)? > 0 {
            // What retention took right away was never really stored: don't report it.
            let mut exists = tx.prepare_cached("SELECT 1 FROM articles WHERE id = ?1")?;
            let before = outcome.changed_ids.len();
            let mut kept = Vec::with_capacity(before);
            for id in outcome.changed_ids.drain(..) {
                if exists.exists([id])? {
                    kept.push(id);
                }
            }
            outcome.new = outcome.new.saturating_sub((before - kept.len()) as u32);
            outcome.changed_ids = kept;
        }
        tx.commit()?;
        Ok(outcome)
    }

    // ---- articles ----

    pub fn articles(&self, q: &ArticleQuery) -> Result<Vec<Article>> {
        let mut sql = format!("SELECT {ARTICLE_COLUMNS} FROM {ARTICLE_FROM} WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, v: rusqlite::types::Value| {
            args.push(v);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(url) = &q.source_url {
            arg(&mut sql, " AND s.url = ?", url.clone().into());
        }
        if let Some(category) = &q.category {
            arg(&mut sql, " AND EXISTS (SELECT 1 FROM json_each(a.categories) WHERE value = ?)", category.clone().into());
        }
        if let Some(language) = &q.language {
            arg(&mut sql, " AND a.language LIKE ? || '%'", language.clone().into());
        }
        if q.breaking_only {
            sql.push_str(" AND a.is_breaking = 1");
        }
        if q.saved_only {
            sql.push_str(" AND st.saved = 1");
        }
        if q.unread_only {
            sql.push_str(" AND COALESCE(st.read, 0) = 0");
        }
        if let Some((published, id)) = q.before {
            arg(&mut sql, " AND (a.published_at, a.id) < (?", ts(published).into());
            arg(&mut sql, ", ?)", id.into());
        }
        sql.push_str(" ORDER BY a.published_at DESC, a.id DESC");
        if let Some(limit) = q.limit {
            arg(&mut sql, " LIMIT ?", i64::from(limit).into());
        }
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), article_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn article(&self, id: i64) -> Result<Option<Article>> {
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {ARTICLE_COLUMNS} FROM {ARTICLE_FROM} WHERE a.id = ?1"))?;
        Ok(stmt.query_row([id], article_from_row).optional()?)
    }

    /// Cover URL and body of an article: where its pictures are named.
    pub(crate) fn article_pictures(&self, id: i64) -> Result<Option<(Option<String>, Option<String>)>> {
        let mut stmt = self.conn.prepare_cached("SELECT image_url, content_html FROM articles WHERE id = ?1")?;
        Ok(stmt.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
    }

    pub fn article_count(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT count(*) FROM articles", [], |r| r.get(0))?)
    }

    /// Set read and/or saved marks. Only this (the reader's action) writes `article_state`.
    pub fn mark(&self, id: i64, read: Option<bool>, saved: Option<bool>, now: DateTime<Utc>) -> Result<Article> {
        let exists: bool = self.conn.query_row("SELECT EXISTS (SELECT 1 FROM articles WHERE id = ?1)", [id], |r| r.get(0))?;
        if !exists {
            return Err(Error::ArticleNotFound(id));
        }
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        tx.execute("INSERT INTO article_state (article_id) VALUES (?1) ON CONFLICT DO NOTHING", [id])?;
        if let Some(read) = read {
            tx.execute(
                "UPDATE article_state SET read = ?2, read_at = CASE WHEN ?2 THEN ?3 END WHERE article_id = ?1",
                params![id, read, ts(now)],
            )?;
        }
        if let Some(saved) = saved {
            tx.execute(
                "UPDATE article_state SET saved = ?2, saved_at = CASE WHEN ?2 THEN ?3 END WHERE article_id = ?1",
                params![id, saved, ts(now)],
            )?;
        }
        tx.commit()?;
        self.article(id)?.ok_or(Error::ArticleNotFound(id))
    }

    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        search::search(&self.conn, query, limit)
    }

    /// Index the articles stored since the last call (`write_source` only queues them).
    pub fn index_pending(&mut self) -> Result<u64> {
        index::index_pending(&self.conn)
    }

    /// Stored articles search cannot find yet.
    /// Sanitise every body a sync left waiting (store/pending.rs), `workers` at a time.
    pub fn sanitize_pending(&mut self, workers: usize) -> Result<u64> {
        pending::sanitize_pending(&self.conn, workers)
    }

    /// Bodies waiting to be sanitised.
    pub fn pending_body_count(&self) -> Result<i64> {
        pending::pending_count(&self.conn)
    }

    pub fn unindexed_count(&self) -> Result<i64> {
        index::unindexed_count(&self.conn)
    }

    /// Apply retention to every source (the writer also applies it after each sync).
    pub fn apply_retention(&mut self, retention: Retention, now: DateTime<Utc>) -> Result<u64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<i64> = tx.prepare("SELECT id FROM sources")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        let mut removed = 0;
        for id in ids {
            removed += apply_retention(&tx, id, retention, now)?;
        }
        tx.commit()?;
        Ok(removed)
    }

    // ---- settings ----

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?;
        Ok(stmt.query_row([key], |r| r.get(0)).optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)", params![key, value])?;
        Ok(())
    }

    /// Sections (categories) of recent articles, most used first.
    pub fn sections(&self, language: Option<&str>, limit: u32) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.value, count(*) AS n FROM (SELECT categories FROM articles
                 WHERE ?1 IS NULL OR language LIKE ?1 || '%' ORDER BY published_at DESC LIMIT 2000) a,
                 json_each(a.categories) c GROUP BY c.value ORDER BY n DESC, c.value LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![language, limit], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // ---- notifications ----

    /// What the policy needs to know of past decisions about these candidates.
    pub fn notify_history(&self, candidate_ids: &[i64], now: DateTime<Utc>) -> Result<crate::notify::History> {
        let mut history = crate::notify::History::default();
        {
            let mut decided = self.conn.prepare_cached("SELECT 1 FROM notified_articles WHERE article_id = ?1")?;
            for &id in candidate_ids {
                if decided.exists([id])? {
                    history.notified_ids.insert(id);
                }
            }
        }
        let since = ts(now - chrono::Duration::hours(48));
        let mut keys = self.conn.prepare_cached("SELECT key FROM notified_stories WHERE decided_at >= ?1")?;
        history.story_keys = keys.query_map([since], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        history.sent_last_hour =
            self.conn.query_row("SELECT count(*) FROM notification_log WHERE sent_at > ?1", [ts(now) - 3600], |r| r.get(0))?;
        history.held = self.conn.query_row("SELECT count(*) FROM notified_articles WHERE state = 'held'", [], |r| r.get(0))?;
        Ok(history)
    }

    /// Record a plan in one transaction, before the notices are shown: a crash after this
    /// may lose a notification but can never repeat one.
    pub fn record_notify_plan(&self, plan: &crate::notify::Plan, now: DateTime<Utc>) -> Result<()> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        if plan.released_held > 0 {
            tx.execute("UPDATE notified_articles SET state = 'summarized', decided_at = ?1 WHERE state = 'held'", [ts(now)])?;
        }
        {
            let mut article = tx.prepare_cached("INSERT OR REPLACE INTO notified_articles (article_id, state, decided_at) VALUES (?1, ?2, ?3)")?;
            let mut story = tx.prepare_cached("INSERT OR REPLACE INTO notified_stories (key, decided_at) VALUES (?1, ?2)")?;
            for (state, list) in [("sent", &plan.sent), ("held", &plan.held)] {
                for (id, keys) in list {
                    article.execute(params![id, state, ts(now)])?;
                    for key in keys {
                        story.execute(params![key, ts(now)])?;
                    }
                }
            }
            let mut log = tx.prepare_cached("INSERT INTO notification_log (sent_at) VALUES (?1)")?;
            for _ in &plan.notices {
                log.execute([ts(now)])?;
            }
        }
        tx.execute("DELETE FROM notification_log WHERE sent_at < ?1", [ts(now) - 86400])?;
        tx.commit()?;
        Ok(())
    }

    // ---- images ----

    /// Link articles to the pictures they show; returns the URLs not stored yet.
    pub fn link_images(&self, links: &[(i64, String)]) -> Result<Vec<String>> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let mut missing = Vec::new();
        let mut seen = std::collections::HashSet::new();
        {
            let mut link = tx.prepare_cached("INSERT OR IGNORE INTO article_images (article_id, url) VALUES (?1, ?2)")?;
            let mut stored = tx.prepare_cached("SELECT 1 FROM images WHERE url = ?1")?;
            for (article_id, url) in links {
                link.execute(params![article_id, url])?;
                if seen.insert(url.as_str()) && !stored.exists([url])? {
                    missing.push(url.clone());
                }
            }
        }
        tx.commit()?;
        Ok(missing)
    }

    /// Store downloaded pictures (url, content type, bytes) in one transaction.
    pub fn put_images<'a>(
        &self,
        pictures: impl IntoIterator<Item = (&'a str, &'a str, &'a [u8])>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        {
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO images (url, content_type, bytes, size, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (url, content_type, bytes) in pictures {
                put.execute(params![url, content_type, bytes, bytes.len() as i64, ts(now)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn image(&self, url: &str) -> Result<Option<(String, Vec<u8>)>> {
        let mut stmt = self.conn.prepare_cached("SELECT content_type, bytes FROM images WHERE url = ?1")?;
        Ok(stmt.query_row([url], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
    }

    /// The source of an article that shows this picture (linked by the picture phase of a
    /// sync, or its cover): pictures of no stored article are never fetched for display.
    pub fn picture_source(&self, url: &str) -> Result<Option<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.url FROM article_images ai JOIN articles a ON a.id = ai.article_id
             JOIN sources s ON s.id = a.source_id WHERE ai.url = ?1 LIMIT 1",
        )?;
        Ok(stmt.query_row([url], |r| r.get(0)).optional()?)
    }

    /// (count, bytes) of stored pictures.
    pub fn image_stats(&self) -> Result<(i64, i64)> {
        Ok(self.conn.query_row("SELECT count(*), COALESCE(sum(size), 0) FROM images", [], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }

    /// Evict pictures beyond `cap_bytes`, least recently read first (pictures of no article
    /// before all others); never a picture of a saved article. Returns bytes freed.
    pub fn evict_images(&self, cap_bytes: u64) -> Result<u64> {
        let (_, total) = self.image_stats()?;
        let mut excess = total - cap_bytes as i64;
        if excess <= 0 {
            return Ok(0);
        }
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let candidates: Vec<(String, i64)> = tx
            .prepare(
                "SELECT i.url, i.size FROM images i
                 LEFT JOIN article_images ai ON ai.url = i.url
                 LEFT JOIN articles a ON a.id = ai.article_id
                 LEFT JOIN article_state st ON st.article_id = a.id
                 GROUP BY i.url
                 HAVING COALESCE(MAX(st.saved), 0) = 0
                 ORDER BY COALESCE(MAX(COALESCE(st.read_at, a.first_seen_at)), 0), i.fetched_at",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut freed = 0;
        {
            let mut delete = tx.prepare_cached("DELETE FROM images WHERE url = ?1")?;
            for (url, size) in candidates {
                if excess <= 0 {
                    break;
                }
                delete.execute([&url])?;
                excess -= size;
                freed += size as u64;
            }
        }
        tx.commit()?;
        Ok(freed)
    }

    /// The connection, for tests and benchmarks that need raw SQL.
    #[doc(hidden)]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Move a source to the URL it permanently redirected to, unless another source already
/// has that URL (then keep the old one rather than merge two readers' choices).
/// Whether a source may stand for an article link: the link is on the source's own host, or
/// both are the site's (its feed and edition listings share one identity).
pub(crate) fn speaks_for(source_url: &str, article_url: &str) -> bool {
    let host = |u: &str| url::Url::parse(u).ok().and_then(|u| u.host_str().map(|h| h.trim_start_matches("www.").to_ascii_lowercase()));
    match (host(source_url), host(article_url)) {
        (Some(s), Some(a)) => s == a || (crate::site::is_site_url(source_url) && crate::site::is_site_url(article_url)),
        _ => false,
    }
}

fn apply_move(tx: &Connection, source_id: i64, new_url: Option<&str>) -> Result<String> {
    if let Some(new_url) = new_url {
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM sources WHERE url = ?1 AND id != ?2)",
            params![new_url, source_id],
            |r| r.get(0),
        )?;
        if !taken {
            tx.execute("UPDATE sources SET url = ?2 WHERE id = ?1", params![source_id, new_url])?;
        }
    }
    Ok(tx.query_row("SELECT url FROM sources WHERE id = ?1", [source_id], |r| r.get(0))?)
}

fn apply_retention(tx: &Connection, source_id: i64, retention: Retention, now: DateTime<Utc>) -> Result<u64> {
    let not_saved = NOT_SAVED;
    // Remember what is pruned (so a feed still listing it does not bring it back), then delete.
    let prune = |condition: &str, arg: i64| -> Result<u64> {
        tx.execute(
            &format!(
                "INSERT OR REPLACE INTO pruned_articles (source_id, guid, pruned_at)
                 SELECT source_id, guid, ?3 FROM articles WHERE source_id = ?1 AND {not_saved} AND {condition}"
            ),
            params![source_id, arg, ts(now)],
        )?;
        Ok(tx.execute(&format!("DELETE FROM articles WHERE source_id = ?1 AND {not_saved} AND {condition}"), params![source_id, arg])? as u64)
    };
    let mut removed = 0;
    if let Some(max_age) = retention.max_age {
        removed += prune("published_at < ?2 AND first_seen_at < ?2", ts(now - max_age))?;
    }
    if let Some(max) = retention.max_per_source {
        removed += prune(
            "id NOT IN (SELECT id FROM articles WHERE source_id = ?1 ORDER BY published_at DESC, id DESC LIMIT ?2)",
            i64::from(max),
        )?;
    }
    if removed > 0 {
        tx.execute("DELETE FROM pruned_articles WHERE source_id = ?1 AND pruned_at < ?2", params![source_id, ts(now) - 400 * 86400])?;
    }
    Ok(removed)
}

/// SQL condition on `articles`: the reader has not saved it.
const NOT_SAVED: &str = "NOT EXISTS (SELECT 1 FROM article_state st WHERE st.article_id = articles.id AND st.saved = 1)";

const SOURCE_COLUMNS: &str =
    "id, url, kind, title, language, etag, last_modified, last_sync_at, last_status, last_error, consecutive_failures, body_hash";

fn source_from_row(r: &Row) -> rusqlite::Result<Source> {
    Ok(Source {
        id: r.get(0)?,
        url: r.get(1)?,
        kind: r.get::<_, Option<String>>(2)?.as_deref().and_then(SourceKind::parse),
        title: r.get(3)?,
        language: r.get(4)?,
        etag: r.get(5)?,
        last_modified: r.get(6)?,
        last_sync_at: r.get::<_, Option<i64>>(7)?.map(from_ts),
        last_status: r.get::<_, Option<String>>(8)?.as_deref().and_then(SyncStatus::parse),
        last_error: r.get(9)?,
        consecutive_failures: r.get(10)?,
        body_hash: r.get::<_, Option<Vec<u8>>>(11)?.and_then(|h| <[u8; 16]>::try_from(h.as_slice()).ok()),
    })
}

const ARTICLE_COLUMNS: &str = "a.id, a.source_id, s.url, a.guid, a.url, a.title, a.summary, a.content_html, a.author,
    a.categories, a.published_at, a.updated_at, a.image_url, a.language, a.views, a.is_breaking, a.first_seen_at,
    COALESCE(st.read, 0), COALESCE(st.saved, 0), s.title";
const ARTICLE_FROM: &str =
    "articles a JOIN sources s ON s.id = a.source_id LEFT JOIN article_state st ON st.article_id = a.id";

fn article_from_row(r: &Row) -> rusqlite::Result<Article> {
    let source_url: String = r.get(2)?;
    let from_site = crate::site::is_site_url(&source_url);
    let source_name = if from_site {
        crate::site::data().name.clone()
    } else {
        r.get::<_, Option<String>>(19)?
            .filter(|t| !t.trim().is_empty())
            .or_else(|| url::Url::parse(&source_url).ok().and_then(|u| u.host_str().map(str::to_owned)))
            .unwrap_or_else(|| source_url.clone())
    };
    Ok(Article {
        id: r.get(0)?,
        source_id: r.get(1)?,
        source_url,
        source_name,
        from_site,
        guid: r.get(3)?,
        url: r.get(4)?,
        title: r.get(5)?,
        summary: r.get(6)?,
        content_html: r.get(7)?,
        author: r.get(8)?,
        categories: serde_json::from_str(&r.get::<_, String>(9)?).unwrap_or_default(),
        published_at: from_ts(r.get(10)?),
        updated_at: r.get::<_, Option<i64>>(11)?.map(from_ts),
        image_url: r.get(12)?,
        language: r.get(13)?,
        views: r.get(14)?,
        is_breaking: r.get(15)?,
        first_seen_at: from_ts(r.get(16)?),
        read: r.get(17)?,
        saved: r.get(18)?,
    })
}
