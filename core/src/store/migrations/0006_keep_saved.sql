-- 0006: what the reader saved outlives its source.
-- A removed source that still has saved articles stays as a tombstone (`removed_at` set):
-- neither listed nor synced, but its saved articles, their pictures and read marks stay.
-- Re-adding its URL brings it back.
ALTER TABLE sources ADD COLUMN removed_at INTEGER;

-- No statement, cascade or retention may delete a saved article: the reader unsaves it first.
CREATE TRIGGER saved_articles_are_kept BEFORE DELETE ON articles
WHEN EXISTS (SELECT 1 FROM article_state WHERE article_id = old.id AND saved = 1)
BEGIN
    SELECT RAISE(ABORT, 'a saved article cannot be deleted');
END;
