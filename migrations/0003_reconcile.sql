-- Reconciliation: watermarks, passes (which are also the lock: one running pass per source and type)
-- and resync requests. Times are integer milliseconds, UTC.

-- Where the next incremental pass of a (source, type) starts listing, before the lookback.
CREATE TABLE reconcile_watermark (
    source      TEXT    NOT NULL,
    entity_type TEXT    NOT NULL,
    watermark   INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (source, entity_type)
) STRICT;

-- Every pass, running or finished. A running row is the lock; its heartbeat says its holder lives,
-- and its resume position (the keyset of the last committed page) lets a successor carry on after a crash.
CREATE TABLE reconcile_pass (
    id            INTEGER PRIMARY KEY,
    source        TEXT    NOT NULL,
    entity_type   TEXT    NOT NULL,
    mode          TEXT    NOT NULL CHECK (mode IN ('incremental', 'since', 'full')),
    state         TEXT    NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
    owner         TEXT    NOT NULL,
    started_at    INTEGER NOT NULL,
    heartbeat_at  INTEGER NOT NULL,
    finished_at   INTEGER,
    listed_from   INTEGER,             -- the lower bound; NULL lists everything
    upper_bound   INTEGER NOT NULL,    -- the pass's start: the watermark never passes it minus max_clock_skew
    resume_since  INTEGER,
    resume_page   INTEGER NOT NULL DEFAULT 0,
    resume_cursor TEXT,
    pages         INTEGER NOT NULL DEFAULT 0,
    listed        INTEGER NOT NULL DEFAULT 0,
    changed       INTEGER NOT NULL DEFAULT 0,
    deleted       INTEGER NOT NULL DEFAULT 0,
    error         TEXT
) STRICT;
CREATE UNIQUE INDEX reconcile_pass_one_running ON reconcile_pass (source, entity_type) WHERE state = 'running';
CREATE INDEX reconcile_pass_recent ON reconcile_pass (started_at);

-- Resyncs asked for through the admin API; the next `hooksync reconcile` runs them.
CREATE TABLE resync_request (
    id           INTEGER PRIMARY KEY,
    source       TEXT    NOT NULL,
    entity_type  TEXT,                 -- NULL: every type under the source's reconcile.types
    since        INTEGER,
    full         INTEGER NOT NULL DEFAULT 0 CHECK (full IN (0, 1)),
    requested_at INTEGER NOT NULL,
    taken_at     INTEGER
) STRICT;
