//! Bodies waiting to be sanitised (migration 0007). A sync writes each article's listing
//! fields at once and its body here, as the feed sent it; `sanitize_pending` then moves
//! every body through `sanitize_html` into `articles.content_html` and queues the article
//! for the index.
//!
//! Invariant: no reader query reads `pending_bodies`, and nothing but `sanitize_pending`
//! writes `content_html` from it, so no reader (the UI, the CLI, search) ever sees an
//! unsanitised body. Until its body is in, an article shows its summary; it is queued for
//! the index only after, so search never holds text the reader cannot open.
//!
//! A sync's parse threads write a document's bodies to one file in `<db>.bodies/`
//! (`spill_bodies`) before its articles reach the writer, which then stores only where each
//! body is (migration 0009): the single writer thread was the listing's serial tail, and
//! half its work was bodies going through the B-tree and the WAL. A file is written before
//! the transaction that names it commits, so a committed row always has its bytes; files
//! no row names are removed once sanitised, and strays (a sync killed before its writer
//! committed) after a day. The same invariant holds for the files: only `sanitize_pending`
//! reads them.

use std::collections::{HashSet, VecDeque};
use std::io::{IoSlice, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use rusqlite::{Connection, Transaction, params};
use url::Url;

use super::Store;
use crate::error::Result;
use crate::model::{PreparedArticle, SpilledBody, UnsanitisedBody};
use crate::phases::{self, Phase};
use super::index::IndexRow;
use crate::parse::body_picture_links;
use crate::sanitize::sanitize_html_and_text;

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

/// Bodies read ahead of the sanitisers, or their bytes, whichever bound comes first: enough
/// for the workers to go on while this thread indexes or commits (64 ran out in 5 ms).
const IN_FLIGHT: usize = 512;
const IN_FLIGHT_BYTES: usize = 8 << 20;
/// Bodies and index rows written per transaction, unless `MAX_TX_TIME` comes first: FTS5
/// writes a segment per transaction, and fewer, larger ones merge less (store/index.rs's
/// `BATCH`: about as many index rows).
const TX_ROWS: usize = 4000;
/// Like the index (store/index.rs): a sync killed meanwhile keeps what was done a second ago.
const MAX_TX_TIME: Duration = Duration::from_secs(1);
/// Index rows inserted at a time between the workers' results (a few milliseconds).
const INDEX_SLICE: usize = 32;
/// Bytes of index rows waiting, past which no more bodies are read ahead (memory bound).
const INDEX_BACKLOG_BYTES: usize = 8 << 20;
/// Bodies a worker takes at once.
const WORKER_CHUNK: usize = 8;

/// A file no row names, older than this, is a stray of a sync killed before its writer
/// committed (a live sync names its files within `source_deadline` of writing them).
const STRAY_AGE: Duration = Duration::from_secs(24 * 3600);

/// The directory of the spilled bodies of the database at `db_path`: `<db>.bodies`, beside
/// it (the path resolved, so that the sync and the sanitiser agree whichever way it was named).
pub(crate) fn bodies_dir(db_path: &Path) -> PathBuf {
    let resolved = std::fs::canonicalize(db_path).unwrap_or_else(|_| db_path.to_path_buf());
    let mut name = resolved.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".bodies");
    resolved.with_file_name(name)
}

/// Write the bodies of `articles` to one new file beside the database at `db_path` and
/// keep only where each is. Called on a parse thread, before the articles go to the writer.
pub fn spill_bodies(db_path: &Path, articles: &mut [PreparedArticle]) -> std::io::Result<()> {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let total: usize = articles.iter().filter_map(|a| a.unsanitised_body.as_ref()).map(|b| b.html.len()).sum();
    if total == 0 {
        return Ok(());
    }
    let dir = bodies_dir(db_path);
    std::fs::create_dir_all(&dir)?;
    let stamp = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos();
    // create_new: a name is never reused, even by another process or after a restart.
    let (name, mut file) = loop {
        let name = format!("{}-{stamp}-{}.html", std::process::id(), SEQUENCE.fetch_add(1, Ordering::Relaxed));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(dir.join(&name)) {
            Ok(file) => break (name, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    };
    let name: Arc<str> = name.into();
    let mut spilled = Vec::with_capacity(articles.len());
    let mut slices = Vec::with_capacity(articles.len());
    let mut offset = 0u64;
    for body in articles.iter().filter_map(|a| a.unsanitised_body.as_ref()) {
        spilled.push(SpilledBody { file: name.clone(), offset, length: body.html.len() as u64 });
        offset += body.html.len() as u64;
        slices.push(IoSlice::new(body.html.as_bytes()));
    }
    // Straight from the bodies (one copy fewer than joining them first: 4 % of the listing).
    if let Err(e) = write_all_vectored(&mut file, &mut slices) {
        drop(file);
        let _ = std::fs::remove_file(dir.join(&*name));
        return Err(e);
    }
    for (body, place) in articles.iter_mut().filter_map(|a| a.unsanitised_body.as_mut()).zip(spilled) {
        body.html = String::new();
        body.spilled = Some(place);
    }
    Ok(())
}

fn write_all_vectored(file: &mut std::fs::File, mut slices: &mut [IoSlice<'_>]) -> std::io::Result<()> {
    while !slices.is_empty() {
        match file.write_vectored(slices) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(written) => IoSlice::advance_slices(&mut slices, written),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Keep `body` for the article until `sanitize_pending` (in the article's own transaction).
pub(crate) fn hold(tx: &Transaction, article_id: i64, body: &UnsanitisedBody) -> Result<()> {
    let (file, offset, length) = match &body.spilled {
        Some(spilled) => (Some(&*spilled.file), Some(spilled.offset as i64), Some(spilled.length as i64)),
        None => (None, None, None),
    };
    tx.prepare_cached(
        "INSERT OR REPLACE INTO pending_bodies (article_id, html, base, file, file_offset, file_length) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![article_id, body.html, body.base.as_str(), file, offset, length])?;
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
    /// The body's pictures, linked to the article with it (`body_picture_links`).
    pictures: Vec<String>,
    /// The waiting body's length (what it held in flight).
    read: usize,
}

/// Bytes of the open file read at once: the rows come in file order, so one read serves the
/// bodies of many (a seek and a read for each body were 4,000 system calls of a
/// 2,000-article sync).
const READ_AHEAD: usize = 256 * 1024;

/// The spilled bodies' files read so far (the last one open: rows come in file order).
struct BodyFiles {
    dir: Option<PathBuf>,
    open: Option<OpenFile>,
    seen: HashSet<Arc<str>>,
}

/// The file being read, and the bytes of it read last, from `at`.
struct OpenFile {
    name: Arc<str>,
    file: std::fs::File,
    at: u64,
    bytes: Vec<u8>,
}

impl OpenFile {
    /// `length` bytes from `offset`; none where the file is shorter.
    fn slice(&mut self, offset: u64, length: u64) -> Option<&[u8]> {
        let length = usize::try_from(length).ok()?;
        let end = offset.checked_add(length as u64)?;
        if offset < self.at || end > self.at + self.bytes.len() as u64 {
            self.bytes.clear();
            self.at = offset;
            self.file.seek(SeekFrom::Start(offset)).ok()?;
            (&mut self.file).take(length.max(READ_AHEAD) as u64).read_to_end(&mut self.bytes).ok()?;
            if self.bytes.len() < length {
                return None;
            }
        }
        let from = usize::try_from(offset - self.at).ok()?;
        self.bytes.get(from..from + length)
    }
}

impl BodyFiles {
    fn new(conn: &Connection) -> Self {
        let dir = conn.path().filter(|p| !p.is_empty()).map(|p| bodies_dir(Path::new(p)));
        Self { dir, open: None, seen: HashSet::new() }
    }

    /// A spilled body's HTML; empty when its file is gone or short (the article then keeps
    /// its summary: a body is lost, nothing unsanitised is shown).
    fn read(&mut self, file: &str, offset: u64, length: u64) -> String {
        let Some(dir) = &self.dir else { return String::new() };
        if self.open.as_ref().is_none_or(|open| &*open.name != file) {
            let name: Arc<str> = file.into();
            self.seen.insert(name.clone());
            self.open = std::fs::File::open(dir.join(file)).ok().map(|file| OpenFile { name, file, at: 0, bytes: Vec::new() });
        }
        let Some(bytes) = self.open.as_mut().and_then(|open| open.slice(offset, length)) else { return String::new() };
        // As `long_text`: the SIMD check, then a copy (the standard library's check is slower).
        match simdutf8::basic::from_utf8(bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        }
    }

    /// Remove the files read this run that no row names any more, and strays.
    fn remove_unneeded(&self, conn: &Connection) -> Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let mut named = conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM pending_bodies WHERE file = ?1)")?;
        for name in &self.seen {
            if !named.query_row([&**name], |r| r.get::<_, bool>(0))? {
                let _ = std::fs::remove_file(dir.join(&**name));
            }
        }
        let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
        for entry in entries.flatten() {
            let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STRAY_AGE));
            let name = entry.file_name();
            if old && let Some(name) = name.to_str() && !named.query_row([name], |r| r.get::<_, bool>(0))? {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        // Gone when empty (another sync's new file keeps it, or makes it again).
        let _ = std::fs::remove_dir(dir);
        Ok(())
    }
}

/// Waiting bodies after `after`: at most `limit`, and no more once they come to `max_bytes`.
fn read_after(conn: &Connection, files: &mut BodyFiles, after: i64, limit: usize, max_bytes: usize) -> Result<Vec<Job>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.article_id, p.html, p.base, a.title, a.summary, p.file, p.file_offset, p.file_length
         FROM pending_bodies p LEFT JOIN articles a ON a.id = p.article_id
         WHERE p.article_id > ?1 ORDER BY p.article_id LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![after, limit as i64])?;
    let mut jobs = Vec::with_capacity(limit);
    let mut bytes = 0;
    while bytes < max_bytes && let Some(r) = rows.next()? {
        let (title, summary): (Option<String>, Option<String>) = (r.get(3)?, r.get(4)?);
        let html = match r.get::<_, Option<String>>(5)? {
            Some(file) => files.read(&file, r.get::<_, i64>(6)?.max(0) as u64, r.get::<_, i64>(7)?.max(0) as u64),
            None => super::long_text(r, 1)?.unwrap_or_default(),
        };
        bytes += html.len();
        jobs.push((r.get(0)?, html, r.get(2)?, title.map(|t| (t, summary))));
    }
    Ok(jobs)
}

/// Store sanitised bodies, link their pictures and queue their articles for the index, in
/// `tx`; the index rows go to `queued` (an article gone meanwhile has none). Returns how
/// many were still waiting: a body done twice (after a rollback) is written and counted once.
fn write(tx: &Transaction, done: Vec<Done>, queued: &mut Backlog) -> Result<u64> {
    let mut body = tx.prepare_cached("UPDATE articles SET content_html = ?2 WHERE id = ?1")?;
    let mut forget = tx.prepare_cached("DELETE FROM pending_bodies WHERE article_id = ?1")?;
    let mut queue = tx.prepare_cached("INSERT OR IGNORE INTO index_queue (article_id) VALUES (?1)")?;
    let mut link = tx.prepare_cached("INSERT OR IGNORE INTO article_images (article_id, url) VALUES (?1, ?2)")?;
    let mut written = 0;
    for Done { id, html, row, pictures, .. } in done {
        if forget.execute([id])? == 0 {
            continue;
        }
        written += 1;
        // Gone meanwhile (retention, a removed source): nothing to index or link.
        if body.execute(params![id, html])? > 0 {
            queue.execute([id])?;
            queued.extend(row);
            for url in pictures {
                link.execute(params![id, url])?;
            }
        }
    }
    Ok(written)
}

/// Sanitise a few waiting bodies, find their pictures and make their index rows.
fn prepare(taken: Vec<Job>) -> Vec<Done> {
    let cleaned: Vec<_> = phases::measure(Phase::Sanitize, || {
        taken
            .into_iter()
            .map(|(id, html, base, article)| {
                let read = html.len();
                // A base that no longer parses (it was a URL when stored): links stay relative and are dropped.
                let base = Url::parse(&base).unwrap_or_else(|_| Url::parse("about:blank").expect("a valid URL"));
                // The index's text comes from the same walk (no second parse of the body).
                let (html, text) = sanitize_html_and_text(&html, &base);
                let html = Some(html).filter(|h| !h.trim().is_empty());
                let pictures = html.as_deref().map(body_picture_links).unwrap_or_default();
                (id, html, text, article, pictures, read)
            })
            .collect()
    });
    phases::measure(Phase::Index, || {
        cleaned
            .into_iter()
            .map(|(id, html, text, article, pictures, read)| {
                let row = article.map(|(title, summary)| IndexRow::with_text(id, title, summary, text));
                Done { id, html, row, pictures, read }
            })
            .collect()
    })
}

/// A few of the jobs no worker has taken yet, without waiting (none: a worker holds the
/// queue, or it is empty).
fn untaken(job_queue: &Mutex<mpsc::Receiver<Job>>) -> Option<Vec<Job>> {
    let queue = job_queue.try_lock().ok()?;
    let taken: Vec<Job> = std::iter::from_fn(|| queue.try_recv().ok()).take(WORKER_CHUNK).collect();
    (!taken.is_empty()).then_some(taken)
}

/// Index rows waiting for this thread, and their size.
#[derive(Default)]
struct Backlog {
    rows: VecDeque<IndexRow>,
    bytes: usize,
}

impl Backlog {
    fn extend(&mut self, row: Option<IndexRow>) {
        if let Some(row) = row {
            self.bytes += row.text_bytes();
            self.rows.push_back(row);
        }
    }

    /// The oldest `n` rows (fewer when fewer wait).
    fn take(&mut self, n: usize) -> Vec<IndexRow> {
        let taken: Vec<IndexRow> = self.rows.drain(..self.rows.len().min(n)).collect();
        self.bytes -= taken.iter().map(IndexRow::text_bytes).sum::<usize>();
        taken
    }

    fn clear(&mut self) {
        *self = Self::default();
    }
}

/// The open transaction of `sanitize_pending`: bodies and index rows go in together.
struct OpenTx<'c> {
    tx: Transaction<'c>,
    opened: Instant,
    /// Bodies and index rows written in it.
    rows: usize,
    /// Bodies in it that were waiting.
    bodies: u64,
}

/// Sanitise every waiting body on `workers` threads, this one among them: it reads and
/// writes, and sanitises when it has nothing else to do. Returns how many bodies were done.
/// Stops at the first database error (what was committed stays).
///
/// The workers also extract each body's text for the index, and this thread indexes the
/// queued articles as it goes (`index::insert`, as `index_pending` would): the index does
/// not wait for the last body, nor read the bodies back. It indexes a slice at a time
/// between the workers' results, in the bodies' transaction: a transaction of its own took
/// this thread away for a fifth of a second at a time, and the workers, out of bodies, sat
/// idle meanwhile (BENCHMARKS.md). Should indexing fail, that transaction rolls back, its
/// bodies are done again without the index, and the articles stay queued for
/// `index_pending`, which reports the error.
pub(crate) fn sanitize_pending(conn: &Connection, workers: usize) -> Result<u64> {
    let (jobs, job_queue) = mpsc::sync_channel::<Job>(IN_FLIGHT);
    let job_queue = Mutex::new(job_queue);
    // A worker's finished bodies go back together: one wake-up of this thread per few
    // bodies, not per body. Per body, a cold sync of 20,000 articles switched threads
    // 34,000 times; this way 14,000, for 3 % less CPU (BENCHMARKS.md).
    let (results, finished) = mpsc::channel::<Vec<Done>>();
    std::thread::scope(|scope| {
        // This thread is busy too (writing, indexing), and helps when it is not: one worker
        // fewer than `workers`. A third busy thread on two cores cost 15 % more CPU and
        // finished later (BENCHMARKS.md).
        for _ in 0..workers.saturating_sub(1).max(1) {
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
                if results.send(prepare(taken)).is_err() {
                    return;
                }
            });
        }
        drop(results);
        let mut files = BodyFiles::new(conn);
        let outcome = (|| -> Result<u64> {
            let mut after = 0;
            let (mut in_flight, mut in_flight_bytes) = (0usize, 0usize);
            let mut reading = true;
            let mut written = 0u64;
            let mut queued = Backlog::default();
            let mut indexing = true;
            let mut open: Option<OpenTx> = None;
            loop {
                // Read ahead while the index keeps up (what waits for it is memory).
                if reading && in_flight < IN_FLIGHT / 2 && in_flight_bytes < IN_FLIGHT_BYTES / 2 && queued.bytes < INDEX_BACKLOG_BYTES {
                    let (limit, max_bytes) = (IN_FLIGHT - in_flight, IN_FLIGHT_BYTES - in_flight_bytes);
                    let rows = phases::measure(Phase::Store, || read_after(conn, &mut files, after, limit, max_bytes))?;
                    reading = !rows.is_empty();
                    for row in rows {
                        after = row.0;
                        in_flight += 1;
                        in_flight_bytes += row.1.len();
                        // The workers only stop when this sender is dropped.
                        jobs.send(row).expect("sanitising workers outlive the job queue");
                    }
                }
                let to_index = indexing && !queued.rows.is_empty();
                if in_flight == 0 && !to_index {
                    break;
                }
                // The workers' results first (they wait for more), the index in between, and
                // with neither, bodies the workers have not taken yet.
                let results = match (in_flight, to_index) {
                    (0, _) => None,
                    (_, true) => finished.try_recv().ok(),
                    (_, false) => Some(match finished.try_recv() {
                        Ok(results) => results,
                        Err(_) => match untaken(&job_queue) {
                            Some(taken) => prepare(taken),
                            None => finished.recv().expect("a sanitising worker stopped early"),
                        },
                    }),
                };
                let open_tx = match &mut open {
                    Some(open_tx) => open_tx,
                    None => open.insert(OpenTx { tx: super::write_tx(conn)?, opened: Instant::now(), rows: 0, bodies: 0 }),
                };
                if let Some(results) = results {
                    in_flight -= results.len();
                    in_flight_bytes -= results.iter().map(|done| done.read).sum::<usize>();
                    open_tx.rows += results.len();
                    let bodies = phases::measure(Phase::Store, || write(&open_tx.tx, results, &mut queued))?;
                    open_tx.bodies += bodies;
                    written += bodies;
                    if !indexing {
                        queued.clear();
                    }
                } else {
                    let slice = queued.take(INDEX_SLICE);
                    open_tx.rows += slice.len();
                    if phases::measure(Phase::Index, || super::index::insert(&open_tx.tx, &slice)).is_err() {
                        // The bodies of this transaction are waiting again: read them anew
                        // (from the start; those the workers have are done twice, harmlessly).
                        indexing = false;
                        queued.clear();
                        if let Some(failed) = open.take() {
                            written -= failed.bodies;
                            failed.tx.rollback()?;
                        }
                        after = 0;
                        reading = true;
                        continue;
                    }
                }
                if (open_tx.rows >= TX_ROWS || open_tx.opened.elapsed() >= MAX_TX_TIME)
                    && let Some(done) = open.take()
                {
                    phases::measure(Phase::Store, || done.tx.commit())?;
                }
            }
            if let Some(done) = open.take() {
                phases::measure(Phase::Store, || done.tx.commit())?;
            }
            Ok(written)
        })();
        drop(jobs);
        if outcome.is_ok() {
            files.remove_unneeded(conn)?;
        }
        outcome
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(i: usize, html: String) -> PreparedArticle {
        PreparedArticle {
            guid: format!("g{i}"),
            url: None,
            title: format!("t{i}"),
            summary: None,
            content_html: None,
            author: None,
            categories: Vec::new(),
            published_at: None,
            updated_at: None,
            image_url: None,
            language: None,
            views: None,
            is_breaking: false,
            hash: [0; 16],
            unsanitised_body: Some(UnsanitisedBody { html, base: Url::parse("https://news.example/").unwrap(), spilled: None }),
        }
    }

    /// More bodies than one `writev` takes (1,024 on Linux), of every size, Cyrillic too:
    /// each is where its row will say, byte for byte.
    #[test]
    fn every_spilled_body_reads_back_from_where_it_was_put() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("caliber.db");
        std::fs::write(&db, b"").unwrap();
        let bodies: Vec<String> = (0..3000).map(|i| format!("<p>Статья {i}</p>{}", "x".repeat(i % 700))).collect();
        let mut articles: Vec<PreparedArticle> = bodies.iter().enumerate().map(|(i, b)| article(i, b.clone())).collect();
        articles[7].unsanitised_body = None;
        spill_bodies(&db, &mut articles).unwrap();
        let files: Vec<_> = std::fs::read_dir(bodies_dir(&db)).unwrap().collect();
        assert_eq!(files.len(), 1, "one file for the document");
        let conn = Connection::open(&db).unwrap();
        let mut read = BodyFiles::new(&conn);
        for (i, a) in articles.iter().enumerate() {
            let Some(body) = &a.unsanitised_body else {
                assert_eq!(i, 7);
                continue;
            };
            let spilled = body.spilled.as_ref().expect("spilled");
            assert!(body.html.is_empty(), "the HTML is no longer held");
            assert_eq!(read.read(&spilled.file, spilled.offset, spilled.length), bodies[i], "body {i}");
        }
    }

    /// Bodies are read a window of the file at a time (`READ_AHEAD`): backwards, across
    /// windows, larger than one, each still reads back whole; past the end of a file cut
    /// short, a body is empty (lost, never a piece of it).
    #[test]
    fn spilled_bodies_read_back_in_any_order_and_never_in_part() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("caliber.db");
        std::fs::write(&db, b"").unwrap();
        let mut bodies: Vec<String> = (0..400).map(|i| format!("<p>Xəbər {i}</p>{}", "y".repeat(i * 7 % 3000))).collect();
        bodies[200] = format!("<p>{}</p>", "большой ".repeat(READ_AHEAD / 8));
        let mut articles: Vec<PreparedArticle> = bodies.iter().enumerate().map(|(i, b)| article(i, b.clone())).collect();
        spill_bodies(&db, &mut articles).unwrap();
        let place = |i: usize| articles[i].unsanitised_body.as_ref().unwrap().spilled.clone().unwrap();
        let conn = Connection::open(&db).unwrap();
        let mut read = BodyFiles::new(&conn);
        for i in (0..bodies.len()).rev().chain([0, 399, 200, 3, 200]) {
            let at = place(i);
            assert_eq!(read.read(&at.file, at.offset, at.length), bodies[i], "body {i}");
        }

        let last = place(399);
        let file = bodies_dir(&db).join(&*last.file);
        std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(last.offset + last.length - 1).unwrap();
        let mut read = BodyFiles::new(&conn);
        assert_eq!(read.read(&last.file, last.offset, last.length), "", "a body cut short is lost whole");
        let first = place(0);
        assert_eq!(read.read(&first.file, first.offset, first.length), bodies[0]);
    }

    /// More bodies than a write batch, an index batch and the workers' read-ahead, a few of
    /// them large (20 MB in all): every body ends up sanitised in its own article and
    /// indexed once, nothing left waiting.
    #[test]
    fn every_waiting_body_is_sanitised_and_indexed_once_whatever_the_batches() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("caliber.db");
        let mut store = Store::open(&db).unwrap();
        let now = chrono::Utc::now();
        let (source, _) = store.add_source("https://news.example/feed.xml", None, now).unwrap();
        const BODIES: usize = 2500;
        // Every 25th is 200 KB: 20 MB in all.
        let mut articles: Vec<PreparedArticle> = (0..BODIES)
            .map(|i| {
                let filler = if i % 25 == 0 { "word ".repeat(40_000) } else { String::new() };
                article(i, format!("<p onclick=\"steal()\">marker{i} {filler}</p><script>steal()</script>"))
            })
            .collect();
        spill_bodies(&db, &mut articles).unwrap();
        let keep_all = crate::model::Retention { max_per_source: None, max_age: None };
        let written = store.write_source(source.id, &super::super::SourceUpdate::default(), &articles, keep_all, now).unwrap();
        assert_eq!(written.new as usize, BODIES);
        assert_eq!(store.sanitize_pending(2).unwrap(), BODIES as u64);

        let conn = store.connection();
        assert_eq!((pending_count(conn).unwrap(), super::super::index::unindexed_count(conn).unwrap()), (0, 0));
        let fts_rows: i64 = conn.query_row("SELECT count(*) FROM articles_fts", [], |r| r.get(0)).unwrap();
        assert_eq!(fts_rows, BODIES as i64, "each article indexed once");
        let mut body_of = conn.prepare("SELECT content_html FROM articles WHERE guid = ?1").unwrap();
        let mut found = conn.prepare("SELECT a.guid FROM articles_fts f JOIN articles a ON a.id = f.rowid WHERE articles_fts MATCH ?1").unwrap();
        for i in 0..BODIES {
            let html: String = body_of.query_row([format!("g{i}")], |r| r.get(0)).unwrap();
            assert!(html.contains(&format!("marker{i} ")) && !html.contains("steal"), "article {i}: {}", &html[..html.len().min(200)]);
            let guids: Vec<String> = found.query_map([format!("body:marker{i}")], |r| r.get(0)).unwrap().map(|g| g.unwrap()).collect();
            assert_eq!(guids, [format!("g{i}")], "searching for article {i}'s word");
        }
        assert!(!bodies_dir(&db).exists(), "the spilled bodies' file is removed once every body is in");
    }

    fn store_with_waiting_bodies(dir: &Path, bodies: Vec<String>) -> (Store, crate::Source) {
        let db = dir.join("caliber.db");
        let mut store = Store::open(&db).unwrap();
        let now = chrono::Utc::now();
        let (source, _) = store.add_source("https://news.example/feed.xml", None, now).unwrap();
        let mut articles: Vec<PreparedArticle> = bodies.into_iter().enumerate().map(|(i, b)| article(i, b)).collect();
        spill_bodies(&db, &mut articles).unwrap();
        let keep_all = crate::model::Retention { max_per_source: None, max_age: None };
        store.write_source(source.id, &super::super::SourceUpdate::default(), &articles, keep_all, now).unwrap();
        (store, source)
    }

    /// Big bodies are read ahead by their bytes, not their number: 512 bodies of 200 KB
    /// would have held 100 MB.
    #[test]
    fn bodies_are_read_ahead_up_to_a_number_of_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let bodies = (0..10).map(|i| format!("<p>{i}</p>{}", "x".repeat(1 << 20))).collect();
        let (store, _) = store_with_waiting_bodies(dir.path(), bodies);
        let mut files = BodyFiles::new(store.connection());
        let read = read_after(store.connection(), &mut files, 0, IN_FLIGHT, 5 << 20).unwrap();
        assert_eq!(read.len(), 5, "5 MB in 1 MB bodies");
        assert_eq!(read_after(store.connection(), &mut files, 0, 3, 5 << 20).unwrap().len(), 3, "or their number");
        let last = read.last().unwrap().0;
        assert_eq!(read_after(store.connection(), &mut files, last, IN_FLIGHT, 1).unwrap().len(), 1, "one at least");
    }

    /// The reader's window loads only pictures a stored article shows (`picture_source`):
    /// a body's are known as soon as the body is, with no pass over the bodies after.
    #[test]
    fn a_sanitised_bodys_pictures_are_linked_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let bodies = (0..300)
            .map(|i| format!("<p>{i}</p><img src=\"https://cdn.example/{i}.jpg\"><img src=\"/rel/{i}.png\"><img src=\"data:image/png;base64,AAAA\">"))
            .collect();
        let (mut store, source) = store_with_waiting_bodies(dir.path(), bodies);
        assert_eq!(store.picture_source("https://cdn.example/7.jpg").unwrap(), None, "not linked before its body is in");
        store.sanitize_pending(2).unwrap();
        for i in 0..300 {
            for url in [format!("https://cdn.example/{i}.jpg"), format!("https://news.example/rel/{i}.png")] {
                assert_eq!(store.picture_source(&url).unwrap().as_deref(), Some(source.url.as_str()), "{url}");
            }
        }
        let links: i64 = store.connection().query_row("SELECT count(*) FROM article_images", [], |r| r.get(0)).unwrap();
        assert_eq!(links, 600, "two web pictures a body; the data: one is not linked");
    }

    /// Indexing that fails partway (here its table is gone) costs the sync its index, not
    /// its bodies: every one is sanitised and in, and the articles wait for `index_pending`.
    #[test]
    fn a_failing_index_leaves_every_body_sanitised() {
        let dir = tempfile::tempdir().unwrap();
        const BODIES: usize = 1500;
        let bodies = (0..BODIES).map(|i| format!("<p onclick=\"steal()\">marker{i}</p><script>steal()</script>")).collect();
        let (mut store, _) = store_with_waiting_bodies(dir.path(), bodies);
        store.connection().execute_batch("DROP TABLE articles_fts").unwrap();
        let counted = store.sanitize_pending(2).unwrap();
        let conn = store.connection();
        assert_eq!(pending_count(conn).unwrap(), 0, "no body left waiting");
        assert_eq!(super::super::index::unindexed_count(conn).unwrap(), BODIES as i64, "every article still queued for the index");
        let mut body_of = conn.prepare("SELECT content_html FROM articles WHERE guid = ?1").unwrap();
        for i in 0..BODIES {
            let html: Option<String> = body_of.query_row([format!("g{i}")], |r| r.get(0)).unwrap();
            assert_eq!(html.as_deref(), Some(format!("<p>marker{i}</p>").as_str()), "article {i}");
        }
        assert_eq!(counted, BODIES as u64, "each body counted once");
    }
}
