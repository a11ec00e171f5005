/// The queue's SQL, one named statement per operation, so each reads as SQL and the set is easy to
/// review against the indexes in migrations/0001_initial.sql.
enum Statements {
    // MARK: Ingest's path

    /// A duplicate delivery changes nothing (the unique index on (source, delivery_id) refuses it).
    static let appendEvent = """
        INSERT INTO event_log (source, entity_type, entity_id, action, delivery_id, received_at, occurred_at, extras, request_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO NOTHING
        """

    static let appendRequest = """
        INSERT INTO request (received_at, method, path, query, headers, body) VALUES (?, ?, ?, ?, ?, ?)
        """

    /// A request all of whose events were duplicates: nothing refers to it.
    static let dropRequest = "DELETE FROM request WHERE id = ?"

    static let bumpSourceCounter = """
        INSERT INTO source_counter (source, accepted, duplicates, last_delivery_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (source) DO UPDATE SET
            accepted         = accepted + excluded.accepted,
            duplicates       = duplicates + excluded.duplicates,
            last_delivery_at = max(coalesce(last_delivery_at, 0), coalesce(excluded.last_delivery_at, 0))
        """

    // MARK: Folding events into work

    static let foldWatermark = "SELECT folded_through FROM fold_state WHERE id = 1"
    static let advanceFoldWatermark = "UPDATE fold_state SET folded_through = ? WHERE id = 1"

    static let unfoldedEvents = """
        SELECT id, source, entity_type, entity_id, action, received_at, extras
        FROM event_log WHERE id > ? ORDER BY id LIMIT ?
        """

    /// The pending item of the same entity as item `?`, if there is one.
    static let pendingSiblingOf = """
        SELECT id FROM work_item
        WHERE entity = (SELECT entity FROM work_item WHERE id = ?) AND state = 'pending'
        """

    /// Merges new events into a pending item; also used to fold a returning item into its pending sibling.
    static let mergeIntoPendingItem = """
        UPDATE work_item
        SET actions = :actions, event_count = :eventCount, first_event_at = :firstEventAt, last_event_at = :lastEventAt,
            extras = :extras, attempts = :attempts, run_at = :runAt, last_error = :error
        WHERE id = :id
        """

    /// `?` is a JSON array of `[event id, work item id]` pairs.
    static let linkEventsToItems = """
        UPDATE event_log SET work_item_id = json_extract(link.value, '$[1]')
        FROM json_each(?) AS link WHERE event_log.id = json_extract(link.value, '$[0]')
        """

    /// `?` is a JSON array of entity ids.
    static let pendingItemsOfEntities = "SELECT * FROM work_item WHERE state = 'pending' AND entity IN (SELECT value FROM json_each(?))"

    // MARK: Claiming and finishing

    static let expiredLeases = """
        SELECT id FROM work_item WHERE state = 'in_flight' AND lease_expires_at <= ? ORDER BY lease_expires_at
        """

    /// Leases the oldest ready items, skipping entities that another worker holds.
    static let claim = """
        UPDATE work_item
        SET state = 'in_flight', lease_owner = :owner, lease_token = :token, lease_expires_at = :expires
        WHERE id IN (
            SELECT ready.id FROM work_item AS ready
            WHERE ready.state = 'pending' AND ready.run_at <= :now
              AND NOT EXISTS (SELECT 1 FROM work_item AS held WHERE held.state = 'in_flight' AND held.entity = ready.entity)
            ORDER BY ready.run_at, ready.id
            LIMIT :limit)
        RETURNING id
        """

    /// Work items with their entity's key, which is what WorkItem(row:) reads.
    static let itemsWithKeys = """
        SELECT work_item.*, entity.source, entity.entity_type, entity.entity_id
        FROM work_item JOIN entity ON entity.id = work_item.entity
        """

    /// `?` is a JSON array of ids: one cached statement whatever the batch size.
    static let itemsByIDs = itemsWithKeys + " WHERE work_item.id IN (SELECT value FROM json_each(?))"

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

    static let holdsLease = "SELECT 1 FROM work_item WHERE id = ? AND state = 'in_flight' AND lease_token = ?"

    static let backToPending = """
        UPDATE work_item
        SET state = 'pending', run_at = :runAt, attempts = :attempts, last_error = coalesce(:error, last_error),
            lease_token = NULL, lease_expires_at = NULL, finished_at = NULL
        WHERE id = :id
        """

    static let markMerged = """
        UPDATE work_item
        SET state = 'merged', merged_into = :sibling, finished_at = :now, lease_token = NULL, lease_expires_at = NULL
        WHERE id = :id
        """

    /// A retried dead item starts afresh as a new pending item, so the dead one stays on record.
    static let reviveAsNewItem = """
        INSERT INTO work_item (entity, state, actions, event_count, first_event_at, last_event_at, extras, run_at, attempts, created_at)
        SELECT entity, 'pending', actions, event_count, first_event_at, last_event_at, extras, :now, 0, :now
        FROM work_item WHERE id = :id
        RETURNING id
        """

    // MARK: Inspection

    /// The events behind a work item and every item folded into it, directly or not.
    static let eventsOfMergeTree = """
        WITH RECURSIVE tree(id) AS (
            SELECT :id
            UNION
            SELECT work_item.id FROM work_item JOIN tree ON work_item.merged_into = tree.id
        )
        SELECT event_log.*, request.method AS request_method, request.path AS request_path, request.query AS request_query,
               request.headers AS request_headers, request.body AS request_body
        FROM event_log LEFT JOIN request ON request.id = event_log.request_id
        WHERE event_log.work_item_id IN tree ORDER BY event_log.id
        """

    static let workCountsBySource = """
        SELECT entity.source, work_item.state, count(*) AS count
        FROM work_item JOIN entity ON entity.id = work_item.entity
        GROUP BY entity.source, work_item.state
        """

    static let itemsOfEntity = """
        SELECT work_item.id FROM work_item JOIN entity ON entity.id = work_item.entity
        WHERE entity.source = ? AND entity.entity_type = ? AND entity.entity_id = ?
        ORDER BY work_item.id
        """

    /// Per source: when the first pending item that already failed is due again.
    static let nextRetryBySource = """
        SELECT entity.source, min(work_item.run_at) AS next_retry
        FROM work_item JOIN entity ON entity.id = work_item.entity
        WHERE work_item.state = 'pending' AND work_item.attempts > 0
        GROUP BY entity.source
        """

    /// Every running reconcile pass, then the latest finished ones: ten rows in all at most.
    static let passesForStatus = """
        SELECT * FROM reconcile_pass ORDER BY state = 'running' DESC, id DESC LIMIT 10
        """

    static let recordSourceHealth = """
        INSERT INTO source_health (source, circuit, reason, changed_at, retry_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (source) DO UPDATE SET
            circuit = excluded.circuit, reason = excluded.reason, changed_at = excluded.changed_at, retry_at = excluded.retry_at
        """

    /// Event ids are never reused and never pruned past the fold's watermark, so the unfolded events
    /// are counted from the ids alone; pending items are counted on their partial index.
    static let queueDepth = """
        WITH fold AS (SELECT folded_through FROM fold_state WHERE id = 1)
        SELECT
            max(0, coalesce((SELECT max(id) FROM event_log), 0) - (SELECT folded_through FROM fold)) AS unfolded,
            (SELECT received_at FROM event_log WHERE id > (SELECT folded_through FROM fold) ORDER BY id LIMIT 1) AS oldest_unfolded,
            (SELECT count(*) FROM work_item WHERE state = 'pending') AS pending,
            (SELECT min(first_event_at) FROM work_item WHERE state = 'pending') AS oldest_pending
        """

    /// Events not folded yet, per source, with the oldest one's arrival.
    static let unfoldedBySource = """
        SELECT source, count(*) AS count, min(received_at) AS oldest
        FROM event_log WHERE id > (SELECT folded_through FROM fold_state WHERE id = 1)
        GROUP BY source
        """

    /// Events arrive in id order, so the old ones are a prefix of the ids: delete up to the first
    /// event received after the cutoff, never past the fold's watermark (unfolded events are work).
    static let pruneEvents = """
        DELETE FROM event_log
        WHERE id <= (SELECT folded_through FROM fold_state WHERE id = 1)
          AND id < coalesce((SELECT id FROM event_log WHERE received_at >= :cutoff ORDER BY id LIMIT 1), 9223372036854775807)
        """

    /// Requests grow with their events' ids, so after `pruneEvents` the requests before the first
    /// remaining event's request are referenced by nothing; while no event refers to a request at
    /// all, those received before the cutoff go.
    static let pruneRequests = """
        DELETE FROM request
        WHERE id < coalesce(
            (SELECT request_id FROM event_log WHERE request_id IS NOT NULL ORDER BY id LIMIT 1),
            (SELECT coalesce(max(id), 0) + 1 FROM request WHERE received_at < :cutoff))
        """
}
