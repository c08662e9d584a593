-- 0004: what the breaking-news policy decided, so restarts and re-syncs never repeat it.
-- Keyed by article id without a foreign key: a decision outlives the article's retention.
CREATE TABLE notified_articles (
    article_id INTEGER PRIMARY KEY,
    state      TEXT NOT NULL CHECK (state IN ('sent', 'held', 'summarized')),
    decided_at INTEGER NOT NULL
);
CREATE INDEX notified_articles_held ON notified_articles (state) WHERE state = 'held';

-- Story keys (cover picture, canonical link) already alerted, to catch the same story in
-- another edition.
CREATE TABLE notified_stories (
    key        TEXT PRIMARY KEY,
    decided_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Every notification shown (articles and summaries), for the hourly rate limit.
CREATE TABLE notification_log (
    id      INTEGER PRIMARY KEY,
    sent_at INTEGER NOT NULL
);
