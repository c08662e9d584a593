//! `sources`: what the reader follows, each source's validators and last sync outcome, and
//! tombstones of removed sources kept only for their saved articles.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{SOURCE_COLUMNS, source_from_row};
use super::{NOT_SAVED, Store, ts};
use crate::error::{Error, Result};
use crate::model::{Source, SourceKind, SourceRemoval};

impl Store {
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
        let tx = self.write_tx()?;
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
        let tx = self.write_tx()?;
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
        let tx = self.write_tx()?;
        let url = apply_move(&tx, source_id, new_url)?;
        tx.execute(
            "UPDATE sources SET last_sync_at = ?2, last_status = 'not_modified', last_error = NULL,
                 consecutive_failures = 0 WHERE id = ?1",
            params![source_id, ts(now)],
        )?;
        tx.commit()?;
        Ok(url)
    }
}

/// Whether a source may stand for an article link: the link is on the source's own host, or
/// both are the site's (its feed and edition listings share one identity).
pub(super) fn speaks_for(source_url: &str, article_url: &str) -> bool {
    SourceHost::new(source_url).speaks_for(article_url)
}

/// A source's side of `speaks_for`, worked out once: the writer asks it of every article.
pub(super) struct SourceHost {
    /// Without `www.`, lower case; `None` when the URL has no host.
    host: Option<String>,
    is_site: bool,
}

impl SourceHost {
    pub(super) fn new(source_url: &str) -> Self {
        let parsed = url::Url::parse(source_url).ok();
        let raw = parsed.as_ref().and_then(|u| u.host_str());
        Self { host: raw.map(|h| h.trim_start_matches("www.").to_ascii_lowercase()), is_site: raw.is_some_and(crate::site::is_site_host) }
    }

    /// See `speaks_for`.
    pub(super) fn speaks_for(&self, article_url: &str) -> bool {
        let Some(source_host) = &self.host else { return false };
        let Some(parsed) = url::Url::parse(article_url).ok() else { return false };
        let Some(raw) = parsed.host_str() else { return false };
        raw.trim_start_matches("www.").eq_ignore_ascii_case(source_host) || (self.is_site && crate::site::is_site_host(raw))
    }
}

/// Move a source to the URL it permanently redirected to, unless another source already
/// has that URL (then keep the old one rather than merge two readers' choices).
pub(super) fn apply_move(tx: &Connection, source_id: i64, new_url: Option<&str>) -> Result<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `speaks_for` as it was, parsing both URLs at every call.
    fn speaks_for_as_before(source_url: &str, article_url: &str) -> bool {
        let host = |u: &str| url::Url::parse(u).ok().and_then(|u| u.host_str().map(|h| h.trim_start_matches("www.").to_ascii_lowercase()));
        match (host(source_url), host(article_url)) {
            (Some(s), Some(a)) => s == a || (crate::site::is_site_url(source_url) && crate::site::is_site_url(article_url)),
            _ => false,
        }
    }

    #[test]
    fn a_source_speaks_for_the_same_links_as_when_both_urls_were_parsed_each_time() {
        let urls = [
            "https://caliber.az/rss.xml",
            "https://www.caliber.az/en/post/1",
            "https://CALIBER.AZ/az/",
            "http://caliber.az:8080/x",
            "https://news.example/feed",
            "https://www.news.example/a/1",
            "https://WWW.News.Example/b",
            "https://other.example/c",
            "http://127.0.0.1:4000/feed.xml",
            "http://127.0.0.1:5000/a",
            "http://[::1]/a",
            "https://xn--bcher-kva.example/",
            "https://bücher.example/x",
            "mailto:someone@news.example",
            "not a url",
            "",
            "file:///etc/passwd",
        ];
        for source in urls {
            let host = SourceHost::new(source);
            for article in urls {
                assert_eq!(host.speaks_for(article), speaks_for_as_before(source, article), "{source} → {article}");
            }
        }
    }
}
