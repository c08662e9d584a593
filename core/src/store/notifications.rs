//! `notified_articles`, `notified_stories` and `notification_log`: the breaking-news
//! policy's memory (what was sent, held or summarised; which stories; how many an hour).

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, ts};
use crate::error::Result;

impl Store {
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

    /// The oldest stored article with this link.
    pub fn article_id_by_url(&self, url: &str) -> Result<Option<i64>> {
        Ok(self.conn.query_row("SELECT min(id) FROM articles WHERE url = ?1", [url], |r| r.get(0))?)
    }

    /// Record a plan in one transaction, before the notices are shown: a crash after this
    /// may lose a notification but can never repeat one.
    pub fn record_notify_plan(&self, plan: &crate::notify::Plan, now: DateTime<Utc>) -> Result<()> {
        let tx = self.write_tx()?;
        if plan.released_held > 0 {
            tx.execute("UPDATE notified_articles SET state = 'summarized', decided_at = ?1 WHERE state = 'held'", [ts(now)])?;
        }
        {
            let mut article = tx.prepare_cached("INSERT OR REPLACE INTO notified_articles (article_id, state, decided_at) VALUES (?1, ?2, ?3)")?;
            let mut story = tx.prepare_cached("INSERT OR REPLACE INTO notified_stories (key, decided_at) VALUES (?1, ?2)")?;
            for (state, list) in [("sent", &plan.sent), ("held", &plan.held)] {
                for (id, keys) in list {
                    // A relayed story not stored yet is remembered by its keys alone.
                    if *id != crate::relay::NOT_STORED {
                        article.execute(params![id, state, ts(now)])?;
                    }
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
}
