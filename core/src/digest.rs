//! 16-byte content ids. Items and site pages are told apart by the first half of a SHA-256
//! of their parts (unchanged ones skip sanitising and writing); 128 bits is far beyond any
//! collision a news database could meet, at half the bytes per row. A whole document gets
//! XXH3-128 (below).

use sha2::{Digest, Sha256};

/// Feeds parts one after another; each ends with a separator, so ("ab", "c") and
/// ("a", "bc") differ.
#[derive(Default)]
pub(crate) struct ContentHash(Sha256);

impl ContentHash {
    pub(crate) fn part(&mut self, bytes: impl AsRef<[u8]>, separator: u8) -> &mut Self {
        self.0.update(bytes.as_ref());
        self.0.update([separator]);
        self
    }

    /// Bytes with no separator after them (fixed-width values such as timestamps).
    pub(crate) fn fixed(&mut self, bytes: impl AsRef<[u8]>) -> &mut Self {
        self.0.update(bytes.as_ref());
        self
    }

    pub(crate) fn finish(self) -> [u8; 16] {
        let mut id = [0u8; 16];
        id.copy_from_slice(&self.0.finalize()[..16]);
        id
    }
}

/// The id of a whole document (a feed's bytes): XXH3-128, about ten times SHA-256's speed
/// here (SHA-256 of each document was 4 % of a cold sync's listing, BENCHMARKS.md). It only
/// spares parsing a document seen before; nothing rests on it being hard to forge, as only
/// the feed's own server could craft a collision (and hide its own update until the next).
/// Ids stored by an earlier version (SHA-256) miss once: that document is parsed again and
/// its items, which keep their SHA-256, are found unchanged.
pub(crate) fn document_hash(body: &[u8]) -> [u8; 16] {
    xxhash_rust::xxh3::xxh3_128(body).to_le_bytes()
}
