-- 0008: the newest-first index also holds each article's language and sections, so an
-- edition's sections (Store::sections) and a list filtered by edition or section are
-- decided from the index, without reading rows whose bodies come before those columns.
-- At 100,000 articles the sections of an edition with no articles took 369 ms (every row
-- and its overflow pages), and 10 ms from this index (BENCHMARKS.md).
DROP INDEX articles_by_time;
CREATE INDEX articles_by_time ON articles (published_at DESC, id DESC, language, categories);
