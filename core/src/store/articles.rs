//! `articles` (what sync writes: one row per item per source, never the reader's marks),
//! `pruned_articles` (guids retention removed, so a feed still listing them does not bring
//! them back) and the write of one source's sync in one transaction.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{ARTICLE_COLUMNS, ARTICLE_FROM, article_from_row};
use super::sources::{SourceHost, apply_move, speaks_for};
use super::{NOT_SAVED, Store, ts};
use crate::error::Result;
use crate::model::{Article, ArticleQuery, PreparedArticle, Retention, SourceKind};

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

impl Store {
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
    pub fn stored_urls(&self, urls: &[String]) -> Result<HashSet<String>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT s.url FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.url = ?1")?;
        let mut found = HashSet::new();
        for url in urls {
            for source in stmt.query_map([url], |r| r.get::<_, String>(0))? {
                if speaks_for(&source?, url) {
                    found.insert(url.clone());
                    break;
                }
            }
        }
        Ok(found)
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
        let tx = self.write_tx()?;
        let url = apply_move(&tx, source_id, update.new_url.as_deref())?;
        tx.prepare_cached(
            "UPDATE sources SET kind = COALESCE(?2, kind), title = COALESCE(?3, title), language = COALESCE(?4, language),
                 etag = ?5, last_modified = ?6, last_sync_at = ?7, last_status = 'ok', last_error = NULL,
                 consecutive_failures = 0, body_hash = ?8 WHERE id = ?1",
        )?
        .execute(params![
            source_id,
            update.kind.map(SourceKind::as_str),
            update.title,
            update.language,
            update.etag,
            update.last_modified,
            ts(now),
            update.body_hash.as_ref().map(|h| &h[..]),
        ])?;
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
            let mut link_picture = tx.prepare_cached("INSERT OR IGNORE INTO article_images (article_id, url) VALUES (?1, ?2)")?;
            let source_url: String = tx.prepare_cached("SELECT url FROM sources WHERE id = ?1")?.query_row([source_id], |r| r.get(0))?;
            let source_host = SourceHost::new(&source_url);
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
                    None if pruned.exists(params![source_id, a.guid])? => continue,
                    // The same story reached through another of its site's sources (feed and
                    // listing): stored once. A third-party copy never stands in for it.
                    None if stored_by_another_site_source(&mut stored_elsewhere, &source_host, source_id, a.url.as_deref())? => continue,
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
                    Some(body) => super::pending::hold(&tx, id, body)?,
                    None => {
                        // A body an earlier, interrupted sync left waiting is older than this one.
                        super::pending::forget(&tx, id)?;
                        queue_for_index.execute([id])?;
                    }
                }
                // The cover is known at once, so the reader's window may load it before the
                // article is opened; a body's pictures are linked with the body (here when it
                // came sanitised, else in pending::sanitize_pending).
                let body_pictures = match (&a.unsanitised_body, &a.content_html) {
                    (None, Some(html)) => crate::parse::body_picture_links(html),
                    _ => Vec::new(),
                };
                for url in image_url.into_iter().chain(body_pictures.iter().map(String::as_str)) {
                    link_picture.execute(params![id, url])?;
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
        Ok(stmt.query_row([id], |r| Ok((r.get(0)?, super::long_text(r, 1)?))).optional()?)
    }

    pub fn article_count(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT count(*) FROM articles", [], |r| r.get(0))?)
    }

    /// Apply retention to every source (the writer also applies it after each sync).
    pub fn apply_retention(&mut self, retention: Retention, now: DateTime<Utc>) -> Result<u64> {
        let tx = self.write_tx()?;
        let ids: Vec<i64> = tx.prepare("SELECT id FROM sources")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        let mut removed = 0;
        for id in ids {
            removed += apply_retention(&tx, id, retention, now)?;
        }
        tx.commit()?;
        Ok(removed)
    }

    /// Sections (categories) of recent articles, most used first.
    pub fn sections(&self, language: Option<&str>, limit: u32) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(SECTIONS_SQL)?;
        let rows = stmt.query_map(params![language, limit], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// ?1 the language (a prefix: "ru" takes "ru-RU"), or NULL for all; ?2 how many.
const SECTIONS_SQL: &str = "SELECT c.value, count(*) AS n FROM (SELECT categories FROM articles
     WHERE ?1 IS NULL OR language LIKE ?1 || '%' ORDER BY published_at DESC LIMIT 2000) a,
     json_each(a.categories) c GROUP BY c.value ORDER BY n DESC, c.value LIMIT ?2";

fn apply_retention(tx: &Connection, source_id: i64, retention: Retention, now: DateTime<Utc>) -> Result<u64> {
    let not_saved = NOT_SAVED;
    // Remember what is pruned (so a feed still listing it does not bring it back), then delete.
    // Kept prepared: this runs for every source a sync writes.
    let prune = |condition: &str, arg: i64| -> Result<u64> {
        tx.prepare_cached(&format!(
            "INSERT OR REPLACE INTO pruned_articles (source_id, guid, pruned_at)
             SELECT source_id, guid, ?3 FROM articles WHERE source_id = ?1 AND {not_saved} AND {condition}"
        ))?
        .execute(params![source_id, arg, ts(now)])?;
        Ok(tx.prepare_cached(&format!("DELETE FROM articles WHERE source_id = ?1 AND {not_saved} AND {condition}"))?.execute(params![source_id, arg])? as u64)
    };
    let mut removed = 0;
    if let Some(max_age) = retention.max_age {
        removed += prune("published_at < ?2 AND first_seen_at < ?2", ts(now - max_age))?;
    }
    // Only when the source has more than `max`: SQLite prepares the statement with that
    // subquery again at every run (a third of the writer's time in a cold sync of 100 small feeds), and a
    // count is one index range.
    let over_max = |max: u32| -> Result<bool> {
        let stored: i64 = tx.prepare_cached("SELECT count(*) FROM articles WHERE source_id = ?1")?.query_row([source_id], |r| r.get(0))?;
        Ok(stored > i64::from(max))
    };
    if let Some(max) = retention.max_per_source
        && over_max(max)?
    {
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

/// Whether `url` is already stored by another source that, like this one, speaks for it.
fn stored_by_another_site_source(
    stored_elsewhere: &mut rusqlite::CachedStatement<'_>,
    source_host: &SourceHost,
    source_id: i64,
    url: Option<&str>,
) -> Result<bool> {
    let Some(url) = url.filter(|url| source_host.speaks_for(url)) else { return Ok(false) };
    for other in stored_elsewhere.query_map(params![url, source_id], |r| r.get::<_, String>(0))? {
        if speaks_for(&other?, url) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An edition's sections come from the newest-first index alone (migration 0008): read
    /// from the rows, whose bodies come first, an edition with no articles made SQLite walk
    /// every body at 100,000 articles (369 ms), right as the app opens.
    #[test]
    fn an_editions_sections_are_read_from_the_index_not_the_articles_bodies() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("caliber.db")).unwrap();
        for language in [Some("hy"), None] {
            let plan: Vec<String> = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {SECTIONS_SQL}"))
                .unwrap()
                .query_map(params![language, 20], |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            assert!(plan.iter().any(|step| step == "SCAN articles USING COVERING INDEX articles_by_time"), "{language:?}: {plan:?}");
        }
    }

    /// A body that came sanitised (a site page's) has its pictures linked as it is stored,
    /// as `sanitize_pending` links the others': the reader's window may load them, and only them.
    #[test]
    fn a_body_stored_sanitised_has_its_pictures_linked_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("caliber.db")).unwrap();
        let now = chrono::Utc::now();
        let (source, _) = store.add_source("https://news.example/", None, now).unwrap();
        let page = |hash: u8, picture: &str| PreparedArticle {
            guid: "g".into(),
            url: Some("https://news.example/a".into()),
            title: "Title".into(),
            summary: None,
            content_html: Some(format!("<p>Text</p><img src=\"https://cdn.example/{picture}.jpg\"><img src=\"data:image/gif;base64,R0lG\">")),
            author: None,
            categories: Vec::new(),
            published_at: None,
            updated_at: None,
            image_url: Some("https://cdn.example/cover.jpg".into()),
            language: None,
            views: None,
            is_breaking: false,
            hash: [hash; 16],
            unsanitised_body: None,
        };
        let keep_all = crate::model::Retention { max_per_source: None, max_age: None };
        store.write_source(source.id, &super::super::SourceUpdate::default(), &[page(1, "first")], keep_all, now).unwrap();
        store.write_source(source.id, &super::super::SourceUpdate::default(), &[page(2, "second")], keep_all, now).unwrap();
        for url in ["https://cdn.example/cover.jpg", "https://cdn.example/first.jpg", "https://cdn.example/second.jpg"] {
            assert_eq!(store.picture_source(url).unwrap().as_deref(), Some(source.url.as_str()), "{url}");
        }
        let links: i64 = store.conn.query_row("SELECT count(*) FROM article_images", [], |r| r.get(0)).unwrap();
        assert_eq!(links, 3, "the cover, and each version's web picture; not the data: one");
    }
}
