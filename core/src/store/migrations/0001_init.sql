-- 0001: sources, articles, reader state, full-text index.
-- Times are unix seconds, UTC.

CREATE TABLE sources (
    id                   INTEGER PRIMARY KEY,
    url                  TEXT NOT NULL UNIQUE,
    kind                 TEXT CHECK (kind IN ('feed', 'site')),   -- NULL: detect at first sync
    title                TEXT,
    language             TEXT,
    etag                 TEXT,
    last_modified        TEXT,
    last_sync_at         INTEGER,
    last_status          TEXT CHECK (last_status IN ('ok', 'not_modified', 'error')),
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL
);

CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    guid          TEXT NOT NULL,               -- stable identity within the source
    url           TEXT,                        -- canonical link
    title         TEXT NOT NULL,
    summary       TEXT,                        -- plain text
    content_html  TEXT,                        -- sanitised
    author        TEXT,
    categories    TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
    published_at  INTEGER NOT NULL,            -- first-seen time when the feed gives none
    updated_at    INTEGER,
    image_url     TEXT,
    language      TEXT,
    views         INTEGER,
    is_breaking   INTEGER NOT NULL DEFAULT 0,
    content_hash  BLOB NOT NULL,               -- of the item as fetched, before sanitising
    first_seen_at INTEGER NOT NULL,
    UNIQUE (source_id, guid)
);
CREATE INDEX articles_by_time ON articles (published_at DESC, id DESC);
CREATE INDEX articles_by_source_time ON articles (source_id, published_at DESC);
CREATE INDEX articles_by_url ON articles (url);

-- What the reader did. Sync never writes here.
CREATE TABLE article_state (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    read       INTEGER NOT NULL DEFAULT 0,
    read_at    INTEGER,
    saved      INTEGER NOT NULL DEFAULT 0,
    saved_at   INTEGER
);
CREATE INDEX article_state_saved ON article_state (saved) WHERE saved = 1;

-- Full-text index; rowid = articles.id. Inserts and updates are written by the store in
-- the article's own transaction (cheaper than a trigger); deletes follow by trigger so a
-- cascade from a removed source cannot leave stale rows.
-- `folded`: the words of the article that hold letters unicode61 does not fold (Azerbaijani
-- ı/İ, Russian ё), spelled with i and е, so "baki" finds "Bakı" and "елка" finds "Ёлка".
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body, folded,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', 'bm25(10.0, 3.0, 1.0, 1.0)');

-- Articles removed by retention, so a feed that still lists them does not bring them back.
CREATE TABLE pruned_articles (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    guid      TEXT NOT NULL,
    pruned_at INTEGER NOT NULL,
    PRIMARY KEY (source_id, guid)
) WITHOUT ROWID;

CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.id;
END;
