use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Core(#[from] caliber_core::Error),
    #[error("relay database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("relay database {path}: schema version {found} is newer than this relay knows ({known})")]
    SchemaTooNew { path: PathBuf, found: u32, known: u32 },
    #[error("relay migration {version} failed: {source}")]
    Migration { version: u32, source: rusqlite::Error },
    #[error("relay database (PostgreSQL): {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// Connecting failed; the message carries every cause ("connection refused", …).
    #[error("relay database (PostgreSQL): {0}")]
    PgConnect(String),
    #[error("relay database (PostgreSQL): schema version {found} is newer than this relay knows ({known})")]
    PgSchemaTooNew { found: u32, known: u32 },
    #[error("relay migration {version} (PostgreSQL) failed: {source}")]
    PgMigration { version: u32, source: tokio_postgres::Error },
    /// Another relay process took the poller's lock: this one must not record or send.
    #[error("this relay no longer holds the poller lock; another relay polls")]
    NotPoller,
    #[error("{what}: {message}")]
    Config { what: &'static str, message: String },
    #[error("cannot read {path}: {source}")]
    ReadFile { path: PathBuf, source: std::io::Error },
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

impl From<deadpool_postgres::PoolError> for RelayError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        RelayError::PgConnect(with_causes(&e))
    }
}

/// An error and its sources, "a: b: c" (the driver's own message leaves out the cause).
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = cause.source();
    }
    text
}

pub type Result<T, E = RelayError> = std::result::Result<T, E>;

/// Why one push was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// 404/410 (or APNs "BadDeviceToken"/"Unregistered"): the subscription is gone for good.
    #[error("subscription gone ({status})")]
    Gone { status: u16 },
    #[error("rejected with {status}: {body}")]
    Rejected { status: u16, body: String },
    #[error("still failing after {attempts} attempts: {last}")]
    GaveUp { attempts: u32, last: String },
    #[error("not tried: {origin} failed {failures} deliveries in a row in this fan-out")]
    ServiceDown { origin: String, failures: u32 },
    #[error("cannot build the request: {0}")]
    Build(String),
    #[error("authorization: {0}")]
    Auth(String),
}
