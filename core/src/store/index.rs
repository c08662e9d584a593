//! Filling the full-text index from the queue `write_source` leaves. Kept apart from the
//! article transaction so that a sync's articles are listable before they are indexed:
//! tokenising and merging the index is a fifth of a cold sync's CPU.
//!
//! Invariant: an article in `index_queue` has no row in `articles_fts` (`write_source`
//! deletes the old row when it queues an update), so indexing is a plain insert.

use std::sync::mpsc;

use rusqlite::{Connection, OpenFlags, Transaction, params};

use super::search::folded_words;
use crate::error::Result;
use crate::sanitize::html_to_text;

/// Articles indexed per transaction: big enough that FTS5 writes few segments, small
/// enough that a reader's mark never waits long for the write lock.
const BATCH: usize = 2000;
/// Articles per message from the text extractor to the inserting thread (memory bound).
const CHUNK: u32 = 250;
/// A transaction open this long commits even short of `BATCH`: a sync killed while it
/// indexes (the app closed, the OS reclaiming it) keeps what it indexed up to a second
/// ago. Without it a slow device killed every time before 2,000 articles never indexed
/// anything, and each next sync started again from a longer queue (docs/reliability/crash.md).
const MAX_TX_TIME: std::time::Duration = std::time::Duration::from_secs(1);

pub(super) struct IndexRow {
    pub(super) id: i64,
    pub(super) title: String,
    pub(super) summary: String,
    pub(super) body: String,
    pub(super) folded: String,
}

impl IndexRow {
    /// The row of an article: its body's text extracted, the folded words of all three.
    pub(super) fn new(id: i64, title: String, summary: Option<String>, content_html: Option<&str>) -> Self {
        Self::with_text(id, title, summary, content_html.map(html_to_text).unwrap_or_default())
    }

    /// The row of an article whose body's text is already extracted (as `html_to_text` would).
    pub(super) fn with_text(id: i64, title: String, summary: Option<String>, body: String) -> Self {
        let summary = summary.unwrap_or_default();
        let folded = folded_words(&[&title, &summary, &body]);
        IndexRow { id, title, summary, body, folded }
    }

    /// Bytes of text it holds.
    pub(super) fn text_bytes(&self) -> usize {
        self.title.len() + self.summary.len() + self.body.len() + self.folded.len()
    }
}

/// Queued articles after `after`, oldest first, as index rows.
fn read_queued(conn: &Connection, after: i64, limit: u32) -> Result<Vec<IndexRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.title, a.summary, a.content_html FROM index_queue q JOIN articles a ON a.id = q.article_id
         WHERE q.article_id > ?1 ORDER BY q.article_id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, Option<String>>(3)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, title, summary, content_html) = row?;
        out.push(IndexRow::new(id, title, summary, content_html.as_deref()));
    }
    Ok(out)
}

pub(super) fn insert(tx: &Transaction, rows: &[IndexRow]) -> Result<()> {
    let mut insert =
        tx.prepare_cached("INSERT INTO articles_fts (rowid, title, summary, body, folded) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    let mut dequeue = tx.prepare_cached("DELETE FROM index_queue WHERE article_id = ?1")?;
    for row in rows {
        // Only what is still queued: an article deleted since its row was made (its queue
        // row cascades away) gets no index row.
        if dequeue.execute([row.id])? > 0 {
            insert.execute(params![row.id, row.title, row.summary, row.body, row.folded])?;
        }
    }
    Ok(())
}

/// Index every queued article. Returns how many were indexed.
///
/// A second, read-only connection extracts the text on its own thread while this one
/// inserts: the inserts are serial, the extraction need not wait for them.
pub(crate) fn index_pending(conn: &Connection) -> Result<u64> {
    index_pending_with(conn, MAX_TX_TIME, None)
}

/// `index_pending` with its time bound given; `die_after_chunks` stops it like a SIGKILL
/// would after that many chunks, the open transaction rolled back (for tests).
fn index_pending_with(conn: &Connection, max_tx_time: std::time::Duration, die_after_chunks: Option<usize>) -> Result<u64> {
    // A store is always a file (WAL needs one), so a second connection can open it.
    let path = conn.path().filter(|p| !p.is_empty()).ok_or_else(|| rusqlite::Error::InvalidPath(":memory:".into()))?;
    let reader = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    reader.busy_timeout(std::time::Duration::from_secs(5))?;
    let (chunks, received) = mpsc::sync_channel::<Result<Vec<IndexRow>>>(2);
    std::thread::scope(|scope| {
        scope.spawn(move || crate::phases::measure(crate::phases::Phase::Index, || {
            let mut after = 0;
            // Stops at the end of the queue, on an error (passed on), or when the
            // inserting side has stopped (its error is the one reported).
            loop {
                match read_queued(&reader, after, CHUNK) {
                    Ok(rows) if rows.is_empty() => return,
                    Ok(rows) => {
                        after = rows[rows.len() - 1].id;
                        if chunks.send(Ok(rows)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = chunks.send(Err(e));
                        return;
                    }
                }
            }
        }));
        let mut indexed = 0;
        let mut tx = None;
        let mut in_tx = 0;
        let mut opened = std::time::Instant::now();
        for (n, chunk) in received.into_iter().enumerate() {
            if die_after_chunks == Some(n) {
                // Dropping the open transaction rolls it back, as a killed process's would be.
                return Ok(indexed);
            }
            let rows = chunk?;
            let open = match &mut tx {
                Some(open) => open,
                None => {
                    opened = std::time::Instant::now();
                    tx.insert(super::write_tx(conn)?)
                }
            };
            insert(open, &rows)?;
            in_tx += rows.len();
            indexed += rows.len() as u64;
            if in_tx >= BATCH || opened.elapsed() >= max_tx_time {
                tx.take().map(Transaction::commit).transpose()?;
                in_tx = 0;
            }
        }
        tx.take().map(Transaction::commit).transpose()?;
        Ok(indexed)
    })
}

/// How many stored articles are not yet searchable.
pub(crate) fn unindexed_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM index_queue", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// 1,000 queued articles in a fresh store; returns the store's directory and connection.
    fn queued_store() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("caliber.db")).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT NOT NULL, summary TEXT, content_html TEXT);
             CREATE TABLE index_queue (article_id INTEGER PRIMARY KEY);
             CREATE VIRTUAL TABLE articles_fts USING fts5(title, summary, body, folded);",
        )
        .unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        for id in 1..=1000 {
            tx.execute(
                "INSERT INTO articles (id, title, summary, content_html) VALUES (?1, ?2, 'summary', '<p>body text</p>')",
                params![id, format!("title {id}")],
            )
            .unwrap();
            tx.execute("INSERT INTO index_queue (article_id) VALUES (?1)", [id]).unwrap();
        }
        tx.commit().unwrap();
        (dir, conn)
    }

    fn counts(conn: &Connection) -> (i64, i64) {
        let fts = conn.query_row("SELECT count(*) FROM articles_fts", [], |r| r.get(0)).unwrap();
        (unindexed_count(conn).unwrap(), fts)
    }

    /// Regression (docs/reliability/crash.md): a sync killed while indexing kept nothing
    /// short of 2,000 articles, so on a slow machine killed every time the queue only grew.
    /// Now a transaction commits once it has been open `MAX_TX_TIME`.
    #[test]
    fn indexing_killed_midway_keeps_what_it_committed() {
        // The old behaviour, for contrast: one 2,000-article transaction, killed after 3 chunks.
        let (_dir, conn) = queued_store();
        index_pending_with(&conn, Duration::from_secs(3600), Some(3)).unwrap();
        assert_eq!(counts(&conn), (1000, 0));
        // With the time bound reached at every chunk, the 3 chunks before the kill are kept.
        let (_dir, conn) = queued_store();
        index_pending_with(&conn, Duration::ZERO, Some(3)).unwrap();
        assert_eq!(counts(&conn), (1000 - 3 * CHUNK as i64, 3 * CHUNK as i64));
        // And the next pass indexes the rest.
        assert_eq!(index_pending(&conn).unwrap(), 1000 - 3 * u64::from(CHUNK));
        assert_eq!(counts(&conn), (0, 1000));
    }
}
