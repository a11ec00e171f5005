-- What workers last concluded about each source's API (its circuit breaker), so that `hooksync status`,
-- which runs in another process, can show a paused source and why. One row per source; the worker
-- that saw the change writes it.
CREATE TABLE source_health (
    source     TEXT    PRIMARY KEY,
    circuit    TEXT    NOT NULL CHECK (circuit IN ('closed', 'open', 'half_open')),
    reason     TEXT,
    changed_at INTEGER NOT NULL,
    retry_at   INTEGER             -- when an open circuit lets a probe through
) STRICT;
