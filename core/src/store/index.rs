//! Filling the full-text index from the queue `write_source` leaves. Kept apart from the
//! article transaction so that a sync's articles are listable before they are indexed:
//! tokenising and merging the index is a fifth of a cold sync's CPU.
//!
//! Invariant: an article in `index_queue` has no row in `articles_fts` (`write_source`
//! deletes the old row when it queues an update), so indexing is a plain insert.

use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::search::folded_words;
use crate::error::Result;
use crate::sanitize::html_to_text;

/// Articles indexed per transaction: big enough that FTS5 writes few segments, small
/// enough that a reader's mark never waits long for the write lock.
const BATCH: u32 = 2000;

struct Queued {
    id: i64,
    title: String,
    summary: Option<String>,
    content_html: Option<String>,
}

struct IndexRow {
    id: i64,
    body: String,
    folded: String,
}

fn index_row(article: &Queued) -> IndexRow {
    let body = article.content_html.as_deref().map(html_to_text).unwrap_or_default();
    let folded = folded_words(&[&article.title, article.summary.as_deref().unwrap_or(""), &body]);
    IndexRow { id: article.id, body, folded }
}

/// Text extraction on every core; the inserts that follow are serial anyway.
fn index_rows(queued: &[Queued]) -> Vec<IndexRow> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    if workers < 2 || queued.len() < 64 {
        return queued.iter().map(index_row).collect();
    }
    let chunk = queued.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            queued.chunks(chunk).map(|part| scope.spawn(|| part.iter().map(index_row).collect::<Vec<_>>())).collect();
        // A panic in html_to_text is a bug; surface it where it happened.
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// Index every queued article. Returns how many were indexed.
pub(crate) fn index_pending(conn: &Connection) -> Result<u64> {
    let mut indexed = 0;
    loop {
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        let queued: Vec<Queued> = {
            let mut stmt = tx.prepare_cached(
                "SELECT a.id, a.title, a.summary, a.content_html FROM index_queue q JOIN articles a ON a.id = q.article_id
                 ORDER BY q.article_id LIMIT ?1",
            )?;
            let rows = stmt.query_map([BATCH], |r| {
                Ok(Queued { id: r.get(0)?, title: r.get(1)?, summary: r.get(2)?, content_html: r.get(3)? })
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if queued.is_empty() {
            return Ok(indexed);
        }
        let rows = index_rows(&queued);
        {
            let mut insert =
                tx.prepare_cached("INSERT INTO articles_fts (rowid, title, summary, body, folded) VALUES (?1, ?2, ?3, ?4, ?5)")?;
            let mut dequeue = tx.prepare_cached("DELETE FROM index_queue WHERE article_id = ?1")?;
            for (article, row) in queued.iter().zip(&rows) {
                insert.execute(params![row.id, article.title, article.summary.as_deref().unwrap_or(""), row.body, row.folded])?;
                dequeue.execute([row.id])?;
            }
        }
        tx.commit()?;
        indexed += queued.len() as u64;
    }
}

/// How many stored articles are not yet searchable.
pub(crate) fn pending(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM index_queue", [], |r| r.get(0))?)
}
