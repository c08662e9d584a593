-- 0012: the full-text index keeps which columns each word is in, not where in them
-- (`detail=column`). Searching never used the positions: a query is words that must all
-- match (never a phrase of two words, never NEAR), and snippets are made from the article
-- (store/snippet.rs). Writing them was most of the index: at 2,000 articles it is a third
-- the size, and a cold sync on one CPU takes 3-8 % less CPU (BENCHMARKS.md, "an index
-- without positions"). What changes: the ranking (`caliber_bm25`, fts_rank.rs) counts a
-- word once per column it is in (title, summary, body), not once per time it is there.
--
-- The index cannot be converted in place and keeps no text to rebuild from (0010), so it
-- starts empty and every article is queued; `Store::migrate` indexes the queue as soon as
-- the migrations are done (once: 5 s, 6.5 s of CPU, at 100,000 articles on the bench
-- machine), so search finds everything it found before. Articles whose body still waits
-- to be sanitised are queued when it is (pending.rs).
DROP TRIGGER articles_fts_delete;
DROP TABLE articles_fts;
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body, folded,
    tokenize = 'unicode61 remove_diacritics 2',
    content = '', contentless_delete = 1, detail = column
);
INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', 'bm25(10.0, 3.0, 1.0, 1.0)');
INSERT INTO articles_fts (articles_fts, rank) VALUES ('hashsize', 8388608);
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.id;
END;
INSERT OR IGNORE INTO index_queue (article_id)
    SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM pending_bodies) ORDER BY id;
