-- 0001 (PostgreSQL): the relay's shared tables, for several relay processes on one database.
-- Append-only: a change is a new numbered file, never an edit of this one. The SQLite schema
-- (../0001_init.sql) is the same state; here articles are named by source URL and guid, since
-- each process keeps its own copy of the site (the core's SQLite file) with its own ids.

-- One row per device or browser. Nothing about the reader is kept beyond the push endpoint
-- (or APNs device token) and the alert preferences: no IP address, no account, no dates.
CREATE TABLE relay_subscriptions (
    -- Random and unguessable: the subscriber's only handle to update or unsubscribe.
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('webpush', 'apns')),
    endpoint    TEXT NOT NULL UNIQUE,
    p256dh      TEXT,
    auth        TEXT,
    editions    TEXT[] NOT NULL,
    sections    TEXT[] NOT NULL DEFAULT '{}',
    keywords    TEXT[] NOT NULL DEFAULT '{}',
    quiet_start TEXT,
    quiet_end   TEXT,
    time_zone   TEXT,
    -- Alerts held back by this subscriber's quiet hours, sent later as one summary.
    held        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX relay_subscriptions_editions ON relay_subscriptions USING GIN (editions);
CREATE INDEX relay_subscriptions_held ON relay_subscriptions (id) WHERE held > 0;

-- The breaking-news policy's decisions, per edition. `article` is "<source URL> <guid>".
CREATE TABLE relay_decisions (
    edition    TEXT NOT NULL,
    article    TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('sent', 'held', 'summarized')),
    decided_at BIGINT NOT NULL,
    PRIMARY KEY (edition, article)
);
CREATE INDEX relay_decisions_held ON relay_decisions (edition) WHERE state = 'held';

-- Story keys (cover picture, link) announced per edition: no repeat within an edition, and a
-- reader of two editions gets a story once.
CREATE TABLE relay_stories (
    edition    TEXT NOT NULL,
    key        TEXT NOT NULL,
    decided_at BIGINT NOT NULL,
    PRIMARY KEY (edition, key)
);
CREATE INDEX relay_stories_key ON relay_stories (key);

-- Alerts sent per edition, for the hourly rate limit.
CREATE TABLE relay_log (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    edition TEXT NOT NULL,
    sent_at BIGINT NOT NULL
);
CREATE INDEX relay_log_edition ON relay_log (edition, sent_at);

-- The baseline, shared: sources some relay has synced, and the articles it saw there. A
-- process that takes over with an empty copy of the site announces only what none saw.
CREATE TABLE relay_sources (
    url             TEXT PRIMARY KEY,
    first_synced_at BIGINT NOT NULL
);
CREATE TABLE relay_seen (
    article  TEXT PRIMARY KEY,
    -- Seen in a baseline (never news), or as news.
    baseline BOOLEAN NOT NULL,
    seen_at  BIGINT NOT NULL
);
CREATE INDEX relay_seen_at ON relay_seen (seen_at);

-- The relay's own settings (the VAPID key pair: every process signs with the same key).
CREATE TABLE relay_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
