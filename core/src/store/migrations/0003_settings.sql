-- 0003: the reader's settings, as opaque values owned by the host (app or CLI).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
