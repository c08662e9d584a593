-- 0002: pictures stored for offline reading.

CREATE TABLE images (
    url          TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    size         INTEGER NOT NULL,
    fetched_at   INTEGER NOT NULL
);

-- Sizes without reading the blobs (stats and eviction scan this, not the table).
CREATE INDEX images_by_size ON images (size);

-- Which articles show which pictures (cover and body). Images outlive their articles
-- until eviction, which takes orphans first.
CREATE TABLE article_images (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    PRIMARY KEY (article_id, url)
) WITHOUT ROWID;
CREATE INDEX article_images_by_url ON article_images (url);
