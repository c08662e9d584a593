-- 0010: the full-text index keeps no copy of the text it indexes (`content=''`). Every
-- article's title, summary and body text were stored twice, once in `articles` and once in
-- `articles_fts_content`: a third of what a cold sync wrote, and about a quarter of the
-- index's CPU (BENCHMARKS.md, "an index without its own copy of the text").
-- `contentless_delete=1` lets a row be deleted by rowid alone (the trigger below, and
-- `write_source` before an update). Snippets are made from the article itself when a search
-- shows it, as FTS5's snippet() made them (store/snippet.rs), so nothing a reader sees changes.
-- The rows are copied from the old index, text as it was indexed, so search finds
-- everything it found before, at once (no re-indexing in the background).
DROP TRIGGER articles_fts_delete;
ALTER TABLE articles_fts RENAME TO articles_fts_with_text;
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body, folded,
    tokenize = 'unicode61 remove_diacritics 2',
    content = '', contentless_delete = 1
);
INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', 'bm25(10.0, 3.0, 1.0, 1.0)');
INSERT INTO articles_fts (articles_fts, rank) VALUES ('hashsize', 8388608);
INSERT INTO articles_fts (rowid, title, summary, body, folded)
    SELECT rowid, title, summary, body, folded FROM articles_fts_with_text;
DROP TABLE articles_fts_with_text;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.id;
END;
