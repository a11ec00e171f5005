/// The queue's SQL, one named statement per operation, so each reads as SQL and the set is easy to
/// review against the indexes in migrations/0001_initial.sql.
enum Statements {
    static let insertEvent = """
        INSERT INTO event_log (source, entity_type, entity_id, action, delivery_id, received_at, occurred_at, extras, raw_request)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO NOTHING
        RETURNING id
        """

    /// Opens the entity's pending item, or merges the event into it. Returns the item's event count.
    static let upsertPendingItem = """
        INSERT INTO work_item (source, entity_type, entity_id, state, actions, event_count, first_event_id, last_event_id,
                               first_event_at, last_event_at, extras, run_at, created_at)
        VALUES (:source, :type, :id, 'pending', :action, 1, :event, :event, :at, :at, :extras, :now, :now)
        ON CONFLICT (source, entity_type, entity_id) WHERE state = 'pending' DO UPDATE SET
            actions       = hooksync_merge_actions(actions, excluded.actions),
            event_count   = event_count + 1,
            first_event_id = coalesce(first_event_id, excluded.first_event_id),
            last_event_id = excluded.last_event_id,
            last_event_at = max(last_event_at, excluded.last_event_at),
            extras        = CASE WHEN excluded.extras IS NULL THEN extras
                                 WHEN extras IS NULL THEN excluded.extras
                                 ELSE json_patch(extras, excluded.extras) END
        RETURNING event_count
        """

    static let bumpSourceCounter = """
        INSERT INTO source_counter (source, accepted, duplicates, last_delivery_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (source) DO UPDATE SET
            accepted         = accepted + excluded.accepted,
            duplicates       = duplicates + excluded.duplicates,
            last_delivery_at = max(coalesce(last_delivery_at, 0), coalesce(excluded.last_delivery_at, 0))
        """

    static let expiredLeases = """
        SELECT id FROM work_item WHERE state = 'in_flight' AND lease_expires_at <= ? ORDER BY id
        """

    /// Leases the oldest ready items, skipping entities that another worker holds.
    static let claim = """
        UPDATE work_item
        SET state = 'in_flight', lease_owner = :owner, lease_token = :token, lease_expires_at = :expires
        WHERE id IN (
            SELECT ready.id FROM work_item AS ready
            WHERE ready.state = 'pending' AND ready.run_at <= :now
              AND NOT EXISTS (
                  SELECT 1 FROM work_item AS held
                  WHERE held.state = 'in_flight' AND held.source = ready.source
                    AND held.entity_type = ready.entity_type AND held.entity_id = ready.entity_id)
            ORDER BY ready.run_at, ready.id
            LIMIT :limit)
        RETURNING *
        """

    static let complete = """
        UPDATE work_item
        SET state = 'done', finished_at = :now, lease_token = NULL, lease_expires_at = NULL
        WHERE id = :id AND state = 'in_flight' AND lease_token = :token
        """

    static let deadLetter = """
        UPDATE work_item
        SET state = 'dead', last_error = :reason, finished_at = :now, lease_token = NULL, lease_expires_at = NULL
        WHERE id = :id AND state = 'in_flight' AND lease_token = :token
        """

    static let extendLease = """
        UPDATE work_item SET lease_expires_at = :expires
        WHERE id = :id AND state = 'in_flight' AND lease_token = :token
        """

    static let holdsLease = """
        SELECT 1 FROM work_item WHERE id = ? AND state = 'in_flight' AND lease_token = ?
        """

    static let pendingItemOfEntity = """
        SELECT * FROM work_item WHERE source = ? AND entity_type = ? AND entity_id = ? AND state = 'pending'
        """

    static let backToPending = """
        UPDATE work_item
        SET state = 'pending', run_at = :runAt, attempts = :attempts, last_error = coalesce(:error, last_error),
            lease_token = NULL, lease_expires_at = NULL, finished_at = NULL
        WHERE id = :id
        """

    static let absorbIntoSibling = """
        UPDATE work_item
        SET actions = :actions, event_count = :eventCount, first_event_at = :firstEventAt, extras = :extras,
            attempts = :attempts, run_at = :runAt, last_error = :error
        WHERE id = :sibling
        """

    static let markMerged = """
        UPDATE work_item
        SET state = 'merged', merged_into = :sibling, finished_at = :now, lease_token = NULL, lease_expires_at = NULL
        WHERE id = :id
        """

    /// A work item and every item folded into it, directly or not.
    static let mergeTree = """
        WITH RECURSIVE tree(id) AS (
            SELECT :id
            UNION
            SELECT work_item.id FROM work_item JOIN tree ON work_item.merged_into = tree.id
        )
        SELECT source, entity_type, entity_id, first_event_id, last_event_id FROM work_item WHERE id IN tree
        """

    /// An item's own events: the entity's events in its run of ids.
    static let eventsInRun = """
        SELECT * FROM event_log
        WHERE source = ? AND entity_type = ? AND entity_id = ? AND id BETWEEN ? AND ?
        ORDER BY id
        """

    /// A retried dead item starts afresh as a new pending item with no events of its own yet, so that
    /// each item's own events stay one unbroken run of the entity's event ids.
    static let reviveAsNewItem = """
        INSERT INTO work_item (source, entity_type, entity_id, state, actions, event_count,
                               first_event_at, last_event_at, extras, run_at, attempts, created_at)
        SELECT source, entity_type, entity_id, 'pending', actions, event_count,
               first_event_at, last_event_at, extras, :now, 0, :now
        FROM work_item WHERE id = :id
        RETURNING id
        """

    static let workCountsBySource = """
        SELECT source, state, count(*) AS count FROM work_item GROUP BY source, state
        """
}
