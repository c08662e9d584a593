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
use super::index::IndexRow;
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
/// Index rows inserted per transaction, unless `MAX_TX_TIME` comes first: FTS5 writes a
/// segment per transaction, and fewer, larger ones merge less (store/index.rs's `BATCH`).
const INDEX_BATCH: usize = 2000;
/// Bodies a worker takes at once.
const WORKER_CHUNK: usize = 8;

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

/// A waiting body, with its article's title and summary (`None`: the article is gone).
type Job = (i64, String, String, Option<(String, Option<String>)>);

/// A body sanitised, and the article's index row made from it (when the article is there).
struct Done {
    id: i64,
    html: Option<String>,
    row: Option<IndexRow>,
}

fn read_after(conn: &Connection, after: i64, limit: usize) -> Result<Vec<Job>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.article_id, p.html, p.base, a.title, a.summary FROM pending_bodies p LEFT JOIN articles a ON a.id = p.article_id
         WHERE p.article_id > ?1 ORDER BY p.article_id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit as i64], |r| {
        let (title, summary): (Option<String>, Option<String>) = (r.get(3)?, r.get(4)?);
        let html: Option<String> = super::long_text(r, 1)?;
        Ok((r.get(0)?, html.unwrap_or_default(), r.get(2)?, title.map(|t| (t, summary))))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Store sanitised bodies and queue their articles for the index; the index rows of the
/// ones queued (an article gone meanwhile has none).
fn write(conn: &Connection, done: &mut Vec<Done>, queued: &mut Vec<IndexRow>) -> Result<()> {
    let tx = super::write_tx(conn)?;
    let mut rows = Vec::with_capacity(done.len());
    {
        let mut body = tx.prepare_cached("UPDATE articles SET content_html = ?2 WHERE id = ?1")?;
        let mut forget = tx.prepare_cached("DELETE FROM pending_bodies WHERE article_id = ?1")?;
        let mut queue = tx.prepare_cached("INSERT OR IGNORE INTO index_queue (article_id) VALUES (?1)")?;
        for Done { id, html, row } in done.drain(..) {
            forget.execute([id])?;
            // Gone meanwhile (retention, a removed source): nothing to index.
            if body.execute(params![id, html])? > 0 {
                queue.execute([id])?;
                rows.extend(row);
            }
        }
    }
    tx.commit()?;
    queued.append(&mut rows);
    Ok(())
}

/// Sanitise every waiting body on `workers` threads; this thread reads and writes. Returns
/// how many bodies were done. Stops at the first database error (what was written stays).
///
/// The workers also extract each body's text for the index, and this thread indexes the
/// queued articles in transactions of their own as it goes (`index::insert`, as
/// `index_pending` would): the index no longer waits for the last body, nor reads the
/// bodies back. Should indexing fail, it stops here and the articles stay queued for
/// `index_pending`, which reports the error.
pub(crate) fn sanitize_pending(conn: &Connection, workers: usize) -> Result<u64> {
    let (jobs, job_queue) = mpsc::sync_channel::<Job>(IN_FLIGHT);
    let job_queue = Mutex::new(job_queue);
    let (results, finished) = mpsc::channel::<Done>();
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            let (job_queue, results) = (&job_queue, results.clone());
            scope.spawn(move || loop {
                // A few jobs at a time, so that the phase figures are read per few, not per body.
                let mut taken = Vec::with_capacity(WORKER_CHUNK);
                {
                    let queue = job_queue.lock().unwrap_or_else(|p| p.into_inner());
                    let Ok(first) = queue.recv() else { return };
                    taken.push(first);
                    taken.extend(std::iter::from_fn(|| queue.try_recv().ok()).take(WORKER_CHUNK - 1));
                }
                let cleaned: Vec<_> = phases::measure(Phase::Sanitize, || {
                    taken
                        .into_iter()
                        .map(|(id, html, base, article)| {
                            // A base that no longer parses (it was a URL when stored): links stay relative and are dropped.
                            let base = Url::parse(&base).unwrap_or_else(|_| Url::parse("about:blank").expect("a valid URL"));
                            (id, Some(sanitize_html(&html, &base)).filter(|h| !h.trim().is_empty()), article)
                        })
                        .collect()
                });
                let done: Vec<Done> = phases::measure(Phase::Index, || {
                    cleaned
                        .into_iter()
                        .map(|(id, html, article)| {
                            let row = article.map(|(title, summary)| IndexRow::new(id, title, summary, html.as_deref()));
                            Done { id, html, row }
                        })
                        .collect()
                });
                for one in done {
                    if results.send(one).is_err() {
                        return;
                    }
                }
            });
        }
        drop(results);
        let outcome = (|| -> Result<u64> {
            let mut after = 0;
            let mut in_flight = 0usize;
            let mut reading = true;
            let mut done = Vec::with_capacity(BATCH);
            let mut written = 0u64;
            let mut batch_started = Instant::now();
            let mut queued: Vec<IndexRow> = Vec::new();
            let mut queued_since = Instant::now();
            let mut indexing = true;
            loop {
                if reading && in_flight < IN_FLIGHT / 2 {
                    let rows = phases::measure(Phase::Store, || read_after(conn, after, IN_FLIGHT - in_flight))?;
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
                    written += done.len() as u64;
                    if queued.is_empty() {
                        queued_since = Instant::now();
                    }
                    phases::measure(Phase::Store, || write(conn, &mut done, &mut queued))?;
                    if indexing && (queued.len() >= INDEX_BATCH || queued_since.elapsed() >= MAX_TX_TIME) {
                        indexing = index_now(conn, &mut queued);
                    }
                    if !indexing {
                        queued.clear();
                    }
                }
            }
            written += done.len() as u64;
            if !done.is_empty() {
                phases::measure(Phase::Store, || write(conn, &mut done, &mut queued))?;
            }
            if indexing && !queued.is_empty() {
                index_now(conn, &mut queued);
            }
            Ok(written)
        })();
        drop(jobs);
        outcome
    })
}

/// Index `rows` (queued articles) in one transaction; whether that worked.
fn index_now(conn: &Connection, rows: &mut Vec<IndexRow>) -> bool {
    let indexed = phases::measure(Phase::Index, || -> Result<()> {
        let tx = super::write_tx(conn)?;
        super::index::insert(&tx, rows)?;
        tx.commit()?;
        Ok(())
    });
    rows.clear();
    indexed.is_ok()
}
