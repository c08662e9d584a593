//! Pictures for offline reading: after a sync, the cover and body images of the articles it
//! stored are downloaded into the database (checked, capped, deduplicated by URL), then the
//! store is trimmed to its size cap. Stored bodies keep the original URLs; hosts ask
//! `Core::fetch_image(url)` for the bytes (stored ones, else fetched, checked and stored).

use futures_util::StreamExt;

use crate::error::Result;
use crate::fetch::{FetchOutcome, Fetched, HttpClient};
use crate::parse::{body_picture_links, is_web_url};
use crate::store::Store;

pub(crate) mod thumbnail;

const STORE_BATCH_PICTURES: usize = 64;
const STORE_BATCH_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct ImageOptions {
    pub enabled: bool,
    pub max_image_bytes: u64,
    /// Total size of stored pictures; least recently read are evicted beyond it.
    pub cap_bytes: u64,
    pub concurrency: usize,
    /// Pictures downloaded for one source in one sync; the rest load when an article is read.
    pub max_per_source: usize,
}

impl Default for ImageOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            max_image_bytes: 5 * 1024 * 1024,
            cap_bytes: 500 * 1024 * 1024,
            concurrency: 4,
            max_per_source: 200,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImageReport {
    pub fetched: u32,
    pub failed: u32,
    pub bytes: u64,
    pub evicted_bytes: u64,
}

/// The pictures the articles show, cover first, and per source the ones not stored yet.
/// They were linked as each body was stored (`body_picture_links`), but `article_images`
/// keeps no order: the bodies are read again for it (the cover, then the body's pictures
/// as they appear), and linking again is harmless.
fn link_for_articles(store: &Store, per_source: &[(String, Vec<i64>)]) -> Result<Vec<(String, Vec<String>)>> {
    let mut missing = Vec::new();
    for (source_url, article_ids) in per_source {
        let mut links = Vec::new();
        for &id in article_ids {
            let Some((image_url, content_html)) = store.article_pictures(id)? else { continue };
            let mut urls: Vec<String> = image_url.into_iter().filter(|u| is_web_url(u)).collect();
            urls.extend(body_picture_links(content_html.as_deref().unwrap_or("")));
            links.extend(urls.into_iter().map(|u| (id, u)));
        }
        missing.push((source_url.clone(), store.link_images(&links)?));
    }
    Ok(missing)
}

/// Download the pictures of the articles a sync stored, `per_source`: (source URL, article
/// ids). Each source's pictures are fetched as that source's derived fetches (its own host,
/// or public addresses), at most `max_per_source` of them, none after `until` (the
/// source's deadline, one per entry of `per_source`): those not fetched by then count as
/// failed and are loaded when shown.
pub(crate) async fn fetch_for_articles(
    store: &std::sync::Mutex<Store>,
    http: &HttpClient,
    options: ImageOptions,
    per_source: &[(String, Vec<i64>)],
    until: &[tokio::time::Instant],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImageReport> {
    let missing = link_for_articles(&crate::locks::lock(store), per_source)?;
    let mut seen = std::collections::HashSet::new();
    let missing: Vec<(String, String, tokio::time::Instant)> = missing
        .into_iter()
        .zip(until.iter().copied().chain(std::iter::repeat_with(tokio::time::Instant::now)))
        .flat_map(|((source_url, urls), until)| {
            let fresh: Vec<String> = urls.into_iter().filter(|u| seen.insert(u.clone())).take(options.max_per_source).collect();
            fresh.into_iter().map(move |u| (u, source_url.clone(), until))
        })
        .collect();
    let mut downloads = futures_util::stream::iter(missing)
        .map(|(url, source_url, until)| async move {
            if tokio::time::Instant::now() >= until {
                return None;
            }
            match tokio::time::timeout_at(until, http.get_derived(&url, options.max_image_bytes, 0, &source_url)).await {
                Ok(Ok(FetchOutcome::Fetched(f))) => as_picture(f).map(|(content_type, body)| (url, content_type, body)),
                _ => None,
            }
        })
        .buffer_unordered(options.concurrency.max(1));
    let mut report = ImageReport::default();
    // Stored as they arrive, a few at a time: memory holds a batch, not every picture, and
    // one transaction per batch instead of per picture.
    let mut batch = Vec::new();
    let mut batch_bytes = 0;
    let flush = |batch: &mut Vec<(String, String, Vec<u8>)>| {
        let pictures = batch.iter().map(|(url, content_type, bytes)| (url.as_str(), content_type.as_str(), bytes.as_slice()));
        let stored = crate::locks::lock(store).put_images(pictures, now);
        batch.clear();
        stored
    };
    while let Some(download) = downloads.next().await {
        match download {
            Some(picture) => {
                report.fetched += 1;
                report.bytes += picture.2.len() as u64;
                batch_bytes += picture.2.len();
                batch.push(picture);
                if batch.len() >= STORE_BATCH_PICTURES || batch_bytes >= STORE_BATCH_BYTES {
                    flush(&mut batch)?;
                    batch_bytes = 0;
                }
            }
            None => report.failed += 1,
        }
    }
    flush(&mut batch)?;
    let store = crate::locks::lock(store);
    report.evicted_bytes = store.evict_images(options.cap_bytes)?;
    Ok(report)
}

/// A response that is a picture (an `image/*` type and some bytes): its type and bytes.
/// Anything else a picture URL returns (an HTML error page, nothing) is not stored.
pub(crate) fn as_picture(fetched: Fetched) -> Option<(String, Vec<u8>)> {
    let content_type = fetched.content_type.unwrap_or_default();
    (content_type.to_ascii_lowercase().starts_with("image/") && !fetched.body.is_empty()).then_some((content_type, fetched.body))
}
