-- One row per HTTP request that delivered events, referenced by each of its events.
--
-- Until now every event row held its whole request (body base64 in JSON): a Kladana request of
-- 2,000 events stored its body 2,000 times. A request is now stored once, its body as a BLOB.
-- Rows written before this migration keep their event_log.raw_request; new rows leave it NULL.
CREATE TABLE request (
    id          INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    method      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    query       TEXT    NOT NULL,
    headers     TEXT    NOT NULL,   -- JSON object
    body        BLOB    NOT NULL
) STRICT;

-- Requests and their events are appended in one transaction, in the same order, so request ids
-- grow with event ids: pruning can cut both at the same point without an index on this column.
ALTER TABLE event_log ADD COLUMN request_id INTEGER REFERENCES request (id);
