//! Pictures for offline reading: after a sync, the cover and body images of the articles it
//! stored are downloaded into the database (checked, capped, deduplicated by URL), then the
//! store is trimmed to its size cap. Stored bodies keep the original URLs; hosts ask
//! `Core::image(url)` for the bytes.

use futures_util::StreamExt;

use crate::error::Result;
use crate::fetch::{FetchOutcome, HttpClient};
use crate::parse::first_img_srcs;
use crate::store::Store;

const STORE_BATCH_PICTURES: usize = 64;
const STORE_BATCH_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct ImageOptions {
    pub enabled: bool,
    pub max_image_bytes: u64,
    /// Total size of stored pictures; least recently read are evicted beyond it.
    pub cap_bytes: u64,
    pub concurrency: usize,
}

impl Default for ImageOptions {
    fn default() -> Self {
        Self { enabled: true, max_image_bytes: 5 * 1024 * 1024, cap_bytes: 500 * 1024 * 1024, concurrency: 4 }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImageReport {
    pub fetched: u32,
    pub failed: u32,
    pub bytes: u64,
    pub evicted_bytes: u64,
}

pub(crate) async fn fetch_for_articles(
    store: &std::sync::Mutex<Store>,
    http: &HttpClient,
    options: ImageOptions,
    article_ids: &[i64],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImageReport> {
    let missing = {
        let store = store.lock().unwrap_or_else(|p| p.into_inner());
        let mut links = Vec::new();
        for &id in article_ids {
            let Some((image_url, content_html)) = store.article_pictures(id)? else { continue };
            let mut urls: Vec<String> = image_url.into_iter().collect();
            urls.extend(first_img_srcs(content_html.as_deref().unwrap_or("")));
            urls.retain(|u| u.starts_with("http://") || u.starts_with("https://"));
            links.extend(urls.into_iter().map(|u| (id, u)));
        }
        store.link_images(&links)?
    };
    let mut downloads = futures_util::stream::iter(missing)
        .map(|url| async move {
            match http.get_once_limited(&url, options.max_image_bytes).await {
                Ok(FetchOutcome::Fetched(f)) => {
                    let content_type = f.content_type.unwrap_or_default();
                    let is_image = content_type.to_ascii_lowercase().starts_with("image/");
                    (is_image && !f.body.is_empty()).then_some((url, content_type, f.body))
                }
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
        let stored = store.lock().unwrap_or_else(|p| p.into_inner()).put_images(pictures, now);
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
    let store = store.lock().unwrap_or_else(|p| p.into_inner());
    report.evicted_bytes = store.evict_images(options.cap_bytes)?;
    Ok(report)
}
