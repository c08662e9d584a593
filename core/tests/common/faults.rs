//! The fault server's raw-TCP half and the hostile documents it serves (issue 12, item 2).
//!
//! What HTTP can express lives in `Route` (`Drip`, `Custom`, `Redirect`, `Body` + `gzipped`);
//! what it cannot — a connection reset in the middle of a body, a server that accepts and
//! never answers — is a raw `TcpListener` here. Everything listens on 127.0.0.1 only.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// What a raw server does with each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawFault {
    /// Reads the request, sends a 200 promising 100,000 bytes, sends part of a feed, then
    /// resets the connection (`SO_LINGER` 0: the kernel sends RST, not FIN).
    ResetMidBody,
    /// Accepts, reads the request and never answers (nor closes).
    NeverAnswers,
}

/// A raw TCP fault server on 127.0.0.1.
#[derive(Clone, Debug)]
pub struct RawServer {
    pub addr: SocketAddr,
}

impl RawServer {
    /// Start in the current tokio runtime.
    pub async fn start(fault: RawFault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, fault));
            }
        });
        Self { addr }
    }

    /// Start on its own thread and runtime (for tests that run the CLI as a child process).
    pub fn start_on_thread(fault: RawFault) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                tx.send(RawServer::start(fault).await).unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv_timeout(Duration::from_secs(10)).expect("raw server started")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

async fn serve(stream: TcpStream, fault: RawFault) {
    if !read_request(&stream).await {
        return;
    }
    match fault {
        RawFault::ResetMidBody => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n";
            let part = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Reset</title>\
                        <item><guid>reset-1</guid><title>Half an item";
            if write_all(&stream, head.as_bytes()).await && write_all(&stream, part.as_bytes()).await {
                // Let the client read what was sent, then reset rather than close.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = stream.set_zero_linger();
            }
            drop(stream);
        }
        RawFault::NeverAnswers => {
            // Held open until the client gives up (it reads EOF then, never a response).
            let mut buf = [0u8; 1024];
            loop {
                if stream.readable().await.is_err() {
                    return;
                }
                match stream.try_read(&mut buf) {
                    Ok(0) => return,
                    Err(e) if e.kind() != std::io::ErrorKind::WouldBlock => return,
                    _ => {}
                }
            }
        }
    }
}

/// Read up to the end of the request headers; false if the client went away first.
async fn read_request(stream: &TcpStream) -> bool {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        if stream.readable().await.is_err() {
            return false;
        }
        match stream.try_read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return false,
        }
        if seen.len() > 64 * 1024 {
            return false;
        }
    }
    true
}

async fn write_all(stream: &TcpStream, mut data: &[u8]) -> bool {
    while !data.is_empty() {
        if stream.writable().await.is_err() {
            return false;
        }
        match stream.try_write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return false,
        }
    }
    true
}

// ---- hostile documents ----

/// An RSS 2.0 feed of `n` small items whose links point at `base` (a test server, so a
/// host that fetches article pages stays on this machine).
pub fn small_feed(title: &str, n: usize, base: &str) -> String {
    let mut xml = String::with_capacity(n * 160 + 256);
    xml.push_str(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>{title}</title><link>{base}/</link>\n"
    ));
    for i in 0..n {
        xml.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{title}-{i}</guid><title>{title} item {i}</title>\
             <link>{base}/{title}/{i}</link><description>Item {i} of {title}.</description></item>\n"
        ));
    }
    xml.push_str("</channel></rss>\n");
    xml
}

/// The classic billion laughs: ten entities, each ten of the one before; `&lol9;` would be
/// 10^9 "lol"s (3 GB) if expanded recursively.
pub fn billion_laughs() -> String {
    let mut dtd = String::from("<!ENTITY lol0 \"lol\">\n");
    for i in 1..10 {
        dtd.push_str(&format!("<!ENTITY lol{i} \"{}\">\n", format!("&lol{};", i - 1).repeat(10)));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE rss [\n{dtd}]>\n<rss version=\"2.0\"><channel><title>Laughs</title>\
         <item><guid>laughs-1</guid><title>Laughs &lol9;</title><description>&lol9;</description></item>\
         </channel></rss>\n"
    )
}

/// The "quadratic blowup" variant: one flat entity of `entity_bytes`, referenced `refs`
/// times. Needs no recursion to expand to `entity_bytes × refs` bytes.
pub fn quadratic_blowup(entity_bytes: usize, refs: usize) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE rss [\n<!ENTITY a \"{}\">\n]>\n<rss version=\"2.0\"><channel><title>Blowup</title>\
         <item><guid>blowup-1</guid><title>Blowup</title><description>{}</description></item>\
         </channel></rss>\n",
        "a".repeat(entity_bytes),
        "&a;".repeat(refs)
    )
}

/// One item whose description is `depth` nested XML elements.
pub fn deep_nesting(depth: usize) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Deep</title>\
         <item><guid>deep-1</guid><title>Deep</title><description>{}deep text{}</description></item>\
         </channel></rss>\n",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    )
}

/// One item whose title is `bytes` long (words of ten letters).
pub fn huge_title(bytes: usize) -> String {
    let words = "abcdefghi ".repeat(bytes / 10);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Huge title</title>\
         <item><guid>huge-1</guid><title>Huge {words}</title><description>A normal body.</description></item>\
         </channel></rss>\n"
    )
}

/// A feed declared UTF-8 with bytes that are not UTF-8 in its item's title and body.
pub fn invalid_utf8() -> Vec<u8> {
    let mut xml = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Bytes</title>\
                    <item><guid>bytes-1</guid><title>Caf"
        .to_vec();
    xml.extend_from_slice(b"\xe9 \xff\xfe broken");
    xml.extend_from_slice(b"</title><description>Half a character: \xe2\x82 and a lone \x80 byte.</description></item></channel></rss>\n");
    xml
}

/// A real (1×1) PNG.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\
\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82";
