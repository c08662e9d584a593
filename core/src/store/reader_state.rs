//! `article_state`: the reader's read and saved marks. Only the reader's actions write it;
//! sync never does, so an update of an article cannot clobber what the reader did.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, ts};
use crate::error::{Error, Result};
use crate::model::Article;

impl Store {
    /// Set read and/or saved marks. Only this (the reader's action) writes `article_state`.
    pub fn mark(&self, id: i64, read: Option<bool>, saved: Option<bool>, now: DateTime<Utc>) -> Result<Article> {
        let exists: bool = self.conn.query_row("SELECT EXISTS (SELECT 1 FROM articles WHERE id = ?1)", [id], |r| r.get(0))?;
        if !exists {
            return Err(Error::ArticleNotFound(id));
        }
        let tx = self.write_tx()?;
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
}
