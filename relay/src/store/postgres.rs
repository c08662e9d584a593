//! The relay's state in PostgreSQL, shared by several relay processes. Every process serves
//! the API from a small connection pool; exactly one polls: the one whose dedicated session
//! holds the advisory lock `POLLER_LOCK`. The lock belongs to the session, so when that
//! process dies its connection closes and the lock is free; the others try for it on every
//! tick, so one of them takes over within one interval. The plan is written through that same
//! session after checking the lock is still held: a process that lost it records nothing, and
//! so sends nothing.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use caliber_core::notify::{History, Plan};
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Config as PgConfig, NoTls, Row};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{Arrival, Kind, NewSubscription, Prefs, QuietHours, STORY_WINDOW_HOURS, Subscription};
use crate::error::{RelayError, Result};

const MIGRATIONS: &[(u32, &str)] = &[(1, include_str!("../../migrations/postgres/0001_init.sql"))];
pub const PG_SCHEMA_VERSION: u32 = 1;

/// Held for a whole session by the one process that polls ("caliber" + 1).
const POLLER_LOCK: i64 = 0x6361_6c69_6265_7201;
/// Held for one transaction while migrating, so processes starting together migrate once.
const MIGRATION_LOCK: i64 = 0x6361_6c69_6265_7202;
/// Articles seen longer ago than this are forgotten: they are past any alert's age limit.
const SEEN_DAYS: i64 = 7;
/// The poller session holds no other advisory lock, so any granted one is `POLLER_LOCK`.
const HOLDS_LOCK: &str = "SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted";

const SUBSCRIPTION_COLUMNS: &str =
    "id, kind, endpoint, p256dh, auth, editions, sections, keywords, quiet_start, quiet_end, time_zone, held";

#[derive(Clone)]
enum Tls {
    Off,
    Rustls(MakeRustlsConnect),
}

pub struct PgStore {
    pool: Pool,
    config: PgConfig,
    tls: Tls,
    /// The poller's session (`None` until opened, or after it broke).
    session: tokio::sync::Mutex<Option<Client>>,
    leading: AtomicBool,
    /// This process among the relays sharing the database: its own events come back to it
    /// through `LISTEN` too, and are already on its streams.
    origin: u64,
}

/// The channel the poller announces each streamed story on, for every relay's `/v1/events`.
const EVENTS_CHANNEL: &str = "caliber_relay_events";
/// PostgreSQL refuses a `NOTIFY` payload of 8,000 bytes or more.
const MAX_NOTIFY_PAYLOAD: usize = 7_900;

/// A story as it travels between relays: the stream's event and its id.
#[derive(serde::Serialize, serde::Deserialize)]
struct PeerEvent {
    origin: u64,
    id: u64,
    event: crate::sse::StoryEvent,
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn subscription_row(r: &Row) -> Subscription {
    let kind: String = r.get(1);
    let quiet = match (r.get::<_, Option<String>>(8), r.get::<_, Option<String>>(9), r.get::<_, Option<String>>(10)) {
        (Some(start), Some(end), Some(time_zone)) => Some(QuietHours { start, end, time_zone }),
        _ => None,
    };
    Subscription {
        id: r.get(0),
        kind: if kind == "apns" { Kind::Apns } else { Kind::Webpush },
        endpoint: r.get(2),
        p256dh: r.get(3),
        auth: r.get(4),
        prefs: Prefs { editions: r.get(5), sections: r.get(6), keywords: r.get(7), quiet_hours: quiet },
        held: r.get::<_, i32>(11).max(0) as u32,
    }
}

fn count(row: &Row) -> u32 {
    row.get::<_, i64>(0).clamp(0, i64::from(u32::MAX)) as u32
}

impl PgStore {
    /// Connect to `url` (`postgres://user:password@host:port/database?sslmode=…`), migrate.
    /// TLS is rustls with the system's roots unless `sslmode=disable`.
    pub async fn connect(url: &str) -> Result<Self> {
        let mut config =
            PgConfig::from_str(url).map_err(|e| RelayError::Config { what: "--database", message: e.to_string() })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        // The client notices a vanished server within a minute, not after two hours.
        config.keepalives_idle(Duration::from_secs(30));
        config.application_name("caliber-relay");
        let tls = if config.get_ssl_mode() == SslMode::Disable {
            Tls::Off
        } else {
            use rustls_platform_verifier::ConfigVerifierExt;
            let client = rustls::ClientConfig::with_platform_verifier()
                .map_err(|e| RelayError::Config { what: "--database", message: format!("TLS: {e}") })?;
            Tls::Rustls(MakeRustlsConnect::new(client))
        };
        let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
        let manager = match &tls {
            Tls::Off => Manager::from_config(config.clone(), NoTls, manager_config),
            Tls::Rustls(make) => Manager::from_config(config.clone(), make.clone(), manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| RelayError::Config { what: "--database", message: e.to_string() })?;
        let store = Self {
            pool,
            config,
            tls,
            session: tokio::sync::Mutex::new(None),
            leading: AtomicBool::new(false),
            origin: rand::random(),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        Ok(self.pool.get().await?)
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS relay_schema (version INTEGER PRIMARY KEY)").await?;
        let current: i32 = tx.query_one("SELECT coalesce(max(version), 0) FROM relay_schema", &[]).await?.get(0);
        let current = current.max(0) as u32;
        if current > PG_SCHEMA_VERSION {
            return Err(RelayError::PgSchemaTooNew { found: current, known: PG_SCHEMA_VERSION });
        }
        for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.batch_execute(sql).await.map_err(|source| RelayError::PgMigration { version, source })?;
            tx.execute("INSERT INTO relay_schema (version) VALUES ($1)", &[&(version as i32)]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn schema_version(&self) -> Result<u32> {
        let v: i32 = self.client().await?.query_one("SELECT max(version) FROM relay_schema", &[]).await?.get(0);
        Ok(v.max(0) as u32)
    }

    /// Tell the other relays about a story this one streamed (`follow_events` hears it).
    pub async fn share_event(&self, event: &crate::sse::StoryEvent) -> Result<()> {
        let payload = serde_json::to_string(&PeerEvent { origin: self.origin, id: event.id, event: event.clone() })
            .map_err(|e| RelayError::Config { what: "event", message: e.to_string() })?;
        if payload.len() > MAX_NOTIFY_PAYLOAD {
            caliber_core::log_line!("caliber-relay: a story of {} bytes is too long to share with the other relays' streams", payload.len());
            return Ok(());
        }
        self.client().await?.execute("SELECT pg_notify($1, $2)", &[&EVENTS_CHANNEL, &payload]).await?;
        Ok(())
    }

    /// Stream the stories the other relays share onto `hub`, for as long as the process
    /// runs: a session of its own that `LISTEN`s, opened again (after 1, 2, 4 … 30 s) when it
    /// breaks. A story shared while this one was reconnecting is not streamed here; a
    /// client's own poll covers that gap, as after a relay's restart.
    pub async fn follow_events(&self, hub: std::sync::Arc<crate::sse::Hub>) {
        let mut wait = Duration::from_secs(1);
        loop {
            match self.listen_once(&hub).await {
                Ok(()) => wait = Duration::from_secs(1),
                Err(e) => caliber_core::log_line!("caliber-relay: the other relays' stories: {e}; listening again in {} s", wait.as_secs()),
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(30));
        }
    }

    async fn listen_once(&self, hub: &crate::sse::Hub) -> Result<()> {
        match &self.tls {
            Tls::Off => {
                let (client, connection) = self.config.connect(NoTls).await?;
                self.drive_listener(client, connection, hub).await
            }
            Tls::Rustls(make) => {
                let (client, connection) = self.config.connect(make.clone()).await?;
                self.drive_listener(client, connection, hub).await
            }
        }
    }

    async fn drive_listener<S, T>(
        &self,
        client: Client,
        mut connection: tokio_postgres::Connection<S, T>,
        hub: &crate::sse::Hub,
    ) -> Result<()>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
        T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        use futures_util::StreamExt;
        // The connection yields notifications only while it is polled here; the LISTEN
        // itself goes out on the client, answered through that same connection.
        let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
        let messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        let pump = messages.for_each(move |message| {
            let _ = sender.send(message);
            async {}
        });
        let pumping = tokio::spawn(pump);
        let listened = client.batch_execute(&format!("LISTEN {EVENTS_CHANNEL}")).await;
        if let Err(e) = listened {
            pumping.abort();
            return Err(e.into());
        }
        while let Some(message) = received.recv().await {
            match message {
                Ok(tokio_postgres::AsyncMessage::Notification(n)) => match serde_json::from_str::<PeerEvent>(n.payload()) {
                    Ok(peer) if peer.origin == self.origin => {}
                    Ok(peer) => {
                        let mut event = peer.event;
                        event.id = peer.id;
                        hub.relay_from_peer(event);
                    }
                    Err(e) => caliber_core::log_line!("caliber-relay: an unreadable story from another relay: {e}"),
                },
                Ok(_) => {}
                Err(e) => {
                    pumping.abort();
                    return Err(e.into());
                }
            }
        }
        pumping.abort();
        Ok(())
    }

    /// A session of its own for the poller's lock (never from the pool: the lock must live
    /// exactly as long as this connection).
    async fn open_session(&self) -> Result<Client> {
        let client = match &self.tls {
            Tls::Off => {
                let (client, connection) = self.config.connect(NoTls).await?;
                tokio::spawn(connection);
                client
            }
            Tls::Rustls(make) => {
                let (client, connection) = self.config.connect(make.clone()).await?;
                tokio::spawn(connection);
                client
            }
        };
        // The server notices a vanished poller host within ~25 s and frees the lock (with
        // a process that dies, the kernel closes the socket and the lock is free at once).
        client.batch_execute("SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3").await?;
        Ok(client)
    }

    pub fn leading(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
    }

    /// Hold the poller's lock, or take it if it is free. `false`: another process polls.
    pub async fn try_lead(&self) -> Result<bool> {
        let mut session = self.session.lock().await;
        if session.as_ref().is_some_and(Client::is_closed) {
            *session = None;
            self.leading.store(false, Ordering::SeqCst);
        }
        if session.is_none() {
            *session = Some(self.open_session().await.map_err(|e| match e {
                RelayError::Postgres(e) => RelayError::PgConnect(crate::error::with_causes(&e)),
                other => other,
            })?);
        }
        let Some(client) = session.as_ref() else { return Ok(false) };
        let answer = if self.leading() {
            client.query_one(HOLDS_LOCK, &[]).await
        } else {
            client.query_one("SELECT pg_try_advisory_lock($1)", &[&POLLER_LOCK]).await
        };
        match answer {
            Ok(row) => {
                let lead: bool = row.get(0);
                self.leading.store(lead, Ordering::SeqCst);
                Ok(lead)
            }
            Err(e) => {
                // A broken session holds nothing; the next tick opens a new one.
                *session = None;
                self.leading.store(false, Ordering::SeqCst);
                Err(e.into())
            }
        }
    }

    // ---- subscriptions ----

    pub async fn subscribe(&self, id: &str, new: &NewSubscription) -> Result<()> {
        let quiet = new.prefs.quiet_hours.as_ref();
        self.client()
            .await?
            .execute(
                "INSERT INTO relay_subscriptions (id, kind, endpoint, p256dh, auth, editions, sections, keywords, quiet_start, quiet_end, time_zone)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (endpoint) DO UPDATE SET id = excluded.id, kind = excluded.kind, p256dh = excluded.p256dh,
                   auth = excluded.auth, editions = excluded.editions, sections = excluded.sections, keywords = excluded.keywords,
                   quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, time_zone = excluded.time_zone, held = 0",
                &[
                    &id,
                    &new.kind.as_str(),
                    &new.endpoint,
                    &new.p256dh,
                    &new.auth,
                    &new.prefs.editions,
                    &new.prefs.sections,
                    &new.prefs.keywords,
                    &quiet.map(|q| &q.start),
                    &quiet.map(|q| &q.end),
                    &quiet.map(|q| &q.time_zone),
                ],
            )
            .await?;
        Ok(())
    }

    pub async fn update(&self, id: &str, prefs: &Prefs) -> Result<bool> {
        let quiet = prefs.quiet_hours.as_ref();
        let changed = self
            .client()
            .await?
            .execute(
                "UPDATE relay_subscriptions SET editions = $2, sections = $3, keywords = $4, quiet_start = $5, quiet_end = $6, time_zone = $7
                 WHERE id = $1",
                &[
                    &id,
                    &prefs.editions,
                    &prefs.sections,
                    &prefs.keywords,
                    &quiet.map(|q| &q.start),
                    &quiet.map(|q| &q.end),
                    &quiet.map(|q| &q.time_zone),
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    pub async fn unsubscribe(&self, id: &str) -> Result<bool> {
        Ok(self.client().await?.execute("DELETE FROM relay_subscriptions WHERE id = $1", &[&id]).await? == 1)
    }

    pub async fn remove_endpoint(&self, endpoint: &str) -> Result<bool> {
        Ok(self.client().await?.execute("DELETE FROM relay_subscriptions WHERE endpoint = $1", &[&endpoint]).await? == 1)
    }

    pub async fn subscription(&self, id: &str) -> Result<Option<Subscription>> {
        let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM relay_subscriptions WHERE id = $1");
        Ok(self.client().await?.query_opt(&sql, &[&id]).await?.as_ref().map(subscription_row))
    }

    pub async fn subscription_count(&self) -> Result<i64> {
        Ok(self.client().await?.query_one("SELECT count(*) FROM relay_subscriptions", &[]).await?.get(0))
    }

    pub async fn subscribers_of(&self, edition: &str) -> Result<Vec<Subscription>> {
        let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM relay_subscriptions WHERE editions @> ARRAY[$1::text]");
        Ok(self.client().await?.query(&sql, &[&edition]).await?.iter().map(subscription_row).collect())
    }

    pub async fn with_held(&self) -> Result<Vec<Subscription>> {
        let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM relay_subscriptions WHERE held > 0");
        Ok(self.client().await?.query(&sql, &[]).await?.iter().map(subscription_row).collect())
    }

    pub async fn add_held(&self, ids: &[&str]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.client().await?.execute("UPDATE relay_subscriptions SET held = held + 1 WHERE id = ANY($1)", &[&ids]).await?;
        Ok(())
    }

    pub async fn clear_held(&self, id: &str) -> Result<()> {
        self.client().await?.execute("UPDATE relay_subscriptions SET held = 0 WHERE id = $1", &[&id]).await?;
        Ok(())
    }

    pub async fn interests(&self, edition: &str) -> Result<(Vec<String>, Vec<String>)> {
        let client = self.client().await?;
        let mut union = Vec::new();
        for column in ["sections", "keywords"] {
            let sql = format!(
                "SELECT DISTINCT lower(w) FROM relay_subscriptions, unnest({column}) AS w WHERE editions @> ARRAY[$1::text] ORDER BY 1"
            );
            union.push(client.query(&sql, &[&edition]).await?.iter().map(|r| r.get(0)).collect::<Vec<String>>());
        }
        let keywords = union.pop().unwrap_or_default();
        let sections = union.pop().unwrap_or_default();
        Ok((sections, keywords))
    }

    // ---- the baseline and the policy's history ----

    /// Which arrivals are a baseline, from what every relay process saw (see `Arrival`):
    /// a source no relay has synced yet is a baseline; an article another process already
    /// saw is not news (unless it came back as news here: then the core's answer stands);
    /// an article none saw, from a source already synced, is news.
    pub async fn settle_baselines(&self, arrivals: &mut [Arrival]) -> Result<()> {
        if arrivals.is_empty() {
            return Ok(());
        }
        let client = self.client().await?;
        let urls: Vec<&str> = arrivals.iter().map(|a| a.source_url.as_str()).collect::<HashSet<_>>().into_iter().collect();
        let known: HashSet<String> =
            client.query("SELECT url FROM relay_sources WHERE url = ANY($1)", &[&urls]).await?.iter().map(|r| r.get(0)).collect();
        let keys: Vec<&str> = arrivals.iter().map(|a| a.key.as_str()).collect();
        let seen: HashMap<String, bool> = client
            .query("SELECT article, baseline FROM relay_seen WHERE article = ANY($1)", &[&keys])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        for a in arrivals.iter_mut() {
            let here = a.candidate.baseline;
            a.candidate.baseline = match (known.contains(&a.source_url), seen.get(&a.key)) {
                (false, _) => true,
                (true, Some(&was)) => was || here,
                (true, None) => here && !a.first_sync,
            };
        }
        Ok(())
    }

    pub async fn edition_history(&self, edition: &str, arrivals: &[Arrival], now: DateTime<Utc>) -> Result<History> {
        let client = self.client().await?;
        let keys: Vec<&str> = arrivals.iter().map(|a| a.key.as_str()).collect();
        let decided: HashSet<String> = client
            .query("SELECT article FROM relay_decisions WHERE edition = $1 AND article = ANY($2)", &[&edition, &keys])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let since = ts(now) - STORY_WINDOW_HOURS * 3600;
        Ok(History {
            notified_ids: arrivals.iter().filter(|a| decided.contains(&a.key)).map(|a| a.candidate.article_id).collect(),
            story_keys: client
                .query("SELECT key FROM relay_stories WHERE edition = $1 AND decided_at >= $2", &[&edition, &since])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect(),
            sent_last_hour: count(
                &client
                    .query_one("SELECT count(*) FROM relay_log WHERE edition = $1 AND sent_at > $2", &[&edition, &(ts(now) - 3600)])
                    .await?,
            ),
            held: count(
                &client.query_one("SELECT count(*) FROM relay_decisions WHERE edition = $1 AND state = 'held'", &[&edition]).await?,
            ),
        })
    }

    /// The plan, what was seen and which sources were synced, in one transaction on the
    /// poller's session, after checking it still holds the lock.
    pub async fn record_plan(
        &self,
        edition: &str,
        plan: &Plan,
        arrivals: &[Arrival],
        synced: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut session = self.session.lock().await;
        let Some(client) = session.as_mut() else { return Err(RelayError::NotPoller) };
        let tx = client.transaction().await?;
        let holds: bool = tx.query_one(HOLDS_LOCK, &[]).await?.get(0);
        if !holds {
            self.leading.store(false, Ordering::SeqCst);
            return Err(RelayError::NotPoller);
        }
        let at = ts(now);
        if plan.released_held > 0 {
            tx.execute(
                "UPDATE relay_decisions SET state = 'summarized', decided_at = $2 WHERE edition = $1 AND state = 'held'",
                &[&edition, &at],
            )
            .await?;
        }
        let key_of: HashMap<i64, &str> = arrivals.iter().map(|a| (a.candidate.article_id, a.key.as_str())).collect();
        let decision = tx
            .prepare(
                "INSERT INTO relay_decisions (edition, article, state, decided_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (edition, article) DO UPDATE SET state = excluded.state, decided_at = excluded.decided_at",
            )
            .await?;
        let story = tx
            .prepare(
                "INSERT INTO relay_stories (edition, key, decided_at) VALUES ($1, $2, $3)
                 ON CONFLICT (edition, key) DO UPDATE SET decided_at = excluded.decided_at",
            )
            .await?;
        for (state, list) in [("sent", &plan.sent), ("held", &plan.held)] {
            for (id, keys) in list {
                if let Some(article) = key_of.get(id) {
                    tx.execute(&decision, &[&edition, article, &state, &at]).await?;
                }
                for key in keys {
                    tx.execute(&story, &[&edition, key, &at]).await?;
                }
            }
        }
        for _ in &plan.notices {
            tx.execute("INSERT INTO relay_log (edition, sent_at) VALUES ($1, $2)", &[&edition, &at]).await?;
        }
        let keys: Vec<&str> = arrivals.iter().map(|a| a.key.as_str()).collect();
        let baselines: Vec<bool> = arrivals.iter().map(|a| a.candidate.baseline).collect();
        tx.execute(
            "INSERT INTO relay_seen (article, baseline, seen_at) SELECT article, baseline, $3 FROM unnest($1::text[], $2::bool[]) AS t(article, baseline)
             ON CONFLICT (article) DO NOTHING",
            &[&keys, &baselines, &at],
        )
        .await?;
        tx.execute(
            "INSERT INTO relay_sources (url, first_synced_at) SELECT url, $2 FROM unnest($1::text[]) AS url ON CONFLICT (url) DO NOTHING",
            &[&synced, &at],
        )
        .await?;
        tx.execute("DELETE FROM relay_log WHERE sent_at < $1", &[&(at - 86400)]).await?;
        tx.execute("DELETE FROM relay_stories WHERE decided_at < $1", &[&(at - STORY_WINDOW_HOURS * 3600)]).await?;
        tx.execute("DELETE FROM relay_seen WHERE seen_at < $1", &[&(at - SEEN_DAYS * 86400)]).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn announced_elsewhere(&self, edition: &str, keys: &[String], now: DateTime<Utc>) -> Result<HashSet<String>> {
        let since = ts(now) - STORY_WINDOW_HOURS * 3600;
        Ok(self
            .client()
            .await?
            .query(
                "SELECT DISTINCT edition FROM relay_stories WHERE key = ANY($1) AND edition <> $2 AND decided_at >= $3",
                &[&keys, &edition, &since],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    pub async fn counts(&self) -> Result<HashMap<String, i64>> {
        Ok(self
            .client()
            .await?
            .query("SELECT kind, count(*) FROM relay_subscriptions GROUP BY kind", &[])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    /// A setting every process shares; the first process to start writes `make()`'s value.
    pub async fn setting_or_insert(&self, name: &str, make: impl FnOnce() -> String) -> Result<String> {
        let client = self.client().await?;
        if let Some(row) = client.query_opt("SELECT value FROM relay_settings WHERE name = $1", &[&name]).await? {
            return Ok(row.get(0));
        }
        client
            .execute("INSERT INTO relay_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", &[&name, &make()])
            .await?;
        Ok(client.query_one("SELECT value FROM relay_settings WHERE name = $1", &[&name]).await?.get(0))
    }
}
