//! Card thumbnails. A web view decodes a picture at its full size whatever box it is shown
//! in: a cover of 800×450 costs 1.4 MB of the web process's memory for a 112-pixel card, and
//! a list scrolled through keeps a screenful and more of them (BENCHMARKS.md, the app at
//! 100k articles). Scaled here to the card's box they cost a few KB each, decoded once.
//!
//! Decoding untrusted bytes is bounded: dimensions and allocation are capped, and anything
//! that cannot be decoded within them (or needs no scaling) is `None`, so the host serves
//! the original picture as before.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// Box widths served, in device pixels: a 112 CSS-pixel card at device pixel ratio 1–4.
/// Any other request is rounded up to one of these, so the cache holds few variants.
pub const WIDTHS: [u32; 4] = [112, 224, 336, 448];

/// Cards are 4:3; a thumbnail covers that box (the card crops it, `object-fit: cover`).
const BOX_HEIGHT_PER_WIDTH: f64 = 0.75;
/// Scaling by less than this saves too little to be worth a decode.
const WORTH_SCALING: f64 = 0.85;
const MAX_SIDE: u32 = 8192;
const MAX_DECODE_BYTES: u64 = 64 * 1024 * 1024;
const JPEG_QUALITY: u8 = 82;

/// The served width for a requested one (at least the request, at most the largest).
pub fn box_width(requested: u32) -> u32 {
    WIDTHS.into_iter().find(|&w| w >= requested).unwrap_or(WIDTHS[WIDTHS.len() - 1])
}

/// A thumbnail of `bytes` covering a `box_width` × ¾ box: `(content type, bytes)`, JPEG (PNG
/// when the picture has transparency). `None` when the picture is small enough already, is
/// not PNG, JPEG, GIF or WebP, or does not decode within the bounds.
pub fn thumbnail(bytes: &[u8], box_width: u32) -> Option<(&'static str, Vec<u8>)> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?;
    if !matches!(reader.format()?, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP) {
        return None;
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    // The limits are checked against the header before any pixel buffer is allocated.
    let picture = reader.decode().ok()?;
    let (width, height) = (picture.width(), picture.height());
    let scale = cover_scale(width, height, box_width)?;
    let target_w = ((f64::from(width) * scale).ceil() as u32).max(1);
    let target_h = ((f64::from(height) * scale).ceil() as u32).max(1);
    let small = picture.thumbnail_exact(target_w, target_h);
    encode(small)
}

/// A stored thumbnail's content type as `thumbnail` names it.
pub fn served_type(stored: &str) -> &'static str {
    if stored == "image/png" { "image/png" } else { "image/jpeg" }
}

/// The factor that makes `width`×`height` just cover the box, if it shrinks the picture
/// enough to be worth it.
fn cover_scale(width: u32, height: u32, box_width: u32) -> Option<f64> {
    if width == 0 || height == 0 {
        return None;
    }
    let box_height = f64::from(box_width) * BOX_HEIGHT_PER_WIDTH;
    let scale = (f64::from(box_width) / f64::from(width)).max(box_height / f64::from(height));
    (scale <= WORTH_SCALING).then_some(scale)
}

fn encode(picture: DynamicImage) -> Option<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let content_type = if picture.color().has_alpha() {
        picture.into_rgba8().write_to(&mut Cursor::new(&mut out), ImageFormat::Png).ok()?;
        "image/png"
    } else {
        let rgb = picture.into_rgb8();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).encode_image(&rgb).ok()?;
        "image/jpeg"
    };
    // The cache counts a thumbnail by its length; the encoder's growth left up to twice that.
    out.shrink_to_fit();
    Some((content_type, out))
}

/// Thumbnails made since start, by (picture URL, box width), within a byte budget: a list
/// scrolled back over is served without decoding again. Least recently used go first.
pub struct ThumbnailCache {
    budget_bytes: usize,
    inner: Mutex<CacheInner>,
}

/// What the cache holds for a picture: its thumbnail, or that the original is to be served.
pub type Cached = Option<(&'static str, Arc<Vec<u8>>)>;

#[derive(Default)]
struct CacheInner {
    entries: HashMap<(String, u32), (Cached, u64)>,
    bytes: usize,
    tick: u64,
}

impl ThumbnailCache {
    pub fn new(budget_bytes: usize) -> Self {
        Self { budget_bytes, inner: Mutex::new(CacheInner::default()) }
    }

    pub fn get(&self, url: &str, width: u32) -> Option<Cached> {
        let mut inner = crate::locks::lock(&self.inner);
        inner.tick += 1;
        let tick = inner.tick;
        let entry = inner.entries.get_mut(&(url.to_owned(), width))?;
        entry.1 = tick;
        Some(entry.0.clone())
    }

    pub fn put(&self, url: &str, width: u32, value: Cached) {
        let size = value.as_ref().map_or(0, |(_, b)| b.len()) + url.len() + 64;
        let mut inner = crate::locks::lock(&self.inner);
        inner.tick += 1;
        let tick = inner.tick;
        if let Some((old, _)) = inner.entries.insert((url.to_owned(), width), (value, tick)) {
            inner.bytes -= old.as_ref().map_or(0, |(_, b)| b.len()) + url.len() + 64;
        }
        inner.bytes += size;
        while inner.bytes > self.budget_bytes && inner.entries.len() > 1 {
            let Some(oldest) = inner.entries.iter().min_by_key(|(_, (_, t))| *t).map(|(k, _)| k.clone()) else { break };
            if let Some((gone, _)) = inner.entries.remove(&oldest) {
                inner.bytes -= gone.as_ref().map_or(0, |(_, b)| b.len()) + oldest.0.len() + 64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(width: u32, height: u32, format: ImageFormat, alpha: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let image = if alpha {
            DynamicImage::ImageRgba8(image::RgbaImage::from_fn(width, height, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 128])))
        } else {
            DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])))
        };
        image.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    fn dimensions(bytes: &[u8]) -> (u32, u32) {
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().unwrap().into_dimensions().unwrap()
    }

    #[test]
    fn a_cover_is_scaled_to_just_cover_the_card_box() {
        let cover = picture(800, 450, ImageFormat::Png, false);
        let (content_type, small) = thumbnail(&cover, 224).expect("scaled");
        assert_eq!(content_type, "image/jpeg");
        // 16:9 into a 224×168 box: the height decides.
        assert_eq!(dimensions(&small), (299, 168));
        let (_, portrait) = thumbnail(&picture(600, 1200, ImageFormat::Jpeg, false), 112).unwrap();
        assert_eq!(dimensions(&portrait), (112, 224));
    }

    #[test]
    fn a_thumbnail_holds_no_more_memory_than_the_cache_counts() {
        // The cache's budget counts each thumbnail by its length.
        for alpha in [false, true] {
            let (_, small) = thumbnail(&picture(800, 450, ImageFormat::Png, alpha), 224).unwrap();
            assert_eq!(small.capacity(), small.len(), "alpha: {alpha}");
        }
    }

    #[test]
    fn transparency_is_kept_as_png() {
        let (content_type, small) = thumbnail(&picture(640, 480, ImageFormat::Png, true), 112).unwrap();
        assert_eq!(content_type, "image/png");
        assert_eq!(dimensions(&small), (112, 84));
    }

    #[test]
    fn small_pictures_and_what_does_not_decode_are_served_as_they_are() {
        assert!(thumbnail(&picture(240, 180, ImageFormat::Png, false), 224).is_none(), "no upscaling or near-size work");
        assert!(thumbnail(b"<svg xmlns='http://www.w3.org/2000/svg'/>", 224).is_none());
        assert!(thumbnail(b"\x89PNG\r\n\x1a\ntruncated", 224).is_none());
        let mut cut = picture(800, 600, ImageFormat::Png, false);
        cut.truncate(cut.len() / 2);
        assert!(thumbnail(&cut, 224).is_none());
    }

    #[test]
    fn a_picture_claiming_huge_dimensions_is_not_decoded() {
        // A PNG header saying 60,000 × 60,000 (a decompression bomb's claim): refused before
        // any pixel buffer is allocated.
        let mut bomb = picture(16, 16, ImageFormat::Png, false);
        bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        assert!(thumbnail(&bomb, 224).is_none());
    }

    #[test]
    fn requested_widths_round_up_to_a_served_one() {
        assert_eq!(box_width(1), 112);
        assert_eq!(box_width(112), 112);
        assert_eq!(box_width(150), 224);
        assert_eq!(box_width(9999), 448);
    }

    #[test]
    fn the_cache_keeps_the_recently_used_within_its_budget() {
        let cache = ThumbnailCache::new(3 * 1000 + 3 * (5 + 64));
        for url in ["a://1", "a://2", "a://3"] {
            cache.put(url, 224, Some(("image/jpeg", Arc::new(vec![0; 1000]))));
        }
        assert!(cache.get("a://1", 224).is_some(), "touched: now the most recent");
        cache.put("a://4", 224, Some(("image/jpeg", Arc::new(vec![0; 1000]))));
        assert!(cache.get("a://2", 224).is_none(), "the least recently used went");
        assert!(cache.get("a://1", 224).is_some());
        assert!(cache.get("a://4", 224).is_some());
        cache.put("a://5", 112, None);
        assert_eq!(cache.get("a://5", 112), Some(None), "'serve the original' is remembered too");
    }
}
