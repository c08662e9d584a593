//! Real parts for the relay's tests: the fixture site (tests/fixture-server/server.py), the
//! relay binary, and a push endpoint on 127.0.0.1 that decrypts what it receives.
#![allow(dead_code)]

pub mod pg;

use std::collections::{HashMap, VecDeque};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aes_gcm::aead::{Aead, KeyInit};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64ct::{Base64UrlUnpadded, Encoding};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use sha2::Sha256;

/// Where the relay keeps its state in a test: the same scenarios run on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The relay arguments for `backend`: none for SQLite (its --db file); for PostgreSQL a
/// throw-away server and a fresh database, kept alive by the returned guard.
pub fn database_args(backend: Backend) -> (Vec<String>, Option<pg::TestPostgres>) {
    match backend {
        Backend::Sqlite => (Vec::new(), None),
        Backend::Postgres => {
            let server = pg::TestPostgres::start();
            let url = server.database("relay");
            (vec!["--database".into(), url], Some(server))
        }
    }
}

/// A port nothing listened on a moment ago. Only for what cannot bind port 0 and say which
/// port it got (PostgreSQL), or for a port meant to refuse connections.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The first line `from` writes, if it comes within `timeout`. The rest is read and dropped,
/// so that the writer never meets a closed pipe.
fn first_line_within(from: impl std::io::Read + Send + 'static, timeout: Duration) -> Option<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(from);
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut reader, &mut line);
        let _ = tx.send(line);
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    rx.recv_timeout(timeout).ok().filter(|line| !line.is_empty())
}

/// The site and control ports from the fixture site's first line, "fixture site on
/// http://127.0.0.1:PORT/ (control on :PORT)".
pub fn fixture_ports(line: &str) -> Option<(u16, u16)> {
    let site = line.split("http://127.0.0.1:").nth(1)?.split('/').next()?.parse().ok()?;
    let control = line.split("(control on :").nth(1)?.split(')').next()?.parse().ok()?;
    Some((site, control))
}

/// The API's port from the relay's log ("caliber-relay: API on http://127.0.0.1:PORT/, …").
pub fn relay_port(log: &str) -> Option<u16> {
    let rest = log.lines().find_map(|line| line.strip_prefix("caliber-relay: API on http://127.0.0.1:"))?;
    rest.split('/').next()?.parse().ok()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A Web Push subscription written straight into the relay's SQLite file: many at once,
/// faster than the API and past its rate limit. Lists are JSON arrays.
pub struct Seeded {
    pub id: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub editions: &'static str,
    pub sections: &'static str,
    pub keywords: &'static str,
}

impl Seeded {
    /// Breaking news of `editions` only (no sections or keywords).
    pub fn new(id: String, endpoint: String, p256dh: String, auth: String, editions: &'static str) -> Self {
        Self { id, endpoint, p256dh, auth, editions, sections: "[]", keywords: "[]" }
    }
}

/// Migrate the relay's database at `db` (its own migration) and write `subscriptions` in
/// one transaction, before the relay starts.
pub fn seed_subscriptions(db: &Path, subscriptions: impl IntoIterator<Item = Seeded>) {
    drop(caliber_relay::store::SqliteStore::open(db).expect("the relay's store opens"));
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO relay_subscriptions (id, kind, endpoint, p256dh, auth, editions, sections, keywords)
                 VALUES (?1, 'webpush', ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .unwrap();
        for s in subscriptions {
            insert.execute(rusqlite::params![s.id, s.endpoint, s.p256dh, s.auth, s.editions, s.sections, s.keywords]).unwrap();
        }
    }
    tx.commit().unwrap();
}

/// The fixture news site on free ports; killed on drop.
pub struct FixtureSite {
    child: Child,
    pub port: u16,
    pub control_port: u16,
}

impl FixtureSite {
    pub fn start(mode: &str) -> Self {
        // Port 0: the server binds free ports itself and prints them. A port found free here
        // and passed in could be taken by a parallel test in between.
        let mut child = Command::new("python3")
            .arg(repo_root().join("tests/fixture-server/server.py"))
            .args(["--port", "0", "--control-port", "0", "--mode", mode])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs the fixture site");
        let stdout = child.stdout.take().expect("piped stdout");
        let line = first_line_within(stdout, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("the fixture site printed no address within 10 s"));
        let (port, control_port) = fixture_ports(&line).unwrap_or_else(|| panic!("no ports in the fixture site's line {line:?}"));
        Self { child, port, control_port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub async fn set_mode_async(&self, mode: &str) {
        let url = format!("http://127.0.0.1:{}/mode/{mode}", self.control_port);
        let status = reqwest::Client::new().post(&url).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
        assert_eq!(status, 200, "fixture mode {mode}");
    }

    pub fn set_mode(&self, mode: &str) {
        let status = ureq_post(&format!("http://127.0.0.1:{}/mode/{mode}", self.control_port));
        assert_eq!(status, 200, "fixture mode {mode}");
    }
}

impl Drop for FixtureSite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking POST with no body (the fixture's control port), on its own runtime thread.
fn ureq_post(url: &str) -> u16 {
    let url = url.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
            reqwest::Client::new().post(&url).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
        })
    })
    .join()
    .unwrap()
}

/// The relay binary; its stderr goes to `log`. Killed (SIGKILL) on drop.
pub struct RelayProcess {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl RelayProcess {
    pub fn start(db: &Path, site: &str, extra: &[&str]) -> Self {
        Self::start_every(db, site, 1, extra)
    }

    /// Polling every `interval` seconds.
    pub fn start_every(db: &Path, site: &str, interval: u64, extra: &[&str]) -> Self {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let log = db.with_extension(format!("{}.log", STARTED.fetch_add(1, Ordering::Relaxed)));
        // Port 0, read back from the relay's own log line: see `FixtureSite::start`.
        let mut child = Command::new(env!("CARGO_BIN_EXE_caliber-relay"))
            .args(["--db", db.to_str().unwrap(), "--listen", "127.0.0.1:0", "--site", site])
            .args(["--interval", &interval.to_string(), "--allow-http-endpoints", "--push-backoff-ms", "50"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("the relay binary starts");
        let mut port = None;
        wait_until("the relay's API", Duration::from_secs(20), || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the relay exited ({status}) before serving: {text}");
            }
            port = relay_port(&text);
            port.is_some()
        });
        Self { child, port: port.unwrap(), log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Completed polls so far (each logs one "poll:" line).
    pub fn polls(&self) -> usize {
        self.log_text().lines().filter(|l| l.contains("caliber-relay: poll:")).count()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has exited (and how), without waiting.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// A `/proc/PID/status` figure (VmRSS, VmHWM) in MiB.
    pub fn memory_mib(&self, field: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("{field} in /proc/PID/status"));
        let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib / 1024.0
    }

    /// CPU seconds the process has used (utime + stime, /proc/PID/stat; Linux).
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // After the command name: field 3 (state) onwards; utime and stime are fields 14, 15.
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        let per_second = Command::new("getconf").arg("CLK_TCK").output().ok();
        let per_second = per_second.and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse::<f64>().ok()).unwrap_or(100.0);
        ticks as f64 / per_second
    }

    pub fn wait_polls(&self, n: usize) {
        let start = self.polls();
        wait_until(&format!("{n} more polls"), Duration::from_secs(60), || self.polls() >= start + n);
    }

    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser's push subscription: its own P-256 key pair and auth secret.
pub struct Subscriber {
    pub secret: p256::SecretKey,
    pub auth: [u8; 16],
}

impl Subscriber {
    pub fn new() -> Self {
        let mut auth = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut auth);
        Self { secret: p256::SecretKey::random(&mut rand_core::OsRng), auth }
    }

    pub fn p256dh(&self) -> String {
        Base64UrlUnpadded::encode_string(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    pub fn auth_b64(&self) -> String {
        Base64UrlUnpadded::encode_string(&self.auth)
    }

    /// RFC 8291 decryption of an `aes128gcm` body (RFC 8188 header, one record), written
    /// here from the RFCs with RustCrypto, independently of the relay's crate.
    pub fn decrypt(&self, body: &[u8]) -> Result<Vec<u8>, String> {
        if body.len() < 21 {
            return Err("body shorter than the aes128gcm header".into());
        }
        let salt = &body[..16];
        let record_size = u32::from_be_bytes(body[16..20].try_into().unwrap()) as usize;
        let id_len = body[20] as usize;
        let sender_public = &body[21..21 + id_len];
        let ciphertext = &body[21 + id_len..];
        if ciphertext.len() > record_size {
            return Err("more than one record".into());
        }
        let sender = p256::PublicKey::from_sec1_bytes(sender_public).map_err(|e| format!("keyid is not a P-256 key: {e}"))?;
        let shared = p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), sender.as_affine());
        let receiver_public = self.secret.public_key().to_encoded_point(false);
        let mut key_info = b"WebPush: info\0".to_vec();
        key_info.extend_from_slice(receiver_public.as_bytes());
        key_info.extend_from_slice(sender_public);
        let mut ikm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(&self.auth), shared.raw_secret_bytes()).expand(&key_info, &mut ikm).unwrap();
        let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
        let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
        prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).unwrap();
        prk.expand(b"Content-Encoding: nonce\0", &mut nonce).unwrap();
        let cipher = aes_gcm::Aes128Gcm::new_from_slice(&cek).unwrap();
        let mut plain = cipher.decrypt(&nonce.into(), ciphertext).map_err(|_| "AES-GCM authentication failed".to_string())?;
        // Padding: the last record ends with 0x02 then zeros.
        while plain.last() == Some(&0) {
            plain.pop();
        }
        if plain.pop() != Some(2) {
            return Err("bad padding delimiter".into());
        }
        Ok(plain)
    }
}

#[derive(Debug, Clone)]
pub struct Received {
    pub message: serde_json::Value,
    pub headers: HeaderMap,
}

#[derive(Default)]
struct EndpointState {
    subscribers: HashMap<String, Arc<Subscriber>>,
    /// Statuses to answer before accepting (e.g. 429, 503), per subscriber.
    script: HashMap<String, VecDeque<u16>>,
    /// Answer this status forever (404/410: the subscription is gone).
    gone: HashMap<String, u16>,
    requests: HashMap<String, u32>,
    received: HashMap<String, Vec<Received>>,
    errors: Vec<String>,
}

/// A push service on 127.0.0.1: POST /push/NAME decrypts with NAME's keys.
#[derive(Clone)]
pub struct PushEndpoint {
    state: Arc<Mutex<EndpointState>>,
    pub port: u16,
}

impl PushEndpoint {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(EndpointState::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = axum::Router::new().route("/push/{name}", post(receive)).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { state, port }
    }

    pub fn add(&self, name: &str) -> Arc<Subscriber> {
        let sub = Arc::new(Subscriber::new());
        self.state.lock().unwrap().subscribers.insert(name.into(), sub.clone());
        sub
    }

    pub fn script(&self, name: &str, statuses: &[u16]) {
        self.state.lock().unwrap().script.insert(name.into(), statuses.iter().copied().collect());
    }

    pub fn gone(&self, name: &str, status: u16) {
        self.state.lock().unwrap().gone.insert(name.into(), status);
    }

    pub fn endpoint(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/push/{name}", self.port)
    }

    pub fn received(&self, name: &str) -> Vec<Received> {
        self.state.lock().unwrap().received.get(name).cloned().unwrap_or_default()
    }

    pub fn requests(&self, name: &str) -> u32 {
        self.state.lock().unwrap().requests.get(name).copied().unwrap_or(0)
    }

    pub fn errors(&self) -> Vec<String> {
        self.state.lock().unwrap().errors.clone()
    }
}

async fn receive(
    State(state): State<Arc<Mutex<EndpointState>>>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let mut s = state.lock().unwrap();
    *s.requests.entry(name.clone()).or_default() += 1;
    if let Some(&status) = s.gone.get(&name) {
        return StatusCode::from_u16(status).unwrap();
    }
    if let Some(status) = s.script.get_mut(&name).and_then(VecDeque::pop_front) {
        return StatusCode::from_u16(status).unwrap();
    }
    let Some(sub) = s.subscribers.get(&name).cloned() else { return StatusCode::NOT_FOUND };
    if headers.get("content-encoding").and_then(|v| v.to_str().ok()) != Some("aes128gcm") {
        s.errors.push(format!("{name}: Content-Encoding is not aes128gcm"));
        return StatusCode::BAD_REQUEST;
    }
    match sub.decrypt(&body).and_then(|plain| serde_json::from_slice(&plain).map_err(|e| e.to_string())) {
        Ok(message) => {
            s.received.entry(name).or_default().push(Received { message, headers });
            StatusCode::CREATED
        }
        Err(e) => {
            s.errors.push(format!("{name}: {e}"));
            StatusCode::BAD_REQUEST
        }
    }
}
