-- 0011: card thumbnails kept with their picture. Made on a card's first showing (decode,
-- scale, encode: about 45 ms of CPU per launch of the bench's app, BENCHMARKS.md), they
-- were kept in memory only, so every launch made its first screenful's again.
-- `content_type` NULL: the picture is served as it is (small already, or not scaled here).
-- A thumbnail goes with its picture: evicted, or replaced by a new download (REPLACE
-- deletes the old row, and the cascade with it).
CREATE TABLE thumbnails (
    url          TEXT NOT NULL REFERENCES images(url) ON DELETE CASCADE,
    width        INTEGER NOT NULL,
    content_type TEXT,
    bytes        BLOB,
    PRIMARY KEY (url, width)
) WITHOUT ROWID;
