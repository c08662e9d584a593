//! 16-byte content ids; 128 bits is far beyond any collision a news database could meet,
//! at half the bytes per row of a whole SHA-256. Feed items and whole documents are named
//! by XXH3-128, site pages by the first half of a SHA-256 of their parts (unchanged ones
//! skip sanitising and writing). Nothing rests on an id being hard to forge: only the
//! feed's own server could craft a collision, and so hide its own update until the next.

use sha2::{Digest, Sha256};

/// What a content id is made with.
pub(crate) trait IdDigest: Default {
    fn update(&mut self, bytes: &[u8]);
    fn id(self) -> [u8; 16];
}

impl IdDigest for Sha256 {
    fn update(&mut self, bytes: &[u8]) {
        Digest::update(self, bytes);
    }

    fn id(self) -> [u8; 16] {
        let mut id = [0u8; 16];
        id.copy_from_slice(&self.finalize()[..16]);
        id
    }
}

/// XXH3-128: about ten times SHA-256's speed here (SHA-256 of documents and items was 9 %
/// of a cold sync's listing, BENCHMARKS.md).
#[derive(Default)]
pub(crate) struct Xxh3(xxhash_rust::xxh3::Xxh3Default);

impl IdDigest for Xxh3 {
    fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn id(self) -> [u8; 16] {
        self.0.digest128().to_le_bytes()
    }
}

/// Feeds parts one after another; each ends with a separator, so ("ab", "c") and
/// ("a", "bc") differ.
#[derive(Default)]
pub(crate) struct ContentHash<D: IdDigest>(D);

impl<D: IdDigest> ContentHash<D> {
    pub(crate) fn part(&mut self, bytes: impl AsRef<[u8]>, separator: u8) -> &mut Self {
        self.0.update(bytes.as_ref());
        self.0.update(&[separator]);
        self
    }

    /// Bytes with no separator after them (fixed-width values such as timestamps).
    pub(crate) fn fixed(&mut self, bytes: impl AsRef<[u8]>) -> &mut Self {
        self.0.update(bytes.as_ref());
        self
    }

    pub(crate) fn finish(self) -> [u8; 16] {
        self.0.id()
    }
}

/// The id of a whole document (a feed's bytes): it spares parsing a document seen before.
/// One stored by an earlier version (SHA-256) misses once: that document is parsed again,
/// and its items are recognised by their own ids (`RawItem::id_before_xxh3`).
pub(crate) fn document_hash(body: &[u8]) -> [u8; 16] {
    xxhash_rust::xxh3::xxh3_128(body).to_le_bytes()
}
