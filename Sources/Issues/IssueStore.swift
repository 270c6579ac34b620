import CCTVContract
import Foundation
import GRDB
import ServiceRuntime

/// The issues service's own SQLite store: per-camera tracks, incidents, camera info and the outbox.
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
        EventOutbox.register(in: &migrator)
        database = try ServiceDatabase.open(dataDir: dataDir, service: "issues", migrator: migrator)
    }

    static func track(_ db: Database, _ cameraID: String) throws -> CameraTrack {
        guard let data = try Data.fetchOne(db, sql: "SELECT json FROM track WHERE cameraID = ?", arguments: [cameraID]) else {
            return CameraTrack(cameraID: cameraID)
        }
        return try ContractCodec.decodeValue(CameraTrack.self, from: data)
    }

    static func save(_ db: Database, _ track: CameraTrack) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO track (cameraID, json) VALUES (?, ?)", arguments: [track.cameraID, try ContractCodec.encodeValue(track)])
    }

    static func info(_ db: Database, _ cameraID: String) throws -> CameraInfo? {
        try Data.fetchOne(db, sql: "SELECT json FROM camera WHERE cameraID = ?", arguments: [cameraID])
            .map { try ContractCodec.decodeValue(CameraInfo.self, from: $0) }
    }

    static func saveIssue(_ db: Database, _ issue: IssueRecord) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO issue (id, cameraID, state, openedAt, json) VALUES (?, ?, ?, ?, ?)",
                       arguments: [issue.id, issue.cameraID, issue.state.rawValue, issue.openedAt, try ContractCodec.encodeValue(issue)])
    }

    static func issue(_ db: Database, _ id: String) throws -> IssueRecord? {
        try Data.fetchOne(db, sql: "SELECT json FROM issue WHERE id = ?", arguments: [id]).map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
    }

    static func activeIssues(_ db: Database) throws -> [IssueRecord] {
        try Data.fetchAll(db, sql: "SELECT json FROM issue WHERE state NOT IN ('RESOLVED','CLOSED')").map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
    }

    static func silences(_ db: Database) throws -> [Silence] {
        try Data.fetchAll(db, sql: "SELECT json FROM silence ORDER BY until").map { try ContractCodec.decodeValue(Silence.self, from: $0) }
    }

    /// Number of issue events still waiting for the notifier's acknowledgement.
    public func unacknowledged() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pendingAck") ?? 0 }
    }

    /// Incidents, newest first.
    public func issues(openOnly: Bool, limit: Int = 500) throws -> [IssueRecord] {
        try database.read { db in
            let sql = openOnly
                ? "SELECT json FROM issue WHERE state NOT IN ('RESOLVED','CLOSED') ORDER BY openedAt DESC LIMIT ?"
                : "SELECT json FROM issue ORDER BY openedAt DESC LIMIT ?"
            return try Data.fetchAll(db, sql: sql, arguments: [limit]).map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        }
    }
}
