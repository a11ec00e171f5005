-- The mirror: the latest copy of every synced entity, in its own file (sink.database) so that its
-- writes never wait for, or hold up, the queue's writer. Times are integer milliseconds, UTC.
CREATE TABLE mirror_entity (
    source             TEXT    NOT NULL,
    entity_type        TEXT    NOT NULL,
    entity_id          TEXT    NOT NULL,
    data               TEXT,              -- the provider's JSON object; NULL once deleted
    remote_modified_at INTEGER,           -- the provider's modification time of the copy (of the last live copy, once deleted)
    synced_at          INTEGER NOT NULL,
    deleted            INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    PRIMARY KEY (source, entity_type, entity_id)
) STRICT, WITHOUT ROWID;
