//! SQLite storage: schema migrations, sources, articles, reader state and the full-text
//! index. One `Store` per connection; the sync writer owns one, readers open their own
//! (WAL lets them read while a sync writes). Every write transaction is IMMEDIATE: a
//! deferred one that read first cannot upgrade while another connection writes, and
//! fails with "database is locked" whatever the busy timeout.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Error, Result};
use crate::model::SearchHit;

mod articles;
mod fts_rank;
mod fts_tokenizer;
mod images;
mod index;
mod notifications;
mod pending;
mod reader_state;
mod rows;
pub(crate) mod search;
mod settings;
mod snippet;
mod sources;
mod stories;

pub use articles::SourceUpdate;
pub(crate) use pending::spill_bodies;

/// Append-only: never edit a migration that has landed; add the next number.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("migrations/0001_init.sql")),
    (2, include_str!("migrations/0002_images.sql")),
    (3, include_str!("migrations/0003_settings.sql")),
    (4, include_str!("migrations/0004_notifications.sql")),
    (5, include_str!("migrations/0005_index_queue.sql")),
    (6, include_str!("migrations/0006_keep_saved.sql")),
    (7, include_str!("migrations/0007_pending_bodies.sql")),
    (8, include_str!("migrations/0008_time_index_covers_editions.sql")),
    (9, include_str!("migrations/0009_pending_bodies_in_files.sql")),
    (10, include_str!("migrations/0010_contentless_index.sql")),
    (11, include_str!("migrations/0011_thumbnails.sql")),
    (12, include_str!("migrations/0012_index_without_positions.sql")),
];

pub const SCHEMA_VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

pub struct Store {
    conn: Connection,
}

/// WAL bytes written before a commit copies them into the database (SQLite's default is
/// 1,000 pages, 4 MB). A sync writes hundreds of MB: fewer, larger checkpoints copy each
/// page fewer times. 10,000 pages of 4 KiB, measured so; the same bytes at any page size.
const WAL_CHECKPOINT_BYTES: u32 = 10_000 * 4096;

/// The page size of a new database (SQLite's default is 4 KiB). A body, 6 KiB of sanitised
/// HTML on average, fits in one page instead of spilling into an overflow page, and a sync
/// writes every page twice (the WAL, then the checkpoint), each frame its own system calls
/// and checksum: at 8 KiB a cold sync of 2,000 articles took 1–2 % less CPU on one CPU,
/// for a file 9 % larger (BENCHMARKS.md, "8 KiB pages"). A database keeps the size it was
/// made with (WAL mode cannot change it), so older ones stay at 4 KiB.
const NEW_DATABASE_PAGE_SIZE: u32 = 8192;

/// SQLite's message for a failed statement, without the SQL text rusqlite adds to it.
fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqlInputError { msg, .. } | rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        other => other.to_string(),
    }
}

/// How many tokens the index's tokenizer makes of `texts`: the table tokenizer
/// (`fts_tokenizer.rs`) or FTS5's builtin `unicode61` (the text bench compares the two).
pub(crate) fn count_index_tokens(table_tokenizer: bool, texts: &[&str]) -> rusqlite::Result<usize> {
    let conn = Connection::open_in_memory()?;
    if table_tokenizer {
        fts_rank::register(&conn)?;
    }
    let tokenizer = fts_rank::Tokenizer::new(&conn)?;
    let mut count = 0;
    for text in texts {
        tokenizer.document_tokens(text, &mut |_, _, _| count += 1)?;
    }
    Ok(count)
}

pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// A long TEXT column (a body): its UTF-8 checked with SIMD, where rusqlite's `get::<String>`
/// checks with the standard library's (reading bodies back was 2–4 % of a cold sync's CPU,
/// BENCHMARKS.md). Anything else, invalid UTF-8 included, is rusqlite's to read and refuse.
fn long_text(row: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<Option<String>> {
    if let rusqlite::types::ValueRef::Text(bytes) = row.get_ref(column)?
        && let Ok(text) = simdutf8::basic::from_utf8(bytes)
    {
        return Ok(Some(text.to_owned()));
    }
    row.get(column)
}

fn from_ts(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

/// See `Store::write_tx`; for the parts of the store that hold a bare connection.
/// How long a connection waits for another's write lock before "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

fn write_tx(conn: &Connection) -> Result<Transaction<'_>> {
    Ok(Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?)
}

/// SQL condition on `articles`: the reader has not saved it.
const NOT_SAVED: &str = "NOT EXISTS (SELECT 1 FROM article_state st WHERE st.article_id = articles.id AND st.saved = 1)";

impl Store {
    /// Open (creating if needed) and migrate the database at `path`. After an upgrade, the
    /// articles a migration queued for the index (0012 queues every one) are indexed before
    /// it returns, so a search finds what it found before at once: 5 s (6.5 s of CPU) at
    /// 100,000 articles, once (BENCHMARKS.md, "an index without positions"). A failure
    /// leaves them queued for the next sync, which reports it.
    pub fn open(path: &Path) -> Result<Self> {
        let (mut store, upgraded) = Self::open_and_migrate(path)?;
        if upgraded {
            let _ = store.index_pending();
        }
        Ok(store)
    }

    /// `open`, leaving what an upgrade queued for the index to the caller's `index_pending`
    /// (the app's, once its window shows: see `CoreConfig::index_at_open`).
    pub fn open_leaving_index(path: &Path) -> Result<Self> {
        Ok(Self::open_and_migrate(path)?.0)
    }

    /// The store, and whether migrations upgraded an existing database.
    fn open_and_migrate(path: &Path) -> Result<(Self, bool)> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let conn = Connection::open(path).map_err(|source| Error::OpenDb { path: path.into(), source })?;
        let mut store = Self { conn };
        store.configure()?;
        let upgraded = store.migrate()?;
        Ok((store, upgraded))
    }

    /// A read-only connection to an already migrated database.
    pub fn open_read_only(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|source| Error::OpenDb { path: path.into(), source })?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        fts_rank::register(&conn)?;
        Ok(Self { conn })
    }

    fn configure(&mut self) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // Before anything is written: it only sizes a database not yet made.
        self.conn.pragma_update(None, "page_size", NEW_DATABASE_PAGE_SIZE)?;
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        let page_size: u32 = self.conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
        self.conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_BYTES / page_size.max(512))?;
        // Writing one source takes about 15 statements, each kept prepared (rusqlite keeps 16
        // by default): re-preparing retention's four for every source was 2 % of a cold
        // sync's listing (BENCHMARKS.md, issue 15).
        self.conn.set_prepared_statement_cache_capacity(64);
        // The search's ranking and snippet-column functions.
        fts_rank::register(&self.conn)?;
        Ok(())
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Whether it upgraded an existing database (not a new one, nor a current one).
    fn migrate(&mut self) -> Result<bool> {
        let current = self.schema_version()?;
        if current > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew { found: current, known: SCHEMA_VERSION });
        }
        for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            let tx = self.write_tx()?;
            tx.execute_batch(sql).map_err(|e| Error::Migration { version, message: sqlite_message(&e) })?;
            tx.pragma_update(None, "user_version", version)?;
            tx.commit()?;
        }
        Ok(current != 0 && current < SCHEMA_VERSION)
    }

    /// The one way to open a write transaction: IMMEDIATE takes the write lock up front, so
    /// a transaction that reads first can never fail to upgrade while another connection
    /// writes ("database is locked" whatever the busy timeout).
    fn write_tx(&self) -> Result<Transaction<'_>> {
        write_tx(&self.conn)
    }

    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        search::search(&self.conn, query, limit)
    }

    /// Index the articles stored since the last call (`write_source` only queues them).
    pub fn index_pending(&mut self) -> Result<u64> {
        index::index_pending(&self.conn)
    }

    /// Stored articles search cannot find yet.
    pub fn unindexed_count(&self) -> Result<i64> {
        index::unindexed_count(&self.conn)
    }

    #[doc(hidden)]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}
