//! The corpus server: axum on its own thread and runtime, gzip, ETag/304 on demand, pictures.

use super::*;

pub(crate) struct ServerState {
    /// Replaced between the corpus shapes (`Server::serve`).
    pub(crate) feeds: std::sync::RwLock<HashMap<String, FeedDoc>>,
    /// On: strong ETag + Last-Modified, conditional requests answered with 304.
    /// Off: the same bodies with 200 and no validators (a server that never says "unchanged").
    pub(crate) validators: AtomicBool,
    pub(crate) requests: AtomicU64,
    pub(crate) not_modified: AtomicU64,
    pub(crate) gzipped: AtomicU64,
    pub(crate) conditional: AtomicU64,
    pub(crate) images: AtomicU64,
    pub(crate) image_bytes: AtomicU64,
    /// Picture bytes: a JPEG header, then filler; each picture is a prefix of it.
    pub(crate) picture: Bytes,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ServerCounts {
    pub(crate) requests: u64,
    pub(crate) not_modified: u64,
    pub(crate) gzipped: u64,
    pub(crate) conditional: u64,
    pub(crate) images: u64,
    pub(crate) image_bytes: u64,
}

impl std::ops::Sub for ServerCounts {
    type Output = ServerCounts;
    fn sub(self, o: ServerCounts) -> ServerCounts {
        ServerCounts {
            requests: self.requests - o.requests,
            not_modified: self.not_modified - o.not_modified,
            gzipped: self.gzipped - o.gzipped,
            conditional: self.conditional - o.conditional,
            images: self.images - o.images,
            image_bytes: self.image_bytes - o.image_bytes,
        }
    }
}

pub(crate) struct Server {
    pub(crate) state: Arc<ServerState>,
    pub(crate) urls: Vec<String>,
}

impl Server {
    /// Bound first: the corpus needs the origin for its absolute picture URLs.
    pub(crate) fn bind() -> (std::net::TcpListener, String) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let origin = format!("http://{}", listener.local_addr().unwrap());
        (listener, origin)
    }

    pub(crate) fn start(listener: std::net::TcpListener, docs: Vec<FeedDoc>) -> Server {
        let names: Vec<String> = docs.iter().map(|d| d.name.clone()).collect();
        let picture = picture_bytes();
        let state = Arc::new(ServerState {
            feeds: std::sync::RwLock::new(docs.into_iter().map(|d| (d.name.clone(), d)).collect()),
            validators: AtomicBool::new(true),
            requests: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
            gzipped: AtomicU64::new(0),
            conditional: AtomicU64::new(0),
            images: AtomicU64::new(0),
            image_bytes: AtomicU64::new(0),
            picture: Bytes::from(picture),
        });
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/feeds/{name}", get(serve_feed))
            .route("/control/validators/{mode}", get(control_validators))
            .fallback(serve_picture)
            .with_state(state.clone());
        std::thread::Builder::new()
            .name("bench-http".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    axum::serve(listener, app).await.unwrap();
                });
            })
            .unwrap();
        let urls = names.iter().map(|n| format!("http://{addr}/feeds/{n}")).collect();
        Server { state, urls }
    }

    /// Serve these feeds instead; their URLs.
    pub(crate) fn serve(&self, docs: Vec<FeedDoc>) -> Vec<String> {
        let origin = self.urls.first().and_then(|u| u.split("/feeds/").next()).expect("a server URL").to_owned();
        let urls = docs.iter().map(|d| format!("{origin}/feeds/{}", d.name)).collect();
        *self.state.feeds.write().unwrap() = docs.into_iter().map(|d| (d.name.clone(), d)).collect();
        urls
    }

    pub(crate) fn set_validators(&self, on: bool) {
        self.state.validators.store(on, Ordering::SeqCst);
    }

    pub(crate) fn counts(&self) -> ServerCounts {
        ServerCounts {
            requests: self.state.requests.load(Ordering::SeqCst),
            not_modified: self.state.not_modified.load(Ordering::SeqCst),
            gzipped: self.state.gzipped.load(Ordering::SeqCst),
            conditional: self.state.conditional.load(Ordering::SeqCst),
            images: self.state.images.load(Ordering::SeqCst),
            image_bytes: self.state.image_bytes.load(Ordering::SeqCst),
        }
    }
}

pub(crate) async fn control_validators(State(state): State<Arc<ServerState>>, UrlPath(mode): UrlPath<String>) -> &'static str {
    state.validators.store(mode == "on", Ordering::SeqCst);
    if mode == "on" { "validators on\n" } else { "validators off\n" }
}

/// Any `.jpg`/`.png`/`.webp` path is a picture (its size derived from the path); anything else is 404.
pub(crate) async fn serve_picture(State(state): State<Arc<ServerState>>, uri: axum::http::Uri) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let Some((content_type, size)) = picture_for_path(uri.path()) else {
        return Response::builder().status(StatusCode::NOT_FOUND).body(Body::empty()).unwrap();
    };
    state.images.fetch_add(1, Ordering::Relaxed);
    state.image_bytes.fetch_add(size as u64, Ordering::Relaxed);
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "max-age=86400")
        .body(Body::from(state.picture.slice(..size)))
        .unwrap()
}

pub(crate) async fn serve_feed(State(state): State<Arc<ServerState>>, UrlPath(name): UrlPath<String>, headers: HeaderMap) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let feeds = state.feeds.read().unwrap();
    let Some(doc) = feeds.get(&name) else {
        return Response::builder().status(StatusCode::NOT_FOUND).body(Body::empty()).unwrap();
    };
    let validators = state.validators.load(Ordering::SeqCst);
    let header = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let if_none_match = header(header::IF_NONE_MATCH);
    let if_modified_since = header(header::IF_MODIFIED_SINCE);
    if if_none_match.is_some() || if_modified_since.is_some() {
        state.conditional.fetch_add(1, Ordering::Relaxed);
    }
    let gzip = header(header::ACCEPT_ENCODING).is_some_and(|v| v.contains("gzip"));
    if validators {
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        let unchanged = match if_none_match {
            Some(tags) => tags.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == "*" || t == doc.etag || t == doc.etag_gzip),
            None => if_modified_since == Some(doc.last_modified.as_str()),
        };
        if unchanged {
            state.not_modified.fetch_add(1, Ordering::Relaxed);
            return Response::builder()
                .status(StatusCode::NOT_MODIFIED)
                .header(header::ETAG, if gzip { &doc.etag_gzip } else { &doc.etag })
                .header(header::LAST_MODIFIED, &doc.last_modified)
                .body(Body::empty())
                .unwrap();
        }
    }
    let mut response = Response::builder().status(StatusCode::OK).header(header::CONTENT_TYPE, doc.content_type).header(header::VARY, "Accept-Encoding");
    if validators {
        response = response.header(header::ETAG, if gzip { &doc.etag_gzip } else { &doc.etag }).header(header::LAST_MODIFIED, &doc.last_modified);
    }
    if gzip {
        state.gzipped.fetch_add(1, Ordering::Relaxed);
        response.header(header::CONTENT_ENCODING, "gzip").body(Body::from(doc.gzip.clone())).unwrap()
    } else {
        response.body(Body::from(doc.body.clone())).unwrap()
    }
}

// ---------------------------------------------------------------------------------------
