//! The content codings the fetcher asks for (`gzip`, `br`), undone by us rather than by
//! the HTTP client as the body streams in. A feed's body is inflated in its sync's CPU slot,
//! in the order the bodies came: with eight fetches inflating at once on two cores, every
//! document was ready late and the writer sat idle (BENCHMARKS.md, "inflated in order").
//! A whole gzip body is inflated by libdeflate in one call, into a buffer of the size its
//! trailer gives: 2.5 times zlib-rs's pace on our feeds, with no growing buffer. Anything
//! unusual (several gzip members, a trailer that lies, a corrupt stream) goes to flate2's
//! streaming reader, which decides what it is.
//!
//! The decoded body is held to the same byte limit as the bytes on the wire: a small body
//! that inflates to gigabytes (a gzip bomb) stops at the limit.

#![allow(unsafe_code)] // libdeflate over FFI, in `inflate_whole_gzip` alone.

use std::io::Read;

/// What `Accept-Encoding` says: the codings `decode` undoes.
pub(crate) const ACCEPT_ENCODING: &str = "gzip, br";

/// How a fetched body is encoded (`Content-Encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentCoding {
    Identity,
    Gzip,
    Brotli,
}

impl ContentCoding {
    /// A coding we asked for; anything else is taken as the body itself, as the HTTP
    /// client did (servers send `Content-Encoding: utf-8` and worse for plain bodies).
    pub(crate) fn from_header(value: Option<&str>) -> Self {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            Some("gzip" | "x-gzip") => Self::Gzip,
            Some("br") => Self::Brotli,
            _ => Self::Identity,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// The decoded body passed the limit.
    TooLarge,
    /// Not a valid stream of its coding.
    Corrupt { coding: &'static str, message: String },
}

/// About how many bytes `body` decodes to (for the document budget, before decoding):
/// exact for a single gzip member, never over `limit`.
pub(crate) fn decoded_len_hint(coding: ContentCoding, body: &[u8], limit: u64) -> usize {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    match coding {
        ContentCoding::Identity => body.len(),
        ContentCoding::Gzip => gzip_trailer_size(body).map_or(body.len(), |n| n.min(limit)),
        // Brotli states no size; text usually shrinks four to eight times.
        ContentCoding::Brotli => body.len().saturating_mul(6).min(limit),
    }
}

/// `body` decoded, at most `limit` bytes of it.
pub(crate) fn decode(coding: ContentCoding, body: Vec<u8>, limit: u64) -> Result<Vec<u8>, DecodeError> {
    match coding {
        ContentCoding::Identity => Ok(body),
        // An empty body is empty in any coding (a server that labels a 200 with no body).
        _ if body.is_empty() => Ok(body),
        ContentCoding::Gzip => match inflate_whole_gzip(&body, limit) {
            Some(decoded) => Ok(decoded),
            None => read_limited(flate2::read::MultiGzDecoder::new(&body[..]), limit, "gzip"),
        },
        ContentCoding::Brotli => read_limited(brotli_decompressor::Decompressor::new(&body[..], 64 * 1024), limit, "brotli"),
    }
}

/// The uncompressed size a gzip body's last member states (RFC 1952's ISIZE, modulo 2³²).
fn gzip_trailer_size(body: &[u8]) -> Option<usize> {
    // Header (10 bytes), an empty deflate block (2), trailer (8).
    if body.len() < 20 {
        return None;
    }
    let trailer: [u8; 4] = body[body.len() - 4..].try_into().ok()?;
    usize::try_from(u32::from_le_bytes(trailer)).ok()
}

/// A body of exactly one gzip member whose trailer tells its size, inflated in one call;
/// `None` for anything else (the streaming reader then decides).
fn inflate_whole_gzip(body: &[u8], limit: u64) -> Option<Vec<u8>> {
    let size = gzip_trailer_size(body)?;
    if size as u64 > limit {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(size);
    crate::malloc::prefer_huge_pages(&mut out);
    let (mut read, mut written) = (0usize, 0usize);
    // SAFETY: libdeflate reads `body.len()` bytes of `body` and writes at most `size` bytes
    // into `out`'s spare capacity (which is `size` bytes), reporting how many in `written`;
    // the decompressor is freed on every path.
    let result = unsafe {
        let decompressor = libdeflate_sys::libdeflate_alloc_decompressor();
        if decompressor.is_null() {
            return None;
        }
        let result = libdeflate_sys::libdeflate_gzip_decompress_ex(
            decompressor,
            body.as_ptr().cast(),
            body.len(),
            out.as_mut_ptr().cast(),
            size,
            &mut read,
            &mut written,
        );
        libdeflate_sys::libdeflate_free_decompressor(decompressor);
        result
    };
    // Another member after the first (or anything else) is left to the streaming reader.
    if result != libdeflate_sys::libdeflate_result_LIBDEFLATE_SUCCESS || read != body.len() || written != size {
        return None;
    }
    // SAFETY: libdeflate wrote `written` (== `size` == capacity) initialised bytes.
    unsafe { out.set_len(written) };
    Some(out)
}

fn read_limited(reader: impl Read, limit: u64, coding: &'static str) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Corrupt { coding, message: e.to_string() })?;
    if out.len() as u64 > limit {
        return Err(DecodeError::TooLarge);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn brotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        writer.write_all(data).unwrap();
        drop(writer);
        out
    }

    fn feed_text(items: usize) -> Vec<u8> {
        let mut text = String::from("<rss><channel>");
        for i in 0..items {
            text.push_str(&format!("<item><title>Xəbər {i}</title><description>Бакı &amp; news {i}</description></item>"));
        }
        text.push_str("</channel></rss>");
        text.into_bytes()
    }

    #[test]
    fn a_gzip_body_decodes_to_what_the_streaming_reader_reads() {
        for items in [0, 1, 7, 300, 5000] {
            let text = feed_text(items);
            let body = gzip(&text);
            assert!(inflate_whole_gzip(&body, u64::MAX).is_some(), "one member: the one-call path");
            assert_eq!(decode(ContentCoding::Gzip, body.clone(), 10 << 20).unwrap(), text);
            assert_eq!(read_limited(flate2::read::MultiGzDecoder::new(&body[..]), 10 << 20, "gzip").unwrap(), text);
        }
    }

    #[test]
    fn every_member_of_a_multi_member_gzip_body_is_kept() {
        // Two members: libdeflate alone would stop after the first.
        let (first, second) = (feed_text(3), feed_text(4));
        let mut body = gzip(&first);
        body.extend(gzip(&second));
        assert!(inflate_whole_gzip(&body, u64::MAX).is_none());
        assert_eq!(decode(ContentCoding::Gzip, body, 10 << 20).unwrap(), [first, second].concat());
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit_whatever_its_trailer_says() {
        let text = vec![b' '; 4 << 20];
        let body = gzip(&text);
        assert_eq!(decode(ContentCoding::Gzip, body.clone(), 1 << 20), Err(DecodeError::TooLarge));
        // A trailer that claims a small size: the one-call path fails, the reader stops at the limit.
        let mut lying = body;
        let n = lying.len();
        lying[n - 4..].copy_from_slice(&100u32.to_le_bytes());
        assert_eq!(decode(ContentCoding::Gzip, lying, 1 << 20), Err(DecodeError::TooLarge));
        // Exactly at the limit is allowed.
        assert_eq!(decode(ContentCoding::Gzip, gzip(&text), 4 << 20).map(|d| d.len()), Ok(4 << 20));
    }

    #[test]
    fn a_corrupt_or_cut_gzip_body_is_an_error_not_a_partial_document() {
        let body = gzip(&feed_text(200));
        let cut = body[..body.len() / 2].to_vec();
        assert!(matches!(decode(ContentCoding::Gzip, cut, 10 << 20), Err(DecodeError::Corrupt { coding: "gzip", .. })));
        let mut flipped = body.clone();
        flipped[body.len() / 2] ^= 0x55;
        assert!(matches!(decode(ContentCoding::Gzip, flipped, 10 << 20), Err(DecodeError::Corrupt { .. })));
        assert!(matches!(decode(ContentCoding::Gzip, b"<rss>not gzip at all</rss>".to_vec(), 10 << 20), Err(DecodeError::Corrupt { .. })));
    }

    #[test]
    fn brotli_bodies_decode_and_stop_at_the_limit() {
        let text = feed_text(500);
        assert_eq!(decode(ContentCoding::Brotli, brotli(&text), 10 << 20).unwrap(), text);
        assert_eq!(decode(ContentCoding::Brotli, brotli(&vec![b'a'; 3 << 20]), 1 << 20), Err(DecodeError::TooLarge));
        assert!(matches!(decode(ContentCoding::Brotli, b"\xff\xff\xff not brotli".to_vec(), 10 << 20), Err(DecodeError::Corrupt { coding: "brotli", .. })));
    }

    #[test]
    fn empty_and_unencoded_bodies_pass_through() {
        assert_eq!(decode(ContentCoding::Gzip, Vec::new(), 10).unwrap(), b"");
        assert_eq!(decode(ContentCoding::Brotli, Vec::new(), 10).unwrap(), b"");
        assert_eq!(decode(ContentCoding::Identity, b"plain".to_vec(), 10).unwrap(), b"plain");
        assert_eq!(ContentCoding::from_header(Some(" GZIP ")), ContentCoding::Gzip);
        assert_eq!(ContentCoding::from_header(Some("x-gzip")), ContentCoding::Gzip);
        assert_eq!(ContentCoding::from_header(Some("br")), ContentCoding::Brotli);
        assert_eq!(ContentCoding::from_header(Some("utf-8")), ContentCoding::Identity);
        assert_eq!(ContentCoding::from_header(None), ContentCoding::Identity);
    }

    #[test]
    fn the_budget_hint_is_the_trailer_size_within_the_limit() {
        let text = feed_text(100);
        let body = gzip(&text);
        assert_eq!(decoded_len_hint(ContentCoding::Gzip, &body, u64::MAX), text.len());
        assert_eq!(decoded_len_hint(ContentCoding::Gzip, &body, 1000), 1000);
        assert_eq!(decoded_len_hint(ContentCoding::Identity, &body, 10), body.len());
    }
}
