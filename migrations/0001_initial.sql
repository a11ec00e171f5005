-- HookSync's queue. Times are integer milliseconds since the Unix epoch, UTC.
--
-- Ingest only appends to event_log (one insert per event, deduplicated by a unique index): the
-- cheapest durable write, on the path that must answer fast. Workers fold new events into
-- work_item (one unit of work per entity) at the start of each claim, in the same transaction.
-- The queue's rules are partial unique indexes, so the database enforces them even when several
-- processes write (the River approach), rather than a read-then-write race in code.

-- Every accepted delivery, kept for the retention window: the trail from a work item back to the
-- requests that caused it. AUTOINCREMENT keeps ids from ever being reused after pruning, which the
-- fold's watermark relies on.
CREATE TABLE event_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    source        TEXT    NOT NULL,
    entity_type   TEXT    NOT NULL,
    entity_id     TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    delivery_id   TEXT,
    received_at   INTEGER NOT NULL,
    occurred_at   INTEGER,
    extras        TEXT,               -- JSON object, NULL when empty
    raw_request   TEXT,               -- JSON of RawRequest (body base64), NULL when not kept
    work_item_id  INTEGER             -- set when the event is folded into a work item
) STRICT;

-- Exact duplicates: one event per (source, delivery id) while it is retained.
CREATE UNIQUE INDEX event_log_delivery ON event_log (source, delivery_id) WHERE delivery_id IS NOT NULL;
-- Tracing a work item back to its deliveries. Written by the fold, not by ingest.
CREATE INDEX event_log_work_item ON event_log (work_item_id) WHERE work_item_id IS NOT NULL;

-- How far the fold has read event_log.
CREATE TABLE fold_state (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    folded_through INTEGER NOT NULL
) STRICT;
INSERT INTO fold_state (id, folded_through) VALUES (1, 0);

-- Every entity the queue has seen, so that work items refer to one by a small integer.
CREATE TABLE entity (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    UNIQUE (source, entity_type, entity_id)
) STRICT;

-- Units of work: one entity to fetch and sync, for one or more coalesced events.
CREATE TABLE work_item (
    id               INTEGER PRIMARY KEY,
    entity           INTEGER NOT NULL REFERENCES entity (id),
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'in_flight', 'done', 'dead', 'merged')),
    actions          TEXT    NOT NULL,            -- e.g. 'update,delete': see ActionHistory
    event_count      INTEGER NOT NULL,
    first_event_at   INTEGER NOT NULL,
    last_event_at    INTEGER NOT NULL,
    extras           TEXT,                        -- JSON object merged from the events
    run_at           INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    lease_owner      TEXT,
    lease_token      INTEGER,
    lease_expires_at INTEGER,
    merged_into      INTEGER,                     -- for state 'merged': the item that took over its work
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER                      -- when it became done, dead or merged
) STRICT;

-- Coalescing: at most one pending item per entity; new events merge into it.
CREATE UNIQUE INDEX work_item_one_pending ON work_item (entity) WHERE state = 'pending';
-- Per-entity order: at most one item per entity held by any worker.
CREATE UNIQUE INDEX work_item_one_in_flight ON work_item (entity) WHERE state = 'in_flight';
-- The claim reads pending items by run-at; the rescue reads held items by lease expiry.
CREATE INDEX work_item_ready ON work_item (run_at, id) WHERE state = 'pending';
CREATE INDEX work_item_lease ON work_item (lease_expires_at) WHERE state = 'in_flight';
CREATE INDEX work_item_finished ON work_item (finished_at) WHERE state IN ('done', 'merged');
CREATE INDEX work_item_dead ON work_item (id) WHERE state = 'dead';
CREATE INDEX work_item_merged_into ON work_item (merged_into) WHERE merged_into IS NOT NULL;

-- Cumulative counters per source: they outlive the event log's retention.
CREATE TABLE source_counter (
    source           TEXT    PRIMARY KEY,
    accepted         INTEGER NOT NULL DEFAULT 0,
    duplicates       INTEGER NOT NULL DEFAULT 0,
    last_delivery_at INTEGER
) STRICT;

-- Requests from authenticated senders that could not be parsed: kept raw, with the reason.
CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    raw_request TEXT    NOT NULL
) STRICT;
CREATE INDEX quarantine_received ON quarantine (received_at);
