-- 0009: a waiting body may be kept in a file beside the database (`<db>.bodies/`) instead
-- of in `html`: the sync's parse threads write each document's bodies there in one write,
-- and the single writer thread then stores only where they are, not kilobytes per article
-- through the B-tree and the WAL (BENCHMARKS.md, "bodies beside the database"). Such a row
-- has `html` = '' and `file` set; `file_offset` and `file_length` are bytes in that file.
-- No reader query reads these files either (store/pending.rs).
ALTER TABLE pending_bodies ADD COLUMN file TEXT;
ALTER TABLE pending_bodies ADD COLUMN file_offset INTEGER;
ALTER TABLE pending_bodies ADD COLUMN file_length INTEGER;
-- Which files are still needed, when the sanitiser is done with some.
CREATE INDEX pending_bodies_by_file ON pending_bodies(file) WHERE file IS NOT NULL;
