import CCTVContract
import Foundation
import GRDB
import ServiceRuntime

/// The issues service's own SQLite store: per-camera tracks, incidents, camera info, silences,
/// the events waiting for the notifier's acknowledgement, and the outbox. Every SQL statement of
/// the service lives here, behind methods named for what they do.
///
/// Writes go through ``write(_:)``: GRDB's async API runs them on its own writer queue, never on
/// the cooperative pool, one transaction per call (a whole batch of results in one).
public final class IssueStore: Sendable {
    public let database: DatabasePool

    public init(dataDir: String) throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("issues v1") { db in
            try db.create(table: "track") { t in
                t.primaryKey("cameraID", .text)
                t.column("json", .blob).notNull()
            }
            try db.create(table: "camera") { t in
                t.primaryKey("cameraID", .text)
                t.column("json", .blob).notNull()
            }
            try db.create(table: "issue") { t in
                t.primaryKey("id", .text)
                t.column("cameraID", .text).notNull().indexed()
                t.column("state", .text).notNull().indexed()
                t.column("openedAt", .datetime).notNull()
                t.column("json", .blob).notNull()
            }
        }
        migrator.registerMigration("issues v2 silences and acks") { db in
            try db.create(table: "silence") { t in
                t.primaryKey("id", .text)
                t.column("until", .datetime).notNull()
                t.column("json", .blob).notNull()
            }
            // Issue events the notifier has not yet confirmed it stored; re-published until it does.
            try db.create(table: "pendingAck") { t in
                t.primaryKey("eventID", .text)
                t.column("issueID", .text).notNull()
                t.column("topic", .text).notNull()
                t.column("payload", .blob).notNull()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("nextAt", .datetime).notNull().indexed()
            }
        }
        migrator.registerMigration("issues v3 grouping columns") { db in
            try db.alter(table: "issue") { t in
                t.add(column: "site", .text)
                t.add(column: "kind", .text)
                t.add(column: "parentID", .text)
            }
            try db.create(index: "issue_site_state", on: "issue", columns: ["site", "state"])
            try db.create(index: "issue_parent", on: "issue", columns: ["parentID"])
        }
        migrator.registerMigration("issues v4 stream servers") { db in
            try db.alter(table: "issue") { t in t.add(column: "streamServer", .text) }
            try db.create(index: "issue_server_state", on: "issue", columns: ["streamServer", "state"])
        }
        EventOutbox.register(in: &migrator)
        database = try ServiceDatabase.open(dataDir: dataDir, service: "issues", migrator: migrator)
    }

    /// Runs `body` in one write transaction on GRDB's writer queue (off the cooperative pool).
    public func write<T: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        try await database.write { db in try body(Transaction(db: db)) }
    }

    /// Runs `body` in a read transaction on GRDB's reader queues.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        try await database.read { db in try body(Transaction(db: db)) }
    }

    /// Number of issue events still waiting for the notifier's acknowledgement.
    public func unacknowledged() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pendingAck") ?? 0 }
    }

    /// Incidents, newest first.
    public func issues(openOnly: Bool, limit: Int = 500) throws -> [IssueRecord] {
        try database.read { db in
            let sql = openOnly
                ? "SELECT json FROM issue WHERE \(Transaction.activeClause) ORDER BY openedAt DESC LIMIT ?"
                : "SELECT json FROM issue ORDER BY openedAt DESC LIMIT ?"
            return try Data.fetchAll(db, sql: sql, arguments: [limit]).map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        }
    }

    /// The store's operations inside one transaction.
    public struct Transaction {
        let db: Database
        static let activeClause = "state NOT IN ('RESOLVED','CLOSED')"

        // MARK: Cameras and their tracks

        /// The tracks of `cameraIDs` (a fresh track for a camera never seen).
        func tracks(_ cameraIDs: some Collection<String>) throws -> [String: CameraTrack] {
            var tracks = try decoded(CameraTrack.self, from: "track", cameraIDs)
            for id in cameraIDs where tracks[id] == nil { tracks[id] = CameraTrack(cameraID: id) }
            return tracks
        }

        /// The JSON column of `table` decoded for each of `cameraIDs` that has a row.
        private func decoded<T: Decodable>(_ type: T.Type, from table: String, _ cameraIDs: some Collection<String>) throws -> [String: T] {
            var values: [String: T] = [:]
            for chunk in Array(cameraIDs).chunked(500) {
                let rows = try Row.fetchAll(db, sql: "SELECT cameraID, json FROM \(table) WHERE cameraID IN (\(databaseQuestionMarks(count: chunk.count)))",
                                            arguments: StatementArguments(chunk))
                for row in rows { values[row["cameraID"]] = try ContractCodec.decodeValue(T.self, from: row["json"]) }
            }
            return values
        }

        func track(_ cameraID: String) throws -> CameraTrack {
            try tracks([cameraID])[cameraID] ?? CameraTrack(cameraID: cameraID)
        }

        func save(_ track: CameraTrack) throws {
            // Cached statements: these run for every result of a storm.
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO track (cameraID, json) VALUES (?, ?)").execute(arguments: [track.cameraID, try ContractCodec.encodeValue(track)])
        }

        /// What the retained definitions say about `cameraIDs` (those known).
        func infos(_ cameraIDs: some Collection<String>) throws -> [String: CameraInfo] {
            try decoded(CameraInfo.self, from: "camera", cameraIDs)
        }

        func info(_ cameraID: String) throws -> CameraInfo? { try infos([cameraID])[cameraID] }

        /// Remembers a camera's definition (from its retained config).
        func saveInfo(_ info: CameraInfo, cameraID: String) throws {
            try db.execute(sql: "INSERT OR REPLACE INTO camera (cameraID, json) VALUES (?, ?)", arguments: [cameraID, try ContractCodec.encodeValue(info)])
        }

        /// Forgets a deleted camera: its track and definition (its incidents stay in the history).
        func forgetCamera(_ cameraID: String) throws {
            try db.execute(sql: "DELETE FROM track WHERE cameraID = ?", arguments: [cameraID])
            try db.execute(sql: "DELETE FROM camera WHERE cameraID = ?", arguments: [cameraID])
        }

        /// Every camera's fleet-tally entry, read from the stored JSON by SQLite (no decoding here),
        /// to rebuild the in-memory tally on start.
        func fleetEntries() throws -> [(String, FleetTally.Entry)] {
            let sql = """
                SELECT t.cameraID AS id, json_extract(CAST(t.json AS TEXT), '$.lastICMP') AS icmp, json_extract(CAST(t.json AS TEXT), '$.lastHLS') AS hls,
                       json_extract(CAST(c.json AS TEXT), '$.site') AS site, json_extract(CAST(c.json AS TEXT), '$.streamServer') AS server
                FROM track t LEFT JOIN camera c ON c.cameraID = t.cameraID
                """
            return try Row.fetchAll(db, sql: sql).compactMap { row -> (String, FleetTally.Entry)? in
                let icmp: String? = row["icmp"]
                let hls: String? = row["hls"]
                guard icmp != nil || hls != nil else { return nil }
                let lineDown = icmp == ICMPStatus.timeout.rawValue || icmp == ICMPStatus.fail.rawValue
                let streamDown = !lineDown && (hls == HLSStatus.fail.rawValue || hls == HLSStatus.error.rawValue)
                return (row["id"], FleetTally.Entry(site: row["site"], streamServer: row["server"], lineDown: lineDown, streamDown: streamDown))
            }
        }

        // MARK: Incidents

        /// Stores an incident; `json` is its encoding when the caller already has it.
        func saveIssue(_ issue: IssueRecord, json: Data? = nil) throws {
            let json = try json ?? ContractCodec.encodeValue(issue)
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO issue (id, cameraID, state, openedAt, json, site, kind, parentID, streamServer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [issue.id, issue.cameraID, issue.state.rawValue, issue.openedAt, json,
                                 issue.site, issue.kind.rawValue, issue.parentID, issue.streamServer])
        }

        func issue(_ id: String) throws -> IssueRecord? {
            try Data.fetchOne(db, sql: "SELECT json FROM issue WHERE id = ?", arguments: [id]).map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        }

        func activeIssues() throws -> [IssueRecord] {
            try Data.fetchAll(db, sql: "SELECT json FROM issue WHERE \(Self.activeClause)").map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        }

        /// The active incident of a group (site or stream server), if any.
        func activeGroupIncident(_ group: StormGrouping.Group) throws -> IssueRecord? {
            try Data.fetchOne(db, sql: "SELECT json FROM issue WHERE cameraID = ? AND \(Self.activeClause)", arguments: [group.parentCameraID])
                .map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        }

        /// The group's active camera incidents that are not attached to a group incident yet.
        func unattachedIncidents(in group: StormGrouping.Group) throws -> [IssueRecord] {
            let (sql, value): (String, String) = switch group {
            case let .site(site): ("site = ? AND kind = 'LINE'", site)
            case let .streamServer(origin): ("streamServer = ? AND kind = 'CAMERA'", origin)
            }
            return try Data.fetchAll(db, sql: """
                SELECT json FROM issue WHERE \(sql) AND parentID IS NULL AND cameraID NOT LIKE 'SITE:%' AND cameraID NOT LIKE 'SERVER:%' AND \(Self.activeClause)
                """, arguments: [value]).map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        }

        /// The active incidents attached to `parentID`.
        func activeChildren(of parentID: String) throws -> [IssueRecord] {
            try Data.fetchAll(db, sql: "SELECT json FROM issue WHERE parentID = ? AND \(Self.activeClause)", arguments: [parentID])
                .map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        }

        /// Number of active incidents attached to `parentID`.
        func activeChildCount(of parentID: String) throws -> Int {
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM issue WHERE parentID = ? AND \(Self.activeClause)", arguments: [parentID]) ?? 0
        }

        /// The active incident about the monitor itself, if any.
        func activeMonitorIncident() throws -> IssueRecord? {
            try Data.fetchOne(db, sql: "SELECT json FROM issue WHERE cameraID LIKE 'MONITOR:%' AND \(Self.activeClause)")
                .map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        }

        // MARK: Maintenance windows

        func silences() throws -> [Silence] {
            try Data.fetchAll(db, sql: "SELECT json FROM silence ORDER BY until").map { try ContractCodec.decodeValue(Silence.self, from: $0) }
        }

        func saveSilence(_ silence: Silence) throws {
            try db.execute(sql: "INSERT OR REPLACE INTO silence (id, until, json) VALUES (?, ?, ?)", arguments: [silence.id, silence.until, try ContractCodec.encodeValue(silence)])
        }

        func removeSilence(_ id: String) throws {
            try db.execute(sql: "DELETE FROM silence WHERE id = ?", arguments: [id])
        }

        // MARK: Events out, and the notifier's acknowledgements

        /// Queues an event for the outbox publisher, in this transaction.
        func enqueue(topic: String, payload: [UInt8], retain: Bool) throws {
            try EventOutbox.enqueue(db, topic: topic, payload: payload, retain: retain)
        }

        /// Remembers an issue event until the notifier acknowledges it; it is published again at `retryAt`.
        func awaitAcknowledgement(eventID: String, issueID: String, topic: String, payload: [UInt8], retryAt: Date) throws {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO pendingAck (eventID, issueID, topic, payload, attempts, nextAt) VALUES (?, ?, ?, ?, 0, ?)")
                .execute(arguments: [eventID, issueID, topic, Data(payload), retryAt])
        }

        /// Forgets the acknowledged events.
        func acknowledged(_ eventIDs: [String]) throws {
            for chunk in eventIDs.chunked(500) {
                try db.execute(sql: "DELETE FROM pendingAck WHERE eventID IN (\(databaseQuestionMarks(count: chunk.count)))", arguments: StatementArguments(chunk))
            }
        }

        /// An issue event whose acknowledgement is overdue.
        struct Unacknowledged {
            var eventID: String
            var topic: String
            var payload: [UInt8]
            var attempts: Int
        }

        /// Events whose acknowledgement is overdue at `now`, oldest first.
        func unacknowledged(dueAt now: Date, limit: Int) throws -> [Unacknowledged] {
            try Row.fetchAll(db, sql: "SELECT eventID, topic, payload, attempts FROM pendingAck WHERE nextAt <= ? ORDER BY nextAt LIMIT ?", arguments: [now, limit]).map {
                Unacknowledged(eventID: $0["eventID"], topic: $0["topic"], payload: Array($0["payload"] as Data), attempts: $0["attempts"])
            }
        }

        /// Counts one more publication of an unacknowledged event and when to try again.
        func republished(_ eventID: String, attempts: Int, retryAt: Date) throws {
            try db.execute(sql: "UPDATE pendingAck SET attempts = ?, nextAt = ? WHERE eventID = ?", arguments: [attempts, retryAt, eventID])
        }
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements (SQLite limits the parameters of one statement).
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
