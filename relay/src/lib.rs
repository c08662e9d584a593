//! caliber-relay: polls the site with caliber-core and fans breaking news out to the
//! platforms' push services (see `config.rs` for the whole surface, README.md for design).

pub mod api;
pub mod config;
pub mod error;
pub mod poll;
pub mod push;
pub mod sse;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use caliber_core::{Core, CoreConfig, FetchOptions, HttpClient, ImageOptions, SourceKind};

pub use config::Config;
pub use error::{RelayError, Result};

use poll::{EditionSources, Engines, Poller};
use push::RetryPolicy;
use store::Store;

const VAPID_SETTING: &str = "relay.vapid_private_key";

/// Follow the chosen editions of `site` in the core (feed and listing page each) and stop
/// following anything else, so a relay moved to another site polls only that one.
fn follow_editions(core: &Core, site: &url::Url, wanted: &[String]) -> Result<Vec<EditionSources>> {
    let editions: Vec<_> = Core::editions().into_iter().filter(|e| wanted.is_empty() || wanted.contains(&e.code)).collect();
    if let Some(unknown) = wanted.iter().find(|w| !Core::editions().iter().any(|e| &e.code == *w)) {
        let known: Vec<String> = Core::editions().into_iter().map(|e| e.code).collect();
        return Err(RelayError::Config { what: "--editions", message: format!("unknown edition {unknown:?} (known: {})", known.join(", ")) });
    }
    let mut result = Vec::new();
    let mut keep = Vec::new();
    for edition in editions {
        let mut urls = Vec::new();
        if let Some(feed) = &edition.feed {
            urls.push((join(site, feed)?, SourceKind::Feed));
        }
        urls.push((join(site, &edition.path)?, SourceKind::Site));
        let mut source_ids = Vec::new();
        for (url, kind) in urls {
            for (source, _) in core.add_sources(&[url], Some(kind))? {
                keep.push(source.url.clone());
                source_ids.push(source.id);
            }
        }
        result.push(EditionSources { code: edition.code, source_ids });
    }
    for source in core.sources()? {
        if !keep.contains(&source.url) {
            core.remove_source(&source.url)?;
        }
    }
    Ok(result)
}

fn join(site: &url::Url, path: &str) -> Result<String> {
    site.join(path)
        .map(String::from)
        .map_err(|e| RelayError::Config { what: "--site", message: format!("cannot join {path:?}: {e}") })
}

fn push_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("caliber-relay/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Everything the relay runs, built from its configuration.
pub struct Relay {
    pub poller: Arc<Poller>,
    pub api: Arc<api::ApiState>,
}

impl Relay {
    pub async fn open(config: &Config) -> Result<Self> {
        let http = HttpClient::new(FetchOptions::default());
        let mut core_config = CoreConfig::at(config.db.clone(), http);
        // Article pages stay on (as in the app): a feed item without a picture gets its
        // cover from the page, and the cover is what identifies a story across editions.
        // Pictures themselves are never downloaded: an alert carries no image.
        core_config.images = ImageOptions { enabled: false, ..ImageOptions::default() };
        let core = Core::open(core_config)?;
        let store = Arc::new(match &config.database {
            Some(url) => Store::Postgres(store::PgStore::connect(url).await?),
            None => Store::open(&config.db)?,
        });
        let editions = follow_editions(&core, &config.site, &config.editions)?;

        let retry = RetryPolicy {
            attempts: config.push_attempts.max(1),
            backoff_base: Duration::from_millis(config.push_backoff_ms),
            ..RetryPolicy::default()
        };
        let client = push_client()?;
        let vapid = vapid_key(&core, &store).await?;
        let webpush = push::webpush::WebPush::new(client.clone(), vapid, config.vapid_subject.clone(), retry);
        let fcm = match &config.fcm_service_account {
            Some(path) => Some(push::fcm::Fcm::from_file(client.clone(), path, &config.fcm_endpoint, retry)?),
            None => None,
        };
        let apns = match (&config.apns_key, &config.apns_key_id, &config.apns_team_id, &config.apns_topic) {
            (Some(key), Some(key_id), Some(team), Some(topic)) => {
                Some(push::apns::Apns::from_file(client, key, key_id, team, topic, &config.apns_endpoint, retry)?)
            }
            _ => None,
        };

        let events = Arc::new(sse::Hub::new(config.sse_max_clients, Duration::from_secs(config.sse_keepalive_seconds)));
        let api = Arc::new(api::ApiState {
            store: store.clone(),
            editions: editions.iter().map(|e| e.code.clone()).collect(),
            vapid_public_key: Some(webpush.public_key()),
            apns_enabled: apns.is_some(),
            allow_http_endpoints: config.allow_http_endpoints,
            limiter: api::ApiState::limiter(config.api_rate_per_minute),
            events: events.clone(),
        });
        let poller = Arc::new(Poller {
            core,
            store,
            editions,
            engines: Engines { webpush: Some(webpush), apns, fcm },
            max_per_hour: config.max_per_hour,
            max_age_minutes: config.max_age_minutes,
            concurrency: config.push_concurrency,
            events,
        });
        Ok(Self { poller, api })
    }

    /// Serve the API and poll every `interval` until the process is stopped.
    pub async fn run(self, config: &Config) -> Result<()> {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| RelayError::Listen { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(|source| RelayError::Listen { addr: config.listen, source })?;
        let app = api::router(self.api.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
        caliber_core::log_line!("caliber-relay: API on http://{addr}/, polling {} every {} s", config.site, config.interval);
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let (store, hub) = (self.poller.store.clone(), self.poller.events.clone());
        let peers = tokio::spawn(async move { store.follow_events(hub).await });

        let limiter = self.api.clone();
        let mut interval = tokio::time::interval(config.interval());
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut standby_said = false;
        // One listener for the whole run: a signal that comes during a poll is not lost
        // (a listener made afresh each turn never sees one that came before it), and it
        // stops a poll in progress too, which a long fan-out would otherwise hold up. An
        // alert is recorded before it is sent: stopping mid-poll may lose some, never repeat.
        let shutdown = shutdown_signal();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = &mut shutdown => break,
            }
            // With PostgreSQL, only the process holding the poller's lock polls.
            let was_leading = self.poller.store.leading();
            match self.poller.store.try_lead().await {
                Ok(true) if !was_leading => caliber_core::log_line!("caliber-relay: this relay polls now (it holds the poller lock)"),
                Ok(true) => {}
                Ok(false) => {
                    if was_leading || !standby_said {
                        caliber_core::log_line!("caliber-relay: standing by: another relay polls");
                        standby_said = true;
                    }
                    limiter.limiter.retain_recent();
                    continue;
                }
                Err(e) => {
                    caliber_core::log_line!("caliber-relay: cannot reach the database to poll: {e}");
                    continue;
                }
            }
            standby_said = false;
            let polled = tokio::select! {
                polled = self.poller.tick(chrono::Utc::now()) => polled,
                _ = &mut shutdown => break,
            };
            match polled {
                Ok(t) => caliber_core::log_line!(
                    "caliber-relay: poll: {} stories, {} summaries, {} delivered, {} topic messages, {} held, {} removed, {} failed",
                    t.stories, t.summaries, t.delivered, t.topic_messages, t.held, t.removed, t.failed
                ),
                Err(e) => caliber_core::log_line!("caliber-relay: poll failed: {e}"),
            }
            // Forget idle client addresses so the limiter's memory stays small.
            limiter.limiter.retain_recent();
        }
        server.abort();
        peers.abort();
        caliber_core::log_line!("caliber-relay: stopped");
        Ok(())
    }
}

/// The VAPID key pair, made on first start. With PostgreSQL it is shared: every relay
/// process must sign with the key subscribers were given.
async fn vapid_key(core: &Core, store: &Store) -> Result<web_push_native::jwt_simple::algorithms::ES256KeyPair> {
    let make = || push::webpush::vapid_to_base64(&push::webpush::generate_vapid());
    match store {
        Store::Postgres(pg) => {
            let stored = pg.setting_or_insert(VAPID_SETTING, make).await?;
            push::webpush::vapid_from_base64(&stored).ok_or_else(|| RelayError::Config {
                what: "--database",
                message: format!("the stored {VAPID_SETTING} is not a VAPID key"),
            })
        }
        Store::Sqlite(_) => match core.setting(VAPID_SETTING)?.as_deref().and_then(push::webpush::vapid_from_base64) {
            Some(key) => Ok(key),
            None => {
                let key = push::webpush::generate_vapid();
                core.set_setting(VAPID_SETTING, &push::webpush::vapid_to_base64(&key))?;
                Ok(key)
            }
        },
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
