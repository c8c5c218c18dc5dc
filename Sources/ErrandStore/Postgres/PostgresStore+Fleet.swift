import ErrandCore
import Foundation
import PostgresNIO

/// The fleet's agreements (``FleetStore``) in SQL: each is one statement or one transaction, decided by keys and
/// conditional updates, with the database's `now()` as the only clock.
extension PostgresStore: FleetStore {
    /// The finished states, as SQL literals (the partial index `runs_unfinished_by_instance` uses the same list).
    static let finishedList = RunState.allCases.filter(\.isFinished).map { "'\($0.rawValue)'" }.joined(separator: ", ")

    public func register(_ instance: InstanceRecord, deadAfter: Duration) async throws {
        let seconds = deadAfter.seconds
        try await transaction { connection in
            let holders = try await connection.query(
                """
                SELECT node, address, EXTRACT(EPOCH FROM now() - heartbeat_at)::float8 FROM instances
                WHERE name = \(instance.name) AND state <> 'dead' AND node <> \(instance.node)
                    AND heartbeat_at > now() - make_interval(secs => \(seconds))
                FOR UPDATE
                """, logger: quiet
            ).collect()
            if let holder = holders.first {
                let (node, address, age) = try holder.decode((String, String, Double).self)
                throw ErrandError.conflict(
                    "the instance name '\(instance.name)' is taken by a live daemon at \(address) (node \(node), heartbeat \(Int(age)) s ago); give this one another --instance"
                )
            }
            try await connection.query(
                """
                INSERT INTO instances (name, incarnation, node, address, version, started_at, heartbeat_at, state)
                VALUES (\(instance.name), \(instance.incarnation), \(instance.node), \(instance.address), \(instance.version),
                    \(instance.startedAt), now(), 'alive')
                ON CONFLICT (name) DO UPDATE SET incarnation = excluded.incarnation, node = excluded.node,
                    address = excluded.address, version = excluded.version, started_at = excluded.started_at,
                    heartbeat_at = now(), state = 'alive'
                """, logger: quiet)
            // What the name's previous process held is not this one's: its leases are free, its stops moot.
            try await connection.query("DELETE FROM leases WHERE holder = \(instance.name)", logger: quiet)
            try await connection.query(
                "UPDATE runs SET stop_requested_at = NULL WHERE instance = \(instance.name) AND stop_requested_at IS NOT NULL",
                logger: quiet)
        }
    }

    public func heartbeat(name: String, incarnation: String, leaseTime: Duration) async throws -> Set<String>? {
        try await transaction { connection in
            let beat = try await connection.query(
                """
                UPDATE instances SET heartbeat_at = now()
                WHERE name = \(name) AND incarnation = \(incarnation) AND state <> 'dead' RETURNING name
                """, logger: quiet
            ).collect()
            guard !beat.isEmpty else { return nil }
            let held = try await connection.query(
                """
                UPDATE leases SET expires_at = now() + make_interval(secs => \(leaseTime.seconds))
                WHERE holder = \(name) RETURNING name
                """, logger: quiet
            ).collect()
            return Set(try held.map { try $0.decode(String.self) })
        }
    }

    public func instances() async throws -> [InstanceRecord] {
        let rows = try await query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT name, incarnation, node, address, version, started_at, heartbeat_at, state,
                        (SELECT COUNT(*) FROM runs WHERE runs.instance = instances.name
                            AND runs.state NOT IN (\(Self.finishedList)))::bigint
                    FROM instances ORDER BY state = 'alive' DESC, name
                    """))
        return try rows.map { row in
            let (name, incarnation, node, address, version, startedAt, heartbeat, state, running) = try row.decode(
                (String, String, String, String, String, Date, Date, String, Int64).self)
            return InstanceRecord(
                name: name, incarnation: incarnation, node: node, address: address, version: version, startedAt: startedAt,
                lastHeartbeat: heartbeat, state: InstanceRecord.State(rawValue: state) ?? .dead, runningRuns: Int(running))
        }
    }

    public func reapInstances(deadAfter: Duration, by reaper: String) async throws -> [String] {
        let seconds = deadAfter.seconds
        return try await transaction { connection in
            // A database that restarted lately stopped every heartbeat itself: nobody is condemned for that.
            let dead = try await connection.query(
                """
                UPDATE instances SET state = 'dead'
                WHERE state <> 'dead' AND name <> \(reaper)
                    AND heartbeat_at < now() - make_interval(secs => \(seconds))
                    AND pg_postmaster_start_time() < now() - make_interval(secs => \(seconds))
                RETURNING name, to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                """, logger: quiet
            ).collect()
            var names: [String] = []
            for row in dead {
                let (name, heartbeat) = try row.decode((String, String).self)
                let reason = DeclaredDead.reason(instance: name, lastHeartbeat: heartbeat, reaper: reaper)
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            UPDATE runs SET state = 'Failed', reason = COALESCE(reason || '; ', '') || $1,
                                ended_at = now(), stop_requested_at = NULL
                            WHERE instance = $2 AND state NOT IN (\(Self.finishedList))
                            """, binds: try Self.bindings(reason, name)), logger: quiet)
                try await connection.query("DELETE FROM leases WHERE holder = \(name)", logger: quiet)
                names.append(name)
            }
            return names
        }
    }

    public func leave(name: String, incarnation: String, finished: Bool) async throws {
        let state: InstanceRecord.State = finished ? .dead : .leaving
        try await transaction { connection in
            try await connection.query(
                "UPDATE instances SET state = \(state.rawValue) WHERE name = \(name) AND incarnation = \(incarnation)",
                logger: quiet)
            if finished { try await connection.query("DELETE FROM leases WHERE holder = \(name)", logger: quiet) }
        }
    }

    public func acquireLease(_ lease: String, holder: String, leaseTime: Duration) async throws -> Bool {
        let rows = try await query(
            """
            INSERT INTO leases (name, holder, expires_at) VALUES (\(lease), \(holder), now() + make_interval(secs => \(leaseTime.seconds)))
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE leases.holder = excluded.holder OR leases.expires_at < now()
                OR NOT EXISTS (SELECT 1 FROM instances WHERE instances.name = leases.holder AND instances.state <> 'dead')
            RETURNING holder
            """)
        return !rows.isEmpty
    }

    public func releaseLease(_ lease: String, holder: String) async throws {
        try await query("DELETE FROM leases WHERE name = \(lease) AND holder = \(holder)")
    }

    public func requestStop(runID: Int64, grace: Double?) async throws -> Bool {
        let unclaimed = try await query(
            """
            UPDATE runs SET state = 'Stopped', reason = 'stopped on request before an instance took it', ended_at = now(),
                claim_pending = false
            WHERE id = \(runID) AND claim_pending AND state = 'NotStarted' RETURNING id
            """)
        if !unclaimed.isEmpty { return true }
        let rows = try await query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE runs SET stop_requested_at = now(), stop_grace = $1
                    WHERE id = $2 AND state NOT IN (\(Self.finishedList)) RETURNING id
                    """, binds: try Self.bindings(grace, runID)))
        return !rows.isEmpty
    }

    public func claimRuns(instance: String, limit: Int) async throws -> [Run] {
        guard limit > 0 else { return [] }
        let rows = try await query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE runs SET instance = $2, claim_pending = false
                    WHERE id IN (
                        SELECT id FROM runs
                        WHERE claim_pending AND state = 'NotStarted' AND instance IN ($2, $3)
                            AND (not_before IS NULL OR not_before <= now())
                        ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
                    RETURNING \(PostgresRunRows.columns)
                    """,
                binds: try Self.bindings(Receiving.defaultReader, instance, InstanceRecord.anyInstance, Int64(limit))))
        return try rows.map(PostgresRunRows.decode).sorted { $0.id < $1.id }
    }

    public func takeStopRequests(instance: String) async throws -> [StopRequest] {
        let rows = try await query(
            """
            UPDATE runs SET stop_requested_at = NULL
            WHERE instance = \(instance) AND stop_requested_at IS NOT NULL RETURNING id, stop_grace
            """)
        return try rows.map { row in
            let (id, grace) = try row.decode((Int64, Double?).self)
            return StopRequest(runID: id, grace: grace)
        }
    }

    public func activity(excludingInstance instance: String, window: Duration) async throws -> [RunActivity] {
        let rows = try await query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT id, state, output_seq FROM runs
                    WHERE instance <> $1
                        AND (state NOT IN (\(Self.finishedList)) OR ended_at > now() - make_interval(secs => $2))
                    """, binds: try Self.bindings(instance, window.seconds)))
        return try rows.compactMap { row in
            let (id, state, seq) = try row.decode((Int64, String, Int64).self)
            return RunState(rawValue: state).map { RunActivity(id: id, state: $0, outputSeq: seq) }
        }
    }

    static func bindings(_ values: (any PostgresThrowingDynamicTypeEncodable)?...) throws -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values {
            if let value { try binds.append(value) } else { binds.appendNull() }
        }
        return binds
    }
}

/// LISTEN/NOTIFY on one channel: one held connection per listening instance (from the pool), NOTIFY sent after
/// the change it announces has committed.
extension PostgresStore: FleetNotifier {
    static let channel = "errand_fleet"

    public func notify(_ notice: FleetNotice) async throws {
        try await query("SELECT pg_notify(\(Self.channel), \(notice.payload))")
    }

    public func listen(_ heard: @escaping @Sendable (FleetNotice) async -> Void) async throws {
        try await client.withConnection { connection in
            try await connection.listen(on: Self.channel) { notifications in
                for try await notification in notifications {
                    if let notice = FleetNotice(payload: notification.payload) { await heard(notice) }
                }
            }
        }
    }
}
