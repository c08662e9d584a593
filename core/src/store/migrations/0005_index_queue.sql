-- 0005: articles become listable as soon as their source's transaction commits; the
-- full-text index follows in later transactions (Store::index_pending), off the path that
-- makes a sync's articles visible. A queued article is not yet (re)indexed. The queue
-- lives in the database so a sync that dies between the two steps loses no index rows.
CREATE TABLE index_queue (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE
);

-- Articles stored with their index rows before this version are indexed already.

-- A hash of the last feed document whose items were all stored: the same bytes again
-- (a server without validators) are not parsed again.
ALTER TABLE sources ADD COLUMN body_hash BLOB;

-- FTS5 buffers new index entries in memory up to this many bytes before it writes a
-- segment (default 1 MiB, about 200 articles). Bigger: fewer segments to merge.
INSERT INTO articles_fts (articles_fts, rank) VALUES ('hashsize', 8388608);
