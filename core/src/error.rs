//! Typed errors of the core. The shell maps these to its `{kind, message}` IPC error.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Db(rusqlite::Error),
    /// SQLite could not write (SQLITE_FULL) or a file could not grow (ENOSPC). The write
    /// that hit it rolled back; everything committed before is intact.
    #[error("the disk is full: the database could not be written; free some space and sync again (nothing stored before was lost)")]
    DiskFull,
    #[error("cannot open the database at {path}: {source}")]
    OpenDb { path: PathBuf, source: rusqlite::Error },
    /// `message` is SQLite's alone: rusqlite's own error would quote the whole SQL file.
    #[error("database migration {version:04} (migrations/{version:04}_*.sql) failed: {message}")]
    Migration { version: u32, message: String },
    #[error("the database was written by a newer Caliber Reader (schema {found}, this build knows {known})")]
    SchemaTooNew { found: u32, known: u32 },
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("no article with id {0}")]
    ArticleNotFound(i64),
    #[error("no edition {0:?}; known: ru, en, az")]
    UnknownEdition(String),
    #[error("not an OPML file: {0}")]
    Opml(String),
    #[error("no source with URL {0}")]
    SourceNotFound(String),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The push relay answered a subscription request with an error (`{"error": …}`).
    #[error("the push relay refused the request ({status} from {url}): {message}")]
    RelayRefused { url: String, status: u16, message: String },
    #[error("I/O error: {0}")]
    Io(std::io::Error),
    #[error("the sync was interrupted: {0}")]
    SyncAborted(String),
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) { Error::DiskFull } else { Error::Db(e) }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::StorageFull { Error::DiskFull } else { Error::Io(e) }
    }
}

impl Error {
    /// Nothing more can be written until space is freed: a sync stops at this error.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, Error::DiskFull)
    }
}

/// Why fetching a URL failed. Messages are shown to readers, so they say what happened.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("HTTP {status} {reason} from {url}")]
    Status { url: String, status: u16, reason: String },
    #[error("could not connect to {url}: {message}")]
    Connect { url: String, message: String },
    #[error("timed out after {seconds} s fetching {url}")]
    Timeout { url: String, seconds: u64 },
    #[error("response from {url} exceeds the {limit_bytes}-byte limit; stopped reading")]
    TooLarge { url: String, limit_bytes: u64 },
    #[error("too many redirects from {url}")]
    TooManyRedirects { url: String },
    /// `status`: 429 (rate limited) or a 5xx (unavailable).
    #[error("{} {url} (HTTP {status}): asked to retry after {seconds} s; giving up for this sync", if *status == 429 { "rate limited by" } else { "unavailable:" })]
    RetryLater { url: String, status: u16, seconds: u64 },
    #[error("network error fetching {url}: {message}")]
    Network { url: String, message: String },
    /// A fetch a feed asked for that the reader did not (see `HttpClient::get_derived`).
    #[error("not fetched: {url}: {reason}")]
    Refused { url: String, reason: String },
}

/// Why a fetched document could not be read as a feed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("not a feed: {url} returned an HTML page")]
    HtmlNotFeed { url: String },
    #[error("the feed at {url} is truncated (no closing </{root}>)")]
    Truncated { url: String, root: String },
    #[error("the feed at {url} is malformed: {message}")]
    Malformed { url: String, message: String },
    #[error("the response from {url} is empty")]
    Empty { url: String },
    #[error("the page at {url} no longer matches `{selector}`: the site's layout may have changed")]
    LayoutChanged { url: String, selector: String },
}

/// Why one source's sync failed; the other sources carry on. It becomes text once, where it
/// is recorded on the source and reported.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Store(#[from] Error),
    #[error("not a feed: {page} is a web page that announces no feed (<link rel=\"alternate\">)")]
    NoFeedAnnounced { page: String },
    #[error("the page announces {feed}, but: {source}")]
    AnnouncedFeedFailed { feed: String, source: FetchError },
    #[error("{url}: unexpected 304")]
    UnexpectedNotModified { url: String },
    #[error("gave up on {url} after {seconds} s (the deadline of one source); the next sync tries again")]
    PastDeadline { url: String, seconds: u64 },
    #[error("{count} article pages could not be read; first: {first}")]
    PagesUnreadable { count: usize, first: Box<SourceError> },
    /// A worker thread panicked or was cancelled.
    #[error("internal error: {0}")]
    Worker(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_named_as_such() {
        let full = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL), None);
        let e = Error::from(full);
        assert!(e.is_disk_full());
        assert!(e.to_string().starts_with("the disk is full"), "{e}");
        let enospc = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert!(Error::from(enospc).is_disk_full());
        let busy = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY), None);
        assert!(matches!(Error::from(busy), Error::Db(_)));
    }
}
