-- Where the mirror stood when each full reconcile pass began: its largest rowid then, or 0 when it
-- held no row of the pass's (source, entity_type). A row above that rowid was written after the pass
-- began, by the pass's own listing or by the worker, so it is never the pass's to tombstone, and the
-- pass's closing scan for unlisted rows skips it: a first full resync into an empty mirror scans
-- nothing. The row goes when that scan has run. Keyed by the pass's id and start, so a pass of a
-- queue database made anew (whose ids start again) never meets an old pass's row.
CREATE TABLE mirror_full_pass (
    pass            INTEGER NOT NULL,
    pass_started_at INTEGER NOT NULL,
    source          TEXT    NOT NULL,
    entity_type     TEXT    NOT NULL,
    rowid_bound     INTEGER NOT NULL,
    PRIMARY KEY (pass, pass_started_at)
) STRICT;
