-- 0001: the relay's own tables, beside the core's (same SQLite file). Append-only: a change
-- is a new numbered file, never an edit of this one.

-- One row per device or browser. Nothing about the reader is kept beyond the push endpoint
-- (or APNs device token) and the alert preferences: no IP address, no account, no dates.
CREATE TABLE relay_subscriptions (
    -- Random and unguessable: the subscriber's only handle to update or unsubscribe.
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('webpush', 'apns')),
    endpoint    TEXT NOT NULL UNIQUE,
    p256dh      TEXT,
    auth        TEXT,
    -- JSON arrays.
    editions    TEXT NOT NULL,
    sections    TEXT NOT NULL DEFAULT '[]',
    keywords    TEXT NOT NULL DEFAULT '[]',
    quiet_start TEXT,
    quiet_end   TEXT,
    time_zone   TEXT,
    -- Alerts held back by this subscriber's quiet hours, sent later as one summary.
    held        INTEGER NOT NULL DEFAULT 0
);

-- The breaking-news policy's decisions, per edition (the core's tables hold one reader's).
CREATE TABLE relay_decisions (
    edition    TEXT NOT NULL,
    article_id INTEGER NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('sent', 'held', 'summarized')),
    decided_at INTEGER NOT NULL,
    PRIMARY KEY (edition, article_id)
);

-- Story keys (cover picture, link) announced per edition: no repeat within an edition, and a
-- reader of two editions gets a story once.
CREATE TABLE relay_stories (
    edition    TEXT NOT NULL,
    key        TEXT NOT NULL,
    decided_at INTEGER NOT NULL,
    PRIMARY KEY (edition, key)
) WITHOUT ROWID;
CREATE INDEX relay_stories_key ON relay_stories (key);

-- Alerts sent per edition, for the hourly rate limit.
CREATE TABLE relay_log (
    id      INTEGER PRIMARY KEY,
    edition TEXT NOT NULL,
    sent_at INTEGER NOT NULL
);
CREATE INDEX relay_log_edition ON relay_log (edition, sent_at);
