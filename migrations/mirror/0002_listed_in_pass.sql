-- Reconciliation: the last pass whose listing contained each entity, so that a full pass can
-- tombstone the rest (what the provider no longer has).
ALTER TABLE mirror_entity ADD COLUMN listed_in_pass INTEGER;
