use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// caliber-relay: breaking news for readers whose app is closed.
///
/// Polls the site's editions with caliber-core every --interval (conditional GET, as the app
/// does), runs the app's breaking-news policy per edition (the first poll is a baseline; no
/// story is announced twice, across editions or restarts; at most --max-per-hour alerts per
/// edition, the rest as one summary) and hands each alert to the push services:
///
///   Web Push (RFC 8030/8291/8292): browsers and UnifiedPush on Android. On by default; the
///     VAPID key is made on first run and kept in the database (GET /v1/vapid-public-key).
///   FCM HTTP v1: one topic message ("caliber-<edition>") per breaking story, with
///     --fcm-service-account.
///   APNs (token auth): one request per subscribed device, with --apns-key and its ids.
///
/// Subscription API (JSON, bodies up to 8 KiB, --api-rate-per-minute per client address):
///
///   POST   /v1/subscriptions        {"webPush": {"endpoint", "keys": {"p256dh", "auth"}}
///                                    | "apns": {"deviceToken"}, "editions": ["ru"],
///                                    "sections": [], "keywords": [],
///                                    "quietHours": {"start": "22:00", "end": "07:00",
///                                    "timeZone": "Asia/Baku"}}  -> 201 {"id", ...}
///   GET    /v1/subscriptions/ID     the stored preferences
///   PUT    /v1/subscriptions/ID     {"editions", "sections", "keywords", "quietHours"}
///   DELETE /v1/subscriptions/ID     -> 204
///   GET    /v1/vapid-public-key, /v1/editions, /healthz
///   GET    /v1/status               {"database": "sqlite"|"postgres", "polling": bool}
///
/// Storage: SQLite (--db) for one relay; PostgreSQL (--database postgres://…) for several
/// relays behind one address: they share the subscriptions and the alert history, and
/// exactly one of them polls the site (the others stand by and take over within one
/// --interval when it dies).
///
/// Nothing about a reader is stored beyond the push endpoint (or device token), its keys and
/// the preferences above. A subscription whose push service answers 404/410 is removed.
#[derive(Debug, Clone, Parser)]
#[command(name = "caliber-relay", version, verbatim_doc_comment)]
pub struct Config {
    /// The SQLite file: the core's copy of the site and, without --database, the relay's
    /// subscriptions and alert history too. With --database, each process needs its own.
    #[arg(long, default_value = "caliber-relay.db", env = "CALIBER_RELAY_DB")]
    pub db: PathBuf,
    /// A PostgreSQL database shared by several relay processes, as a URL:
    /// postgres://USER:PASSWORD@HOST:PORT/DATABASE (TLS by rustls with the system's roots,
    /// off with ?sslmode=disable). Prefer the environment variable: a password on the
    /// command line is visible to the host's other users. Subscriptions, the alert history,
    /// the baseline and the VAPID key live there; exactly one process polls at a time (an
    /// advisory lock), and if it dies another takes over within one --interval. Without it:
    /// SQLite in --db, one process.
    #[arg(long, env = "CALIBER_RELAY_DATABASE", value_parser = database_url)]
    pub database: Option<String>,
    /// Address the subscription API listens on.
    #[arg(long, default_value = "127.0.0.1:8780")]
    pub listen: SocketAddr,
    /// The site whose editions are polled (the fixture site: http://127.0.0.1:8765/).
    #[arg(long, default_value = "https://caliber.az/")]
    pub site: url::Url,
    /// Editions to poll, comma-separated (default: every edition of the site).
    #[arg(long, value_delimiter = ',')]
    pub editions: Vec<String>,
    /// Seconds between polls.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub interval: u64,
    /// Alerts per edition per hour; the rest come later as one summary.
    #[arg(long, default_value_t = 4)]
    pub max_per_hour: u32,
    /// Stories older than this never alert.
    #[arg(long, default_value_t = 180)]
    pub max_age_minutes: u32,
    /// API requests per minute per client address (counted by each relay process).
    #[arg(long, default_value_t = 30)]
    pub api_rate_per_minute: u32,
    /// Push requests in flight at once.
    #[arg(long, default_value_t = 64)]
    pub push_concurrency: usize,
    /// Attempts per push request (429 and 5xx are retried with backoff).
    #[arg(long, default_value_t = 4)]
    pub push_attempts: u32,
    /// First backoff between attempts, in milliseconds (doubles each time).
    #[arg(long, default_value_t = 500)]
    pub push_backoff_ms: u64,
    /// The VAPID contact (RFC 8292 "sub"), a mailto: or https: URL.
    #[arg(long, default_value = "mailto:relay@caliber.invalid")]
    pub vapid_subject: String,
    /// Accept plain-http Web Push endpoints (local tests, a distributor on the same host).
    #[arg(long)]
    pub allow_http_endpoints: bool,
    /// A Google service-account key file (JSON): enables FCM topic messages.
    #[arg(long)]
    pub fcm_service_account: Option<PathBuf>,
    /// FCM's base URL (a local stand-in in tests).
    #[arg(long, default_value = crate::push::fcm::DEFAULT_ENDPOINT)]
    pub fcm_endpoint: String,
    /// An APNs auth key (.p8): enables APNs, with --apns-key-id, --apns-team-id, --apns-topic.
    #[arg(long, requires_all = ["apns_key_id", "apns_team_id", "apns_topic"])]
    pub apns_key: Option<PathBuf>,
    #[arg(long)]
    pub apns_key_id: Option<String>,
    #[arg(long)]
    pub apns_team_id: Option<String>,
    /// The iOS app's bundle id.
    #[arg(long)]
    pub apns_topic: Option<String>,
    /// APNs base URL (https://api.sandbox.push.apple.com for development builds).
    #[arg(long, default_value = crate::push::apns::DEFAULT_ENDPOINT)]
    pub apns_endpoint: String,
}

fn database_url(url: &str) -> Result<String, String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(url.to_owned())
    } else {
        Err("a PostgreSQL URL: postgres://user:password@host:port/database (without --database the relay uses SQLite in --db)".into())
    }
}

impl Config {
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval)
    }
}
