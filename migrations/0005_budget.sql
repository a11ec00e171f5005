-- Provider API budgets shared by every process on this database (issue 29): see BudgetStore in
-- HookSyncCore for what they mean. One row per source that has asked for a request, holding the
-- grant sequence, the limits last asked with (for status) and a pause a provider asked for.
CREATE TABLE budget_source (
    source       TEXT    PRIMARY KEY,
    last_seq     INTEGER NOT NULL DEFAULT 0,
    windows      TEXT    NOT NULL DEFAULT '',   -- "1/1s, 1500/1h, 3000/1d" as last asked
    max_parallel INTEGER NOT NULL DEFAULT 1,
    paused_until INTEGER,                        -- ms since 1970; no grant before it
    pause_reason TEXT
) STRICT;

-- The sliding log: one row per granted request, numbered per source in the order granted. The
-- N-th most recent grant is the row `last_seq - N + 1`, found by the primary key, so checking a
-- window of 50,000 costs one index lookup, not a count. Rows older than the largest window's N
-- are deleted as new ones come.
CREATE TABLE budget_grant (
    source     TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    granted_at INTEGER NOT NULL,                 -- ms since 1970
    PRIMARY KEY (source, seq)
) STRICT, WITHOUT ROWID;

-- Parallel slots, held like leases: a slot counts until released or until it expires, so a killed
-- process's slots come back by themselves.
CREATE TABLE budget_slot (
    id         INTEGER PRIMARY KEY,
    source     TEXT    NOT NULL,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL                  -- ms since 1970
) STRICT;

CREATE INDEX budget_slot_by_source ON budget_slot (source, expires_at);
