//! HTTP fetching: conditional GET, manual redirects (to learn which are permanent), a body
//! cap enforced while streaming, and retries with backoff that honour `Retry-After`.

mod budget;
mod decode;
mod trust;
pub(crate) use budget::{BudgetHold, ByteBudget};
pub use decode::ContentCoding;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{StatusCode, header};

use crate::error::FetchError;
use trust::SystemTrust;

pub const USER_AGENT: &str = concat!(
    "CaliberReader/",
    env!("CARGO_PKG_VERSION"),
    " (offline news reader; +https://caliber.az)"
);

/// Knobs of the HTTP client. Defaults are what the app and CLI use.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub connect_timeout: Duration,
    /// Whole request, body included.
    pub total_timeout: Duration,
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    /// Retries after the first attempt for transient failures (connect errors, timeouts, 429, 5xx but 501).
    pub retries: u32,
    pub backoff_base: Duration,
    /// A `Retry-After` longer than this is not waited for; the source fails for this sync.
    pub max_retry_after: Duration,
    /// Sources fetched at once.
    pub concurrency: usize,
    pub user_agent: String,
    /// Fetches a source's items may cause in one sync (article pages; pictures have their
    /// own cap): a feed cannot make the app fetch without end.
    pub max_derived_fetches: usize,
    /// One source never holds a sync longer than this; pages not read by then wait for the
    /// next sync.
    pub source_deadline: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            retries: 2,
            backoff_base: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(30),
            concurrency: 8,
            user_agent: USER_AGENT.to_owned(),
            max_derived_fetches: 60,
            source_deadline: Duration::from_secs(60),
        }
    }
}

/// The HTTP client the core is given. Cheap to clone (shares one connection pool).
///
/// Its clients are built on first use, not by `new`, and the system's trusted certificates
/// are read by the first https request, not by either (fetch/trust.rs): loading them took
/// 24 ms of an app launch's main thread, before the window existed, though the first fetch
/// comes a second or more after the first card, and a sync of http sources never needs them
/// (BENCHMARKS.md).
#[derive(Debug, Clone)]
pub struct HttpClient {
    clients: Arc<OnceLock<Result<Clients, String>>>,
    options: FetchOptions,
}

#[derive(Debug)]
struct Clients {
    client: reqwest::Client,
    /// For fetches a feed asked for on another host: resolves only to public addresses.
    public_client: reqwest::Client,
    /// The certificates both clients check https servers against. A system without them (a
    /// minimal container, a broken ca-certificates) still reads and syncs http sources, and
    /// every https request fails at once with the reason.
    trust: Arc<SystemTrust>,
}

impl Clients {
    fn build(options: &FetchOptions) -> Result<Self, String> {
        let trust = SystemTrust::new();
        let tls = trust.client_config().map_err(|e| e.to_string())?;
        let builder = || {
            reqwest::Client::builder()
                .user_agent(options.user_agent.clone())
                .connect_timeout(options.connect_timeout)
                .timeout(options.total_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(options.concurrency.max(1))
                .tls_backend_preconfigured(tls.clone())
        };
        let built = |b: reqwest::ClientBuilder| b.build().map_err(|e| source_chain(&e));
        let client = built(builder())?;
        let public_client = built(builder().dns_resolver(PublicOnly))?;
        Ok(Self { client, public_client, trust })
    }

    /// For an https URL, the trusted certificates, read now if no request has yet.
    fn check_trust(&self, url: &str) -> Result<(), FetchError> {
        if !url.starts_with("https:") {
            return Ok(());
        }
        self.trust.load().map_err(|why| FetchError::Network {
            url: url.to_owned(),
            message: format!(
                "no trusted certificates on this system, so no https site can be checked (install the ca-certificates package): {why}"
            ),
        })
    }
}

/// Validators remembered from the previous fetch of a URL.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub enum FetchOutcome {
    NotModified {
        /// Set when every redirect hop was permanent (301/308): the source should move.
        moved_to: Option<String>,
    },
    Fetched(Fetched),
}

#[derive(Debug)]
pub struct Fetched {
    pub final_url: String,
    pub moved_to: Option<String>,
    pub content_type: Option<String>,
    /// `Content-Location`: the base for relative URLs in the document, when sent.
    pub content_location: Option<String>,
    pub validators: Validators,
    /// As it came when `coding` is not `Identity` (only `HttpClient::get_within` leaves it
    /// so: `Fetched::decoded`).
    pub body: Vec<u8>,
    pub(crate) coding: ContentCoding,
}

impl Fetched {
    /// About how many bytes the body decodes to, at most `limit` (see `decode`).
    pub(crate) fn decoded_len_hint(&self, limit: u64) -> usize {
        decode::decoded_len_hint(self.coding, &self.body, limit)
    }

    /// The body decoded (gzip, brotli), at most `limit` bytes of it.
    pub(crate) fn decoded(mut self, limit: u64) -> Result<Self, FetchError> {
        let body = std::mem::take(&mut self.body);
        self.body = decode::decode(self.coding, body, limit).map_err(|e| match e {
            decode::DecodeError::TooLarge => FetchError::TooLarge { url: self.final_url.clone(), limit_bytes: limit },
            decode::DecodeError::Corrupt { coding, message } => {
                FetchError::Network { url: self.final_url.clone(), message: format!("the {coding}-compressed body is corrupt: {message}") }
            }
        })?;
        self.coding = ContentCoding::Identity;
        Ok(self)
    }
}

impl HttpClient {
    /// Never fails: what could (the certificate store) happens at the first fetch, which
    /// reports it.
    pub fn new(options: FetchOptions) -> Self {
        Self { clients: Arc::new(OnceLock::new()), options }
    }

    /// The clients, built on the first call; why they could not be, if not.
    fn clients(&self, url: &str) -> Result<&Clients, FetchError> {
        self.clients
            .get_or_init(|| Clients::build(&self.options))
            .as_ref()
            .map_err(|message| FetchError::Network { url: url.to_owned(), message: message.clone() })
    }

    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// GET `url`, conditionally when validators are given, retrying transient failures.
    pub async fn get(&self, url: &str, validators: &Validators) -> Result<FetchOutcome, FetchError> {
        self.get_limited(url, validators, self.options.max_body_bytes).await
    }

    /// As `get`, with a body cap of its own (pictures have a smaller one).
    pub async fn get_limited(&self, url: &str, validators: &Validators, limit: u64) -> Result<FetchOutcome, FetchError> {
        self.get_with(url, validators, limit, self.options.retries, None, None).await
    }

    /// As `get`, the body covered from `budget` as it streams in (see `budget`), and left
    /// encoded: the caller decodes it (`Fetched::decoded`) where it has the CPU for it.
    pub(crate) async fn get_within(&self, url: &str, validators: &Validators, budget: &ByteBudget, hold: &mut BudgetHold) -> Result<FetchOutcome, FetchError> {
        self.get_with(url, validators, self.options.max_body_bytes, self.options.retries, None, Some((budget, hold))).await
    }

    /// One attempt only: for pictures and article pages, where a failure costs little and
    /// retrying thousands of them would stall a sync.
    pub async fn get_once_limited(&self, url: &str, limit: u64) -> Result<FetchOutcome, FetchError> {
        self.get_with(url, &Validators::default(), limit, 0, None, None).await
    }

    /// A fetch a source's content asked for (an article page, a picture, an announced feed),
    /// not the reader: on the source's own host anything goes; on any other host, only
    /// public addresses — a feed cannot make the app reach loopback, the LAN or link-local
    /// services. Every redirect hop is checked the same way.
    pub async fn get_derived(&self, url: &str, limit: u64, retries: u32, source_url: &str) -> Result<FetchOutcome, FetchError> {
        let source_host = url::Url::parse(source_url).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        self.get_with(url, &Validators::default(), limit, retries, Some(source_host.as_deref().unwrap_or("")), None).await
    }

    /// A long-lived `text/event-stream` response (the push relay's stream, relay.rs), on the
    /// reader's client: the address is the one they typed, private hosts included. No
    /// retries here (the caller reconnects with backoff), and no whole-request timeout: the
    /// caller bounds silence between chunks instead.
    pub(crate) async fn open_event_stream(&self, url: &str, last_event_id: Option<&str>) -> Result<reqwest::Response, FetchError> {
        let mut request = self
            .clients(url)?
            .client
            .get(url)
            .header(header::ACCEPT, "text/event-stream")
            .header(header::CACHE_CONTROL, "no-cache")
            // Per request, this replaces the client's total timeout: a day, then reconnect.
            .timeout(Duration::from_secs(24 * 3600));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.map_err(|e| FetchError::from(self.classify(url, e)))?;
        let status = response.status();
        let is_stream = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/event-stream"));
        if !status.is_success() || !is_stream {
            let reason = if status.is_success() { "not an event stream".to_owned() } else { status.canonical_reason().unwrap_or("").to_owned() };
            return Err(FetchError::Status { url: url.to_owned(), status: status.as_u16(), reason });
        }
        Ok(response)
    }

    /// One JSON request to the push relay's subscription API (`relay::subscribe` and
    /// friends): no retries (the caller runs again on the next change or start), no
    /// redirects, the client's timeouts, at most 64 KiB of answer. Any status comes back.
    pub(crate) async fn relay_request(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(u16, Vec<u8>), FetchError> {
        const LIMIT: usize = 64 * 1024;
        let mut request = self.clients(url)?.client.request(method, url).header(header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.header(header::CONTENT_TYPE, "application/json").body(body);
        }
        let mut response = request.send().await.map_err(|e| FetchError::from(self.classify(url, e)))?;
        let status = response.status().as_u16();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| FetchError::from(self.classify(url, e)))? {
            if bytes.len() + chunk.len() > LIMIT {
                return Err(FetchError::TooLarge { url: url.to_owned(), limit_bytes: LIMIT as u64 });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((status, bytes))
    }

    async fn get_with(
        &self,
        url: &str,
        validators: &Validators,
        limit: u64,
        retries: u32,
        derived_from: Option<&str>,
        mut budget: Option<(&ByteBudget, &mut BudgetHold)>,
    ) -> Result<FetchOutcome, FetchError> {
        let mut attempt = 0;
        loop {
            let budget = budget.as_mut().map(|(b, hold)| (*b, &mut **hold));
            match self.get_once(url, validators, limit, derived_from, budget).await {
                Ok(outcome) => return Ok(outcome),
                Err(Attempt::Final(e)) => return Err(e),
                Err(Attempt::Transient { error, retry_after }) => {
                    let status = match &error {
                        FetchError::Status { status, .. } => *status,
                        _ => 503,
                    };
                    if attempt >= retries {
                        return Err(error);
                    }
                    let backoff = self.options.backoff_base * 2u32.pow(attempt);
                    let wait = match retry_after {
                        Some(after) if after > self.options.max_retry_after => {
                            return Err(FetchError::RetryLater { url: url.to_owned(), status, seconds: after.as_secs() });
                        }
                        Some(after) => after.max(backoff),
                        None => backoff,
                    };
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn get_once(
        &self,
        url: &str,
        validators: &Validators,
        limit: u64,
        derived_from: Option<&str>,
        mut budget: Option<(&ByteBudget, &mut BudgetHold)>,
    ) -> Result<FetchOutcome, Attempt> {
        let mut current = url.to_owned();
        let mut all_permanent = true;
        let mut hops = 0;
        let clients = self.clients(url).map_err(Attempt::Final)?;
        let response = loop {
            let client = match derived_from {
                None => &clients.client,
                Some(source_host) => match derived_reach(&current, source_host) {
                    Ok(Reach::SourceHost) => &clients.client,
                    Ok(Reach::PublicOnly) => &clients.public_client,
                    Err(reason) => return Err(Attempt::Final(FetchError::Refused { url: current, reason })),
                },
            };
            clients.check_trust(&current).map_err(Attempt::Final)?;
            let mut request = client.get(&current).header(header::ACCEPT_ENCODING, decode::ACCEPT_ENCODING);
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, modified);
            }
            let response = request.send().await.map_err(|e| self.classify(&current, e))?;
            let status = response.status();
            if !status.is_redirection() || status == StatusCode::NOT_MODIFIED {
                break response;
            }
            hops += 1;
            if hops > self.options.max_redirects {
                return Err(Attempt::Final(FetchError::TooManyRedirects { url: url.to_owned() }));
            }
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    Attempt::Final(FetchError::Status {
                        url: current.clone(),
                        status: status.as_u16(),
                        reason: "redirect without a Location".into(),
                    })
                })?;
            let next = url::Url::parse(&current).and_then(|base| base.join(location)).map_err(|e| {
                Attempt::Final(FetchError::Network { url: current.clone(), message: format!("bad redirect: {e}") })
            })?;
            all_permanent &= matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT);
            current = next.to_string();
        };
        let moved_to = (hops > 0 && all_permanent).then(|| current.clone());

        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified { moved_to });
        }
        if !status.is_success() {
            let error = FetchError::Status {
                url: current.clone(),
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_owned(),
            };
            let transient = status == StatusCode::TOO_MANY_REQUESTS
                || (status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED);
            return Err(if transient {
                Attempt::Transient { error, retry_after: retry_after(response.headers()) }
            } else {
                Attempt::Final(error)
            });
        }

        let headers = response.headers();
        let header_str = |name| headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok()).map(str::to_owned);
        let content_type = header_str(header::CONTENT_TYPE);
        let content_location = header_str(header::CONTENT_LOCATION);
        let validators = Validators { etag: header_str(header::ETAG), last_modified: header_str(header::LAST_MODIFIED) };
        let coding = ContentCoding::from_header(header_str(header::CONTENT_ENCODING).as_deref());
        // A sync's document (the one fetch under a budget) is decoded by the sync, in order.
        let keep_encoded = budget.is_some();
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(Attempt::Final(FetchError::TooLarge { url: current, limit_bytes: limit }));
        }
        let mut body = Vec::with_capacity(response.content_length().unwrap_or(64 * 1024).min(limit) as usize);
        crate::malloc::prefer_huge_pages(&mut body);
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.classify(&current, e))?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(Attempt::Final(FetchError::TooLarge { url: current, limit_bytes: limit }));
            }
            if let Some((budget, hold)) = &mut budget {
                budget.cover(hold, body.len() + chunk.len()).await;
            }
            body.extend_from_slice(&chunk);
        }
        let fetched = Fetched { final_url: current, moved_to, content_type, content_location, validators, body, coding };
        Ok(FetchOutcome::Fetched(if keep_encoded { fetched } else { fetched.decoded(limit).map_err(Attempt::Final)? }))
    }

    fn classify(&self, url: &str, e: reqwest::Error) -> Attempt {
        let url = url.to_owned();
        if e.is_timeout() {
            let seconds = self.options.total_timeout.as_secs();
            Attempt::Transient { error: FetchError::Timeout { url, seconds }, retry_after: None }
        } else if e.is_connect() {
            let message = source_chain(&e);
            Attempt::Transient { error: FetchError::Connect { url, message }, retry_after: None }
        } else if e.is_builder() || e.is_request() && e.url().is_none() {
            Attempt::Final(FetchError::Network { url, message: source_chain(&e) })
        } else {
            Attempt::Transient { error: FetchError::Network { url, message: explain_cut_off(source_chain(&e)) }, retry_after: None }
        }
    }
}

/// Where a derived fetch may connect.
#[derive(Debug, PartialEq, Eq)]
enum Reach {
    /// The source's own host: the reader chose it, private or not.
    SourceHost,
    /// Another host: public addresses only (checked again when its name is resolved).
    PublicOnly,
}

fn derived_reach(url: &str, source_host: &str) -> Result<Reach, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{} links are not fetched", parsed.scheme()));
    }
    let host = parsed.host().ok_or("no host")?;
    let name = parsed.host_str().unwrap_or("").to_ascii_lowercase();
    if !source_host.is_empty() && name == source_host {
        return Ok(Reach::SourceHost);
    }
    let private = match host {
        url::Host::Ipv4(ip) => !is_public_ip(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => !is_public_ip(IpAddr::V6(ip)),
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
    };
    if private {
        return Err(format!("{name} is a local or private address, and the source is not on it"));
    }
    Ok(Reach::PublicOnly)
}

/// Reachable from the internet: not loopback, private, link-local, shared, multicast,
/// documentation or reserved space.
pub(crate) fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || (a == 192 && b == 0 && v4.octets()[2] == 0))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_ip(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || (first == 0x0064 && v6.segments()[1] == 0xff9b && is_v4_embedded_private(&v6)))
        }
    }
}

/// NAT64 (64:ff9b::/96) addresses carry an IPv4 address in their last 32 bits.
fn is_v4_embedded_private(v6: &std::net::Ipv6Addr) -> bool {
    let o = v6.octets();
    !is_public_ip(IpAddr::V4(std::net::Ipv4Addr::new(o[12], o[13], o[14], o[15])))
}

/// A resolver that keeps only public addresses (a name may point anywhere, the LAN included).
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.into_iter().filter(|a| is_public_ip(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves only to local or private addresses; not fetched for a feed").into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

enum Attempt {
    Transient { error: FetchError, retry_after: Option<Duration> },
    Final(FetchError),
}

impl From<Attempt> for FetchError {
    fn from(a: Attempt) -> Self {
        match a {
            Attempt::Transient { error, .. } | Attempt::Final(error) => error,
        }
    }
}

/// `Retry-After` as seconds, or as a date measured from the response's own `Date`: the
/// server's clock against the server's clock, so neither a skewed device clock nor the core
/// (which never reads the time itself) is needed. A date without `Date` is not trusted.
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let http_date = |name| httpdate::parse_http_date(headers.get(name)?.to_str().ok()?.trim()).ok();
    let (when, sent) = (http_date(header::RETRY_AFTER)?, http_date(header::DATE)?);
    Some(when.duration_since(sent).unwrap_or_default())
}

/// A reset or an early close shows up deep in the cause chain in hyper's and the OS's words;
/// say what happened first.
fn explain_cut_off(chain: String) -> String {
    let lower = chain.to_ascii_lowercase();
    let cut_off = ["connection reset", "connection closed before message completed", "unexpected eof", "end of file before message length", "broken pipe", "connection aborted"]
        .iter()
        .any(|words| lower.contains(words));
    if cut_off { format!("the server closed the connection before the whole response was sent ({chain})") } else { chain }
}

/// reqwest's Display hides the cause ("error sending request"); readers need the cause.
fn source_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_after_date_counts_from_the_servers_date_not_the_device_clock() {
        let headers = |pairs: &[(header::HeaderName, &str)]| {
            pairs.iter().map(|(k, v)| (k.clone(), header::HeaderValue::from_str(v).unwrap())).collect::<header::HeaderMap>()
        };
        let seconds = headers(&[(header::RETRY_AFTER, "7")]);
        assert_eq!(retry_after(&seconds), Some(Duration::from_secs(7)));
        // Years in the past by any device clock: still 2 minutes after the server's Date.
        let dated = headers(&[
            (header::RETRY_AFTER, "Wed, 21 Oct 2015 07:30:00 GMT"),
            (header::DATE, "Wed, 21 Oct 2015 07:28:00 GMT"),
        ]);
        assert_eq!(retry_after(&dated), Some(Duration::from_secs(120)));
        let undated = headers(&[(header::RETRY_AFTER, "Wed, 21 Oct 2015 07:30:00 GMT")]);
        assert_eq!(retry_after(&undated), None, "a date with nothing to measure it from is not trusted");
        let already = headers(&[(header::RETRY_AFTER, "Wed, 21 Oct 2015 07:00:00 GMT"), (header::DATE, "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(retry_after(&already), Some(Duration::ZERO));
    }

    #[test]
    fn derived_fetches_reach_the_source_host_and_public_hosts_only() {
        let reach = |url, source| derived_reach(url, source);
        assert_eq!(reach("http://127.0.0.1:8765/post/1", "127.0.0.1"), Ok(Reach::SourceHost));
        assert_eq!(reach("https://caliber.az/post/1", "caliber.az"), Ok(Reach::SourceHost));
        assert_eq!(reach("https://cdn.example/a.jpg", "caliber.az"), Ok(Reach::PublicOnly));
        for refused in [
            "http://127.0.0.1:8765/admin",
            "http://localhost:631/",
            "http://printer.localhost/",
            "http://10.0.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "file:///etc/passwd",
        ] {
            assert!(reach(refused, "news.example").is_err(), "{refused} must be refused for a source on news.example");
        }
    }

    #[test]
    fn public_addresses_are_told_from_private_ones() {
        for public in ["8.8.8.8", "93.184.216.34", "2a00:1450:4001:82b::200e"] {
            assert!(is_public_ip(public.parse().unwrap()), "{public}");
        }
        for private in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.1.1", "100.64.0.1", "::1", "fd00::1", "fe80::1", "224.0.0.1"] {
            assert!(!is_public_ip(private.parse().unwrap()), "{private}");
        }
    }
}
