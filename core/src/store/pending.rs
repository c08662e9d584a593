//! Bodies waiting to be sanitised (migration 0007). A sync writes each article's listing
//! fields at once and its body here, as the feed sent it; `sanitize_pending` then moves
//! every body through `sanitize_html` into `articles.content_html` and queues the article
//! for the index.
//!
//! Invariant: no reader query reads `pending_bodies`, and nothing but `sanitize_pending`
//! writes `content_html` from it, so no reader (the UI, the CLI, search) ever sees an
//! unsanitised body. Until its body is in, an article shows its summary; it is queued for
//! the index only after, so search never holds text the reader cannot open.

use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use rusqlite::{Connection, Transaction, params};
use url::Url;

use super::Store;
use crate::error::Result;
use crate::model::UnsanitisedBody;
use crate::phases::{self, Phase};
use crate::sanitize::sanitize_html;

impl Store {
    /// Sanitise every body a sync left waiting, `workers` at a time.
    pub fn sanitize_pending(&mut self, workers: usize) -> Result<u64> {
        sanitize_pending(self.connection(), workers)
    }

    /// Bodies waiting to be sanitised.
    pub fn pending_body_count(&self) -> Result<i64> {
        pending_count(self.connection())
    }
}

/// Bodies read ahead of the sanitisers (memory bound: a few MB).
const IN_FLIGHT: usize = 64;
/// Sanitised bodies written per transaction, unless `MAX_TX_TIME` comes first.
const BATCH: usize = 500;
/// Like the index (store/index.rs): a sync killed meanwhile keeps what was done a second ago.
const MAX_TX_TIME: Duration = Duration::from_secs(1);

/// Keep `body` for the article until `sanitize_pending` (in the article's own transaction).
pub(crate) fn hold(tx: &Transaction, article_id: i64, body: &UnsanitisedBody) -> Result<()> {
    tx.prepare_cached("INSERT OR REPLACE INTO pending_bodies (article_id, html, base) VALUES (?1, ?2, ?3)")?
        .execute(params![article_id, body.html, body.base.as_str()])?;
    Ok(())
}

/// Drop a waiting body: the article got a sanitised one since.
pub(crate) fn forget(tx: &Transaction, article_id: i64) -> Result<()> {
    tx.prepare_cached("DELETE FROM pending_bodies WHERE article_id = ?1")?.execute([article_id])?;
    Ok(())
}

/// Bodies waiting (for tests and the crash harness's figures).
pub(crate) fn pending_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM pending_bodies", [], |r| r.get(0))?)
}

fn read_after(conn: &Connection, after: i64, limit: usize) -> Result<Vec<(i64, String, String)>> {
    let mut stmt = conn.prepare_cached("SELECT article_id, html, base FROM pending_bodies WHERE article_id > ?1 ORDER BY article_id LIMIT ?2")?;
    let rows = stmt.query_map(params![after, limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn write(conn: &Connection, done: &[(i64, Option<String>)]) -> Result<()> {
    let tx = super::write_tx(conn)?;
    {
        let mut body = tx.prepare_cached("UPDATE articles SET content_html = ?2 WHERE id = ?1")?;
        let mut forget = tx.prepare_cached("DELETE FROM pending_bodies WHERE article_id = ?1")?;
        let mut queue = tx.prepare_cached("INSERT OR IGNORE INTO index_queue (article_id) VALUES (?1)")?;
        for (id, html) in done {
            forget.execute([id])?;
            // Gone meanwhile (retention, a removed source): nothing to index.
            if body.execute(params![id, html])? > 0 {
                queue.execute([id])?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// Sanitise every waiting body on `workers` threads; this thread reads and writes. Returns
/// how many bodies were done. Stops at the first database error (what was written stays).
pub(crate) fn sanitize_pending(conn: &Connection, workers: usize) -> Result<u64> {
    let (jobs, job_queue) = mpsc::sync_channel::<(i64, String, String)>(IN_FLIGHT);
    let job_queue = Mutex::new(job_queue);
    let (results, finished) = mpsc::channel::<(i64, Option<String>)>();
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            let (job_queue, results) = (&job_queue, results.clone());
            scope.spawn(move || {
                phases::measure(Phase::Sanitize, || loop {
                    let next = job_queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok((id, html, base)) = next else { return };
                    // A base that no longer parses (it was a URL when stored): links stay relative and are dropped.
                    let base = Url::parse(&base).unwrap_or_else(|_| Url::parse("about:blank").expect("a valid URL"));
                    let clean = sanitize_html(&html, &base);
                    let clean = Some(clean).filter(|h| !h.trim().is_empty());
                    if results.send((id, clean)).is_err() {
                        return;
                    }
                })
            });
        }
        drop(results);
        let outcome = phases::measure(Phase::Store, || -> Result<u64> {
            let mut after = 0;
            let mut in_flight = 0usize;
            let mut reading = true;
            let mut done = Vec::with_capacity(BATCH);
            let mut written = 0u64;
            let mut batch_started = Instant::now();
            loop {
                if reading && in_flight < IN_FLIGHT / 2 {
                    let rows = read_after(conn, after, IN_FLIGHT - in_flight)?;
                    reading = !rows.is_empty();
                    for row in rows {
                        after = row.0;
                        in_flight += 1;
                        // The workers only stop when this sender is dropped.
                        jobs.send(row).expect("sanitising workers outlive the job queue");
                    }
                }
                if in_flight == 0 {
                    break;
                }
                let result = finished.recv().expect("a sanitising worker stopped early");
                in_flight -= 1;
                if done.is_empty() {
                    batch_started = Instant::now();
                }
                done.push(result);
                if done.len() >= BATCH || batch_started.elapsed() >= MAX_TX_TIME {
                    write(conn, &done)?;
                    written += done.len() as u64;
                    done.clear();
                }
            }
            if !done.is_empty() {
                write(conn, &done)?;
            }
            Ok(written + done.len() as u64)
        });
        drop(jobs);
        outcome
    })
}
