-- The mirror as a rowid table with a unique index on the key, instead of a WITHOUT ROWID table
-- clustered on (source, entity_type, entity_id). Rows carry the provider's whole JSON (hundreds of
-- bytes), and SQLite's own advice is that WITHOUT ROWID suits small rows: a listing, which arrives
-- in modification order and so in random key order, split and rewrote a clustered leaf for nearly
-- every row. Measured with the mirror's own statements on 300,000 rows in random key order: 20,000
-- rows/s before, 44,000 after (docs/benchmarks.md).
CREATE TABLE mirror_entity_by_rowid (
    source             TEXT    NOT NULL,
    entity_type        TEXT    NOT NULL,
    entity_id          TEXT    NOT NULL,
    data               TEXT,              -- the provider's JSON object; NULL once deleted
    remote_modified_at INTEGER,           -- the provider's modification time of the copy (of the last live copy, once deleted)
    synced_at          INTEGER NOT NULL,
    deleted            INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    listed_in_pass     INTEGER            -- the last reconcile pass whose listing contained the entity
) STRICT;
INSERT INTO mirror_entity_by_rowid (source, entity_type, entity_id, data, remote_modified_at, synced_at, deleted, listed_in_pass)
    SELECT source, entity_type, entity_id, data, remote_modified_at, synced_at, deleted, listed_in_pass
    FROM mirror_entity ORDER BY source, entity_type, entity_id;
DROP TABLE mirror_entity;
ALTER TABLE mirror_entity_by_rowid RENAME TO mirror_entity;
CREATE UNIQUE INDEX mirror_entity_key ON mirror_entity (source, entity_type, entity_id);
