-- 0007: an article is listable as soon as its feed is parsed (title, summary, date,
-- section, picture); its body is sanitised afterwards (Store::sanitize_pending). Until
-- then the body waits here as the feed sent it. No reader query reads this table: a body
-- reaches `articles.content_html` only through sanitize_html (ARCHITECTURE.md). The
-- article keeps NULL (new) or its previous sanitised body (updated) meanwhile, and joins
-- the index queue when its body is in. A sync that dies in between leaves the rows here
-- for the next one.
CREATE TABLE pending_bodies (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    html TEXT NOT NULL,
    -- The URL relative links in `html` resolve against.
    base TEXT NOT NULL
);
