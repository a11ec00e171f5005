-- When each copy was observed: the moment the fetch response or the listing page that carried it was
-- received (for a tombstone, the moment the entity was seen gone), in integer milliseconds, UTC, from
-- the writing process's clock. Providers stamp modification times in whole seconds (Precoro,
-- e-conomic) or milliseconds (Kladana), so two versions of one entity can share a time; of two such
-- copies the one observed later is the newer, whichever is written first. NULL on rows written before
-- this column: their synced_at stands in for it (it is never earlier than their observation).
ALTER TABLE mirror_entity ADD COLUMN observed_at INTEGER;
