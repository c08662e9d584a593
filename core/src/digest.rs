//! The 16-byte content id: the first half of a SHA-256. Items, documents and site pages
//! are told apart by it (unchanged ones skip sanitising and writing); 128 bits is far
//! beyond any collision a news database could meet, at half the bytes per row.

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

/// The id of a whole document (a feed's bytes).
pub(crate) fn document_hash(body: &[u8]) -> [u8; 16] {
    let mut id = [0u8; 16];
    id.copy_from_slice(&Sha256::digest(body)[..16]);
    id
}
