//! The relay's tables (subscriptions and per-edition alert history) in the same SQLite file
//! as the core's: one relay process per file. The relay's schema version is kept in `relay_schema`, apart from the
//! core's `user_version`, so the two migrate independently.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use caliber_core::notify::{History, Plan};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{Kind, NewSubscription, Prefs, QuietHours, STORY_WINDOW_HOURS, Subscription};
use crate::error::{RelayError, Result};

const MIGRATIONS: &[(u32, &str)] = &[(1, include_str!("../../migrations/0001_init.sql"))];
pub const RELAY_SCHEMA_VERSION: u32 = 1;


pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

fn list(text: String) -> Vec<String> {
    serde_json::from_str(&text).unwrap_or_default()
}

const SUBSCRIPTION_COLUMNS: &str =
    "id, kind, endpoint, p256dh, auth, editions, sections, keywords, quiet_start, quiet_end, time_zone, held";

fn subscription_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Subscription> {
    let kind: String = r.get(1)?;
    let quiet = match (r.get::<_, Option<String>>(8)?, r.get::<_, Option<String>>(9)?, r.get::<_, Option<String>>(10)?) {
        (Some(start), Some(end), Some(time_zone)) => Some(QuietHours { start, end, time_zone }),
        _ => None,
    };
    Ok(Subscription {
        id: r.get(0)?,
        kind: if kind == "apns" { Kind::Apns } else { Kind::Webpush },
        endpoint: r.get(2)?,
        p256dh: r.get(3)?,
        auth: r.get(4)?,
        prefs: Prefs { editions: list(r.get(5)?), sections: list(r.get(6)?), keywords: list(r.get(7)?), quiet_hours: quiet },
        held: r.get(11)?,
    })
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch("CREATE TABLE IF NOT EXISTS relay_schema (version INTEGER PRIMARY KEY)")?;
        let current: u32 = conn.query_row("SELECT coalesce(max(version), 0) FROM relay_schema", [], |r| r.get(0))?;
        if current > RELAY_SCHEMA_VERSION {
            return Err(RelayError::SchemaTooNew { path: path.into(), found: current, known: RELAY_SCHEMA_VERSION });
        }
        for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(sql).map_err(|source| RelayError::Migration { version, source })?;
            tx.execute("INSERT INTO relay_schema (version) VALUES (?1)", [version])?;
            tx.commit()?;
        }
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // SQLite rolls back an unfinished transaction, so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn().query_row("SELECT max(version) FROM relay_schema", [], |r| r.get(0))?)
    }

    // ---- subscriptions ----

    /// Insert, or replace the one with the same endpoint (a browser that subscribes again
    /// gets a new id; the old one stops working).
    pub fn subscribe(&self, id: &str, new: &NewSubscription) -> Result<()> {
        let quiet = new.prefs.quiet_hours.as_ref();
        self.conn().execute(
            "INSERT INTO relay_subscriptions (id, kind, endpoint, p256dh, auth, editions, sections, keywords, quiet_start, quiet_end, time_zone)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (endpoint) DO UPDATE SET id = excluded.id, kind = excluded.kind, p256dh = excluded.p256dh,
               auth = excluded.auth, editions = excluded.editions, sections = excluded.sections, keywords = excluded.keywords,
               quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, time_zone = excluded.time_zone, held = 0",
            params![
                id,
                new.kind.as_str(),
                new.endpoint,
                new.p256dh,
                new.auth,
                json(&new.prefs.editions),
                json(&new.prefs.sections),
                json(&new.prefs.keywords),
                quiet.map(|q| &q.start),
                quiet.map(|q| &q.end),
                quiet.map(|q| &q.time_zone),
            ],
        )?;
        Ok(())
    }

    /// `false` when there is no such subscription.
    pub fn update(&self, id: &str, prefs: &Prefs) -> Result<bool> {
        let quiet = prefs.quiet_hours.as_ref();
        let changed = self.conn().execute(
            "UPDATE relay_subscriptions SET editions = ?2, sections = ?3, keywords = ?4, quiet_start = ?5, quiet_end = ?6, time_zone = ?7
             WHERE id = ?1",
            params![
                id,
                json(&prefs.editions),
                json(&prefs.sections),
                json(&prefs.keywords),
                quiet.map(|q| &q.start),
                quiet.map(|q| &q.end),
                quiet.map(|q| &q.time_zone),
            ],
        )?;
        Ok(changed == 1)
    }

    pub fn unsubscribe(&self, id: &str) -> Result<bool> {
        Ok(self.conn().execute("DELETE FROM relay_subscriptions WHERE id = ?1", [id])? == 1)
    }

    /// A push service said the endpoint is gone (404/410).
    pub fn remove_endpoint(&self, endpoint: &str) -> Result<bool> {
        Ok(self.conn().execute("DELETE FROM relay_subscriptions WHERE endpoint = ?1", [endpoint])? == 1)
    }

    pub fn subscription(&self, id: &str) -> Result<Option<Subscription>> {
        Ok(self
            .conn()
            .query_row(&format!("SELECT {SUBSCRIPTION_COLUMNS} FROM relay_subscriptions WHERE id = ?1"), [id], subscription_row)
            .optional()?)
    }

    pub fn subscription_count(&self) -> Result<i64> {
        Ok(self.conn().query_row("SELECT count(*) FROM relay_subscriptions", [], |r| r.get(0))?)
    }

    /// Every subscription that follows `edition`.
    pub fn subscribers_of(&self, edition: &str) -> Result<Vec<Subscription>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM relay_subscriptions
             WHERE EXISTS (SELECT 1 FROM json_each(editions) WHERE value = ?1)"
        ))?;
        let rows = stmt.query_map([edition], subscription_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Subscriptions with alerts held back by their quiet hours.
    pub fn with_held(&self) -> Result<Vec<Subscription>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("SELECT {SUBSCRIPTION_COLUMNS} FROM relay_subscriptions WHERE held > 0"))?;
        let rows = stmt.query_map([], subscription_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn add_held(&self, ids: &[&str]) -> Result<()> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("UPDATE relay_subscriptions SET held = held + 1 WHERE id = ?1")?;
        for id in ids {
            stmt.execute([id])?;
        }
        Ok(())
    }

    /// Reset before the summary is sent: a crash may lose it, never repeat it.
    pub fn clear_held(&self, id: &str) -> Result<()> {
        self.conn().execute("UPDATE relay_subscriptions SET held = 0 WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Sections and keywords any subscriber of `edition` follows: the edition's policy lets
    /// these through, and each subscriber then gets only their own.
    pub fn interests(&self, edition: &str) -> Result<(Vec<String>, Vec<String>)> {
        let conn = self.conn();
        let union = |column: &str| -> Result<Vec<String>> {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT DISTINCT lower(j.value) FROM relay_subscriptions s, json_each(s.{column}) j
                 WHERE EXISTS (SELECT 1 FROM json_each(s.editions) WHERE value = ?1) ORDER BY 1"
            ))?;
            let rows = stmt.query_map([edition], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        Ok((union("sections")?, union("keywords")?))
    }

    // ---- the policy's history, per edition ----

    pub fn edition_history(&self, edition: &str, candidate_ids: &[i64], now: DateTime<Utc>) -> Result<History> {
        let conn = self.conn();
        let mut history = History::default();
        {
            let mut decided = conn.prepare_cached("SELECT 1 FROM relay_decisions WHERE edition = ?1 AND article_id = ?2")?;
            for &id in candidate_ids {
                if decided.exists(params![edition, id])? {
                    history.notified_ids.insert(id);
                }
            }
        }
        let since = ts(now) - STORY_WINDOW_HOURS * 3600;
        let mut keys = conn.prepare_cached("SELECT key FROM relay_stories WHERE edition = ?1 AND decided_at >= ?2")?;
        history.story_keys = keys.query_map(params![edition, since], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        history.sent_last_hour = conn.query_row(
            "SELECT count(*) FROM relay_log WHERE edition = ?1 AND sent_at > ?2",
            params![edition, ts(now) - 3600],
            |r| r.get(0),
        )?;
        history.held = conn.query_row(
            "SELECT count(*) FROM relay_decisions WHERE edition = ?1 AND state = 'held'",
            [edition],
            |r| r.get(0),
        )?;
        Ok(history)
    }

    /// Record an edition's plan in one transaction, before anything is sent.
    pub fn record_plan(&self, edition: &str, plan: &Plan, now: DateTime<Utc>) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if plan.released_held > 0 {
            tx.execute(
                "UPDATE relay_decisions SET state = 'summarized', decided_at = ?2 WHERE edition = ?1 AND state = 'held'",
                params![edition, ts(now)],
            )?;
        }
        {
            let mut decision = tx.prepare_cached(
                "INSERT OR REPLACE INTO relay_decisions (edition, article_id, state, decided_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut story =
                tx.prepare_cached("INSERT OR REPLACE INTO relay_stories (edition, key, decided_at) VALUES (?1, ?2, ?3)")?;
            for (state, list) in [("sent", &plan.sent), ("held", &plan.held)] {
                for (id, keys) in list {
                    decision.execute(params![edition, id, state, ts(now)])?;
                    for key in keys {
                        story.execute(params![edition, key, ts(now)])?;
                    }
                }
            }
            let mut log = tx.prepare_cached("INSERT INTO relay_log (edition, sent_at) VALUES (?1, ?2)")?;
            for _ in &plan.notices {
                log.execute(params![edition, ts(now)])?;
            }
        }
        tx.execute("DELETE FROM relay_log WHERE sent_at < ?1", [ts(now) - 86400])?;
        tx.execute("DELETE FROM relay_stories WHERE decided_at < ?1", [ts(now) - STORY_WINDOW_HOURS * 3600])?;
        tx.commit()?;
        Ok(())
    }

    /// Editions other than `edition` that announced any of these story keys lately.
    pub fn announced_elsewhere(&self, edition: &str, keys: &[String], now: DateTime<Utc>) -> Result<HashSet<String>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT edition FROM relay_stories WHERE key = ?1 AND edition != ?2 AND decided_at >= ?3")?;
        let since = ts(now) - STORY_WINDOW_HOURS * 3600;
        let mut editions = HashSet::new();
        for key in keys {
            for e in stmt.query_map(params![key, edition, since], |r| r.get::<_, String>(0))? {
                editions.insert(e?);
            }
        }
        Ok(editions)
    }

    /// Counts of subscriptions per kind (for the status line).
    pub fn counts(&self) -> Result<HashMap<String, i64>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT kind, count(*) FROM relay_subscriptions GROUP BY kind")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
