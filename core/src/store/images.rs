//! `images` (offline pictures, bytes in the database) and `article_images` (which article
//! shows which picture: what keeps a picture, and what lets the app serve it).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{BUSY_TIMEOUT, Store, ts};
use crate::error::Result;

impl Store {
    /// Link articles to the pictures they show; returns the URLs not stored yet.
    pub fn link_images(&self, links: &[(i64, String)]) -> Result<Vec<String>> {
        let tx = self.write_tx()?;
        let mut missing = Vec::new();
        let mut seen = HashSet::new();
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
        let tx = self.write_tx()?;
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

    /// The card thumbnail of a stored picture for a box `width` wide, if one was made:
    /// `Some(None)` when the picture is to be served as it is.
    pub fn thumbnail(&self, url: &str, width: u32) -> Result<Option<Option<(String, Vec<u8>)>>> {
        let mut stmt = self.conn.prepare_cached("SELECT content_type, bytes FROM thumbnails WHERE url = ?1 AND width = ?2")?;
        Ok(stmt
            .query_row(params![url, width], |r| Ok(r.get::<_, Option<String>>(0)?.zip(r.get::<_, Option<Vec<u8>>>(1)?)))
            .optional()?)
    }

    /// Keep a thumbnail with its stored picture (`None`: serve the picture as it is).
    /// Returns whether it was kept: not when the picture is not stored (a thumbnail goes with
    /// its picture), nor when another connection holds the write lock (a sync's writer holds
    /// it up to a second at a time; the reader's picture must not wait for it, and the
    /// thumbnail is simply made again next time).
    pub fn put_thumbnail_unless_busy(&self, url: &str, width: u32, thumbnail: Option<(&str, &[u8])>) -> Result<bool> {
        self.conn.busy_timeout(std::time::Duration::ZERO)?;
        let kept = (|| -> Result<bool> {
            let tx = self.write_tx()?;
            let kept = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO thumbnails (url, width, content_type, bytes)
                     SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM images WHERE url = ?1)",
                )?
                .execute(params![url, width, thumbnail.map(|t| t.0), thumbnail.map(|t| t.1)])?;
            tx.commit()?;
            Ok(kept > 0)
        })();
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        match kept {
            Err(crate::error::Error::Db(e)) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => Ok(false),
            other => other,
        }
    }

    /// The source of an article that shows this picture (its cover, or a picture of its body,
    /// linked as the body is stored): pictures of no stored article are never fetched for display.
    pub fn picture_source(&self, url: &str) -> Result<Option<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.url FROM article_images ai JOIN articles a ON a.id = ai.article_id
             JOIN sources s ON s.id = a.source_id WHERE ai.url = ?1 LIMIT 1",
        )?;
        Ok(stmt.query_row([url], |r| r.get(0)).optional()?)
    }

    /// (count, bytes) of stored pictures; the bytes include the card thumbnails kept with them.
    pub fn image_stats(&self) -> Result<(i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM images),
                    (SELECT COALESCE(sum(size), 0) FROM images) + (SELECT COALESCE(sum(length(bytes)), 0) FROM thumbnails)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Evict pictures beyond `cap_bytes`, least recently read first (pictures of no article
    /// before all others); never a picture of a saved article. A picture's size includes
    /// its thumbnails, which go with it. Returns bytes freed.
    pub fn evict_images(&self, cap_bytes: u64) -> Result<u64> {
        let (_, total) = self.image_stats()?;
        let mut excess = total - cap_bytes as i64;
        if excess <= 0 {
            return Ok(0);
        }
        let tx = self.write_tx()?;
        let candidates: Vec<(String, i64)> = tx
            .prepare(
                "SELECT i.url, i.size + COALESCE((SELECT sum(length(t.bytes)) FROM thumbnails t WHERE t.url = i.url), 0)
                 FROM images i
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

}
