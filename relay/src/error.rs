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
    #[error("{what}: {message}")]
    Config { what: &'static str, message: String },
    #[error("cannot read {path}: {source}")]
    ReadFile { path: PathBuf, source: std::io::Error },
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
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
    #[error("cannot build the request: {0}")]
    Build(String),
    #[error("authorization: {0}")]
    Auth(String),
}
