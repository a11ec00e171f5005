-- HookSync's queue. Times are integer milliseconds since the Unix epoch, UTC.
-- Uniqueness rules live in partial unique indexes, so that the database enforces them even when
-- several processes write (the River approach), rather than a read-then-write race in code.

-- Every accepted delivery, kept for the retention window: the trail from a work item back to the
-- requests that caused it, and what a replay re-sends.
CREATE TABLE event_log (
    id            INTEGER PRIMARY KEY,
    source        TEXT    NOT NULL,
    entity_type   TEXT    NOT NULL,
    entity_id     TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    delivery_id   TEXT,
    received_at   INTEGER NOT NULL,
    occurred_at   INTEGER,
    extras        TEXT,               -- JSON object, NULL when empty
    raw_request   TEXT                -- JSON of RawRequest (body base64), NULL when not kept
) STRICT;

-- Exact duplicates: one event per (source, delivery id) while it is retained.
CREATE UNIQUE INDEX event_log_delivery ON event_log (source, delivery_id) WHERE delivery_id IS NOT NULL;
-- Tracing: the events of one entity in arrival order; a work item owns a contiguous run of them.
CREATE INDEX event_log_entity ON event_log (source, entity_type, entity_id, id);
CREATE INDEX event_log_received ON event_log (received_at);

-- Units of work: one entity to fetch and sync, for one or more coalesced events.
CREATE TABLE work_item (
    id               INTEGER PRIMARY KEY,
    source           TEXT    NOT NULL,
    entity_type      TEXT    NOT NULL,
    entity_id        TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'in_flight', 'done', 'dead', 'merged')),
    actions          TEXT    NOT NULL,            -- e.g. 'update,delete': see ActionHistory
    event_count      INTEGER NOT NULL,
    first_event_id   INTEGER,                     -- this item's run of event_log ids for the entity
    last_event_id    INTEGER,
    first_event_at   INTEGER NOT NULL,
    last_event_at    INTEGER NOT NULL,
    extras           TEXT,                        -- JSON object merged from the events
    run_at           INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    lease_owner      TEXT,
    lease_token      INTEGER,
    lease_expires_at INTEGER,
    merged_into      INTEGER,                     -- for state 'merged': the item that took over
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER                      -- when it became done, dead or merged
) STRICT;

-- Coalescing: at most one pending item per entity; new events merge into it (an UPSERT target).
CREATE UNIQUE INDEX work_item_one_pending ON work_item (source, entity_type, entity_id) WHERE state = 'pending';
-- Per-entity order: at most one item per entity held by any worker.
CREATE UNIQUE INDEX work_item_one_in_flight ON work_item (source, entity_type, entity_id) WHERE state = 'in_flight';
-- The claim reads pending items by run-at; the rescue reads held items by lease expiry.
CREATE INDEX work_item_ready ON work_item (run_at, id) WHERE state = 'pending';
CREATE INDEX work_item_lease ON work_item (lease_expires_at) WHERE state = 'in_flight';
CREATE INDEX work_item_finished ON work_item (finished_at) WHERE state IN ('done', 'merged');
CREATE INDEX work_item_dead ON work_item (source, id) WHERE state = 'dead';

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
