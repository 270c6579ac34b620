import CCTVContract
import Foundation
import GRDB
import Logging
import ServiceRuntime
import Synchronization

/// The issues service's store, in SQLite (one box) or PostgreSQL (schema `issues`, shared by an
/// active and a standby instance): per-camera tracks, incidents, camera info, silences, the events
/// waiting for the notifier's acknowledgement, and the outbox. Every SQL statement of the service
/// lives here, behind methods named for what they do, written once for both engines.
///
/// Writes go through ``write(_:)``: on the database's own queue, never on the cooperative pool,
/// one transaction per call (a whole batch of results in one). With a ``LeadershipFence`` in use
/// (``use(_:)``), its check is the first statement of every write: an instance that lost the
/// leadership (a paused old leader) cannot write.
public final class IssueStore: Sendable {
    public let database: any SQLDatabase
    /// Every write is fenced by the issues service's leadership (``use(_:)``).
    let writes = FencedWrites()

    /// Opens `{dataDir}/issues.sqlite`.
    public convenience init(dataDir: String) throws {
        try self.init(location: .sqlite(directory: dataDir), logger: Logger(label: "cctv-out.issues"))
    }

    /// Opens the issues database at `location` (schema `issues` in PostgreSQL) and migrates it.
    public init(location: DatabaseLocation, logger: Logger) throws {
        database = try location.open(service: "issues", sqlite: Self.migrator, postgres: Self.postgresMigrations, logger: logger)
    }

    /// Checks `fence` first in every later write transaction (the service's and its outbox's).
    public func use(_ fence: LeadershipFence) { writes.use(fence) }

    /// The fence in use, for the outbox's own writes.
    var currentFence: LeadershipFence { writes.current }

    /// The first write refused since ``use(_:)``: this instance no longer leads.
    public var fencedOut: LeadershipError? { writes.fencedOut }

    /// The same tables as ``migrator`` in PostgreSQL types (JSON kept as text, read with `::jsonb`).
    static let postgresMigrations = [
        PostgresMigration("issues v1", [
            "CREATE TABLE track (cameraID text PRIMARY KEY, json text NOT NULL)",
            "CREATE TABLE camera (cameraID text PRIMARY KEY, json text NOT NULL)",
            "CREATE TABLE issue (id text PRIMARY KEY, cameraID text NOT NULL, state text NOT NULL, openedAt timestamptz NOT NULL, json text NOT NULL)",
            "CREATE INDEX issue_on_cameraID ON issue (cameraID)",
            "CREATE INDEX issue_on_state ON issue (state)",
        ]),
        PostgresMigration("issues v2 silences and acks", [
            "CREATE TABLE silence (id text PRIMARY KEY, until timestamptz NOT NULL, json text NOT NULL)",
            """
            CREATE TABLE pendingAck (eventID text PRIMARY KEY, issueID text NOT NULL, topic text NOT NULL, payload bytea NOT NULL,
              attempts bigint NOT NULL DEFAULT 0, nextAt timestamptz NOT NULL)
            """,
            "CREATE INDEX pendingAck_on_nextAt ON pendingAck (nextAt)",
        ]),
        PostgresMigration("issues v3 grouping columns", [
            "ALTER TABLE issue ADD COLUMN site text, ADD COLUMN kind text, ADD COLUMN parentID text",
            "CREATE INDEX issue_site_state ON issue (site, state)",
            "CREATE INDEX issue_parent ON issue (parentID)",
        ]),
        PostgresMigration("issues v4 stream servers", [
            "ALTER TABLE issue ADD COLUMN streamServer text",
            "CREATE INDEX issue_server_state ON issue (streamServer, state)",
        ]),
    ] + EventOutbox.postgresMigrations

    static var migrator: DatabaseMigrator {
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
        return migrator
    }

    /// Runs `body` in one write transaction on the database's own queue (off the cooperative pool),
    /// after the leadership check.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        try await writes.write(on: database) { db in try body(Transaction(db: db)) }
    }

    /// Runs `body` in a read transaction.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        try await database.read { db in try body(Transaction(db: db)) }
    }

    /// Number of issue events still waiting for the notifier's acknowledgement.
    public func unacknowledged() throws -> Int {
        try database.read { db in try db.row("SELECT COUNT(*) AS n FROM pendingAck")?.int("n") ?? 0 }
    }

    /// Incidents, newest first.
    public func issues(openOnly: Bool, limit: Int = 500) throws -> [IssueRecord] {
        try database.read { db in
            let sql = openOnly
                ? "SELECT json FROM issue WHERE \(Transaction.activeClause) ORDER BY openedAt DESC LIMIT ?"
                : "SELECT json FROM issue ORDER BY openedAt DESC LIMIT ?"
            return try Transaction.decodedJSON(IssueRecord.self, try db.rows(sql, limit))
        }
    }

    /// The store's operations inside one transaction.
    public struct Transaction {
        let db: any SQLConnection
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
                let rows = try db.rows("SELECT cameraID, json FROM \(table) WHERE cameraID IN (\(SQLDialect.placeholders(chunk.count)))", chunk.map(SQLValue.text))
                for row in rows {
                    guard let id = row.string("cameraID") else { continue }
                    values[id] = try ContractCodec.decodeValue(T.self, from: row.data("json") ?? Data())
                }
            }
            return values
        }

        func track(_ cameraID: String) throws -> CameraTrack {
            try tracks([cameraID])[cameraID] ?? CameraTrack(cameraID: cameraID)
        }

        func save(_ track: CameraTrack) throws {
            // Cached statements (SQLite): these run for every result of a storm.
            try db.execute("INSERT INTO track (cameraID, json) VALUES (?, ?) ON CONFLICT (cameraID) DO UPDATE SET json = excluded.json",
                                 [.text(track.cameraID), try Self.jsonText(ContractCodec.encodeValue(track))])
        }

        /// What the retained definitions say about `cameraIDs` (those known).
        func infos(_ cameraIDs: some Collection<String>) throws -> [String: CameraInfo] {
            try decoded(CameraInfo.self, from: "camera", cameraIDs)
        }

        func info(_ cameraID: String) throws -> CameraInfo? { try infos([cameraID])[cameraID] }

        /// Remembers a camera's definition (from its retained config).
        func saveInfo(_ info: CameraInfo, cameraID: String) throws {
            try db.execute("INSERT INTO camera (cameraID, json) VALUES (?, ?) ON CONFLICT (cameraID) DO UPDATE SET json = excluded.json",
                           [.text(cameraID), try Self.jsonText(ContractCodec.encodeValue(info))])
        }

        /// Forgets a deleted camera: its track and definition (its incidents stay in the history).
        func forgetCamera(_ cameraID: String) throws {
            try db.execute("DELETE FROM track WHERE cameraID = ?", cameraID)
            try db.execute("DELETE FROM camera WHERE cameraID = ?", cameraID)
        }

        /// Every camera's fleet-tally entry, read from the stored JSON by the database (no decoding
        /// here), to rebuild the in-memory tally when this instance starts leading.
        func fleetEntries() throws -> [(String, FleetTally.Entry)] {
            let field = db.dialect.jsonField
            let sql = """
                SELECT t.cameraID AS id, \(field("t.json", "lastICMP")) AS icmp, \(field("t.json", "lastHLS")) AS hls,
                       \(field("c.json", "site")) AS site, \(field("c.json", "streamServer")) AS server
                FROM track t LEFT JOIN camera c ON c.cameraID = t.cameraID
                """
            return try db.rows(sql).compactMap { row -> (String, FleetTally.Entry)? in
                let icmp = row.string("icmp")
                let hls = row.string("hls")
                guard let id = row.string("id"), icmp != nil || hls != nil else { return nil }
                let lineDown = icmp == ICMPStatus.timeout.rawValue || icmp == ICMPStatus.fail.rawValue
                let streamDown = !lineDown && (hls == HLSStatus.fail.rawValue || hls == HLSStatus.error.rawValue)
                return (id, FleetTally.Entry(site: row.string("site"), streamServer: row.string("server"), lineDown: lineDown, streamDown: streamDown))
            }
        }

        // MARK: Incidents

        /// Stores an incident; `json` is its encoding when the caller already has it.
        func saveIssue(_ issue: IssueRecord, json: Data? = nil) throws {
            let json = try json ?? ContractCodec.encodeValue(issue)
            try db.execute("""
                INSERT INTO issue (id, cameraID, state, openedAt, json, site, kind, parentID, streamServer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET cameraID = excluded.cameraID, state = excluded.state, openedAt = excluded.openedAt, json = excluded.json,
                  site = excluded.site, kind = excluded.kind, parentID = excluded.parentID, streamServer = excluded.streamServer
                """, [.text(issue.id), .text(issue.cameraID), .text(issue.state.rawValue), .date(issue.openedAt), Self.jsonText(json),
                      issue.site.sqlValue, .text(issue.kind.rawValue), issue.parentID.sqlValue, issue.streamServer.sqlValue])
        }

        func issue(_ id: String) throws -> IssueRecord? {
            try Self.decodedJSON(IssueRecord.self, try db.rows("SELECT json FROM issue WHERE id = ?", id)).first
        }

        func activeIssues() throws -> [IssueRecord] {
            try Self.decodedJSON(IssueRecord.self, try db.rows("SELECT json FROM issue WHERE \(Self.activeClause)"))
        }

        /// The active incident of a group (site or stream server), if any.
        func activeGroupIncident(_ group: StormGrouping.Group) throws -> IssueRecord? {
            try Self.decodedJSON(IssueRecord.self, try db.rows("SELECT json FROM issue WHERE cameraID = ? AND \(Self.activeClause) LIMIT 1", group.parentCameraID)).first
        }

        /// The group's active camera incidents that are not attached to a group incident yet.
        func unattachedIncidents(in group: StormGrouping.Group) throws -> [IssueRecord] {
            let (sql, value): (String, String) = switch group {
            case let .site(site): ("site = ? AND kind = 'LINE'", site)
            case let .streamServer(origin): ("streamServer = ? AND kind = 'CAMERA'", origin)
            }
            return try Self.decodedJSON(IssueRecord.self, try db.rows("""
                SELECT json FROM issue WHERE \(sql) AND parentID IS NULL AND cameraID NOT LIKE 'SITE:%' AND cameraID NOT LIKE 'SERVER:%' AND \(Self.activeClause)
                """, value))
        }

        /// The active incidents attached to `parentID`.
        func activeChildren(of parentID: String) throws -> [IssueRecord] {
            try Self.decodedJSON(IssueRecord.self, try db.rows("SELECT json FROM issue WHERE parentID = ? AND \(Self.activeClause)", parentID))
        }

        /// Number of active incidents attached to `parentID`.
        func activeChildCount(of parentID: String) throws -> Int {
            try db.row("SELECT COUNT(*) AS n FROM issue WHERE parentID = ? AND \(Self.activeClause)", parentID)?.int("n") ?? 0
        }

        /// The active incident about the monitor itself, if any.
        func activeMonitorIncident() throws -> IssueRecord? {
            try Self.decodedJSON(IssueRecord.self, try db.rows("SELECT json FROM issue WHERE cameraID LIKE 'MONITOR:%' AND \(Self.activeClause) LIMIT 1")).first
        }

        // MARK: Maintenance windows

        func silences() throws -> [Silence] {
            try Self.decodedJSON(Silence.self, try db.rows("SELECT json FROM silence ORDER BY until"))
        }

        func saveSilence(_ silence: Silence) throws {
            try db.execute("INSERT INTO silence (id, until, json) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET until = excluded.until, json = excluded.json",
                           [.text(silence.id), .date(silence.until), try Self.jsonText(ContractCodec.encodeValue(silence))])
        }

        func removeSilence(_ id: String) throws {
            try db.execute("DELETE FROM silence WHERE id = ?", id)
        }

        // MARK: Events out, and the notifier's acknowledgements

        /// Queues an event for the outbox publisher, in this transaction.
        func enqueue(topic: String, payload: [UInt8], retain: Bool) throws {
            try EventOutbox.enqueue(db, topic: topic, payload: payload, retain: retain)
        }

        /// Remembers an issue event until the notifier acknowledges it; it is published again at `retryAt`.
        func awaitAcknowledgement(eventID: String, issueID: String, topic: String, payload: [UInt8], retryAt: Date) throws {
            try db.execute("""
                INSERT INTO pendingAck (eventID, issueID, topic, payload, attempts, nextAt) VALUES (?, ?, ?, ?, 0, ?)
                ON CONFLICT (eventID) DO UPDATE SET issueID = excluded.issueID, topic = excluded.topic, payload = excluded.payload, attempts = 0, nextAt = excluded.nextAt
                """, [.text(eventID), .text(issueID), .text(topic), .blob(Data(payload)), .date(retryAt)])
        }

        /// Forgets the acknowledged events.
        func acknowledged(_ eventIDs: [String]) throws {
            for chunk in eventIDs.chunked(500) {
                try db.execute("DELETE FROM pendingAck WHERE eventID IN (\(SQLDialect.placeholders(chunk.count)))", chunk.map(SQLValue.text))
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
            try db.rows("SELECT eventID, topic, payload, attempts FROM pendingAck WHERE nextAt <= ? ORDER BY nextAt LIMIT ?", now, limit).map {
                Unacknowledged(eventID: $0.string("eventID") ?? "", topic: $0.string("topic") ?? "", payload: Array($0.data("payload") ?? Data()),
                               attempts: $0.int("attempts") ?? 0)
            }
        }

        /// Counts one more publication of an unacknowledged event and when to try again.
        func republished(_ eventID: String, attempts: Int, retryAt: Date) throws {
            try db.execute("UPDATE pendingAck SET attempts = ?, nextAt = ? WHERE eventID = ?", attempts, retryAt, eventID)
        }

        /// The `json` column of each row, decoded.
        static func decodedJSON<T: Decodable>(_ type: T.Type, _ rows: [SQLRow]) throws -> [T] {
            try rows.map { try ContractCodec.decodeValue(T.self, from: $0.data("json") ?? Data()) }
        }

        /// JSON is stored as text (PostgreSQL `text`, read with `::jsonb`; SQLite reads either).
        static func jsonText(_ json: Data) -> SQLValue { .text(String(decoding: json, as: UTF8.self)) }
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements (SQLite limits the parameters of one statement).
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
