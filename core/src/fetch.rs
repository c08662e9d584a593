//! HTTP fetching: conditional GET, manual redirects (to learn which are permanent), a body
//! cap enforced while streaming, and retries with backoff that honour `Retry-After`.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{StatusCode, header};

use crate::error::FetchError;

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
        }
    }
}

/// The HTTP client the core is given. Cheap to clone (shares one connection pool).
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    options: FetchOptions,
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
    pub body: Vec<u8>,
}

impl HttpClient {
    pub fn new(options: FetchOptions) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .connect_timeout(options.connect_timeout)
            .timeout(options.total_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .gzip(true)
            .brotli(true)
            .pool_max_idle_per_host(options.concurrency.max(1))
            .build()
            .map_err(|e| FetchError::Network { url: String::new(), message: e.to_string() })?;
        Ok(Self { client, options })
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
        self.get_with(url, validators, limit, self.options.retries).await
    }

    /// One attempt only: for pictures and article pages, where a failure costs little and
    /// retrying thousands of them would stall a sync.
    pub async fn get_once_limited(&self, url: &str, limit: u64) -> Result<FetchOutcome, FetchError> {
        self.get_with(url, &Validators::default(), limit, 0).await
    }

    async fn get_with(&self, url: &str, validators: &Validators, limit: u64, retries: u32) -> Result<FetchOutcome, FetchError> {
        let mut attempt = 0;
        loop {
            match self.get_once(url, validators, limit).await {
                Ok(outcome) => return Ok(outcome),
                Err(Attempt::Final(e)) => return Err(e),
                Err(Attempt::Transient { error, retry_after }) => {
                    if attempt >= retries {
                        return Err(error);
                    }
                    let backoff = self.options.backoff_base * 2u32.pow(attempt);
                    let wait = match retry_after {
                        Some(after) if after > self.options.max_retry_after => {
                            return Err(FetchError::RetryLater { url: url.to_owned(), seconds: after.as_secs() });
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

    async fn get_once(&self, url: &str, validators: &Validators, limit: u64) -> Result<FetchOutcome, Attempt> {
        let mut current = url.to_owned();
        let mut all_permanent = true;
        let mut hops = 0;
        let response = loop {
            let mut request = self.client.get(&current);
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
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(Attempt::Final(FetchError::TooLarge { url: current, limit_bytes: limit }));
        }
        let mut body = Vec::with_capacity(response.content_length().unwrap_or(64 * 1024).min(limit) as usize);
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.classify(&current, e))?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(Attempt::Final(FetchError::TooLarge { url: current, limit_bytes: limit }));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchOutcome::Fetched(Fetched { final_url: current, moved_to, content_type, content_location, validators, body }))
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
            Attempt::Transient { error: FetchError::Network { url, message: source_chain(&e) }, retry_after: None }
        }
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

fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or_default())
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
