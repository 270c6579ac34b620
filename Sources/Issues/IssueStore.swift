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
        migrator.registerMigration("issues v3 grouping columns") { db in
            try db.alter(table: "issue") { t in
                t.add(column: "site", .text)
                t.add(column: "kind", .text)
                t.add(column: "parentID", .text)
            }
            try db.create(index: "issue_site_state", on: "issue", columns: ["site", "state"])
            try db.create(index: "issue_parent", on: "issue", columns: ["parentID"])
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
        try db.execute(sql: "INSERT OR REPLACE INTO issue (id, cameraID, state, openedAt, json, site, kind, parentID) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       arguments: [issue.id, issue.cameraID, issue.state.rawValue, issue.openedAt, try ContractCodec.encodeValue(issue),
                                   issue.site, issue.kind.rawValue, issue.parentID])
    }

    static func issue(_ db: Database, _ id: String) throws -> IssueRecord? {
        try Data.fetchOne(db, sql: "SELECT json FROM issue WHERE id = ?", arguments: [id]).map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
    }

    static func activeIssues(_ db: Database) throws -> [IssueRecord] {
        try Data.fetchAll(db, sql: "SELECT json FROM issue WHERE state NOT IN ('RESOLVED','CLOSED')").map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
    }

    static let activeClause = "state NOT IN ('RESOLVED','CLOSED')"

    /// The active site-wide incident of `site`, if any.
    static func activeSiteIncident(_ db: Database, site: String) throws -> IssueRecord? {
        try Data.fetchOne(db, sql: "SELECT json FROM issue WHERE cameraID = ? AND \(activeClause)", arguments: [IssueRecord.sitePrefix + site])
            .map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
    }

    /// Number of active camera LINE incidents at `site`.
    static func activeLineCount(_ db: Database, site: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM issue WHERE site = ? AND kind = 'LINE' AND cameraID NOT LIKE 'SITE:%' AND \(activeClause)", arguments: [site]) ?? 0
    }

    /// The active camera LINE incidents at `site`.
    static func activeLineIncidents(_ db: Database, site: String) throws -> [IssueRecord] {
        try Data.fetchAll(db, sql: "SELECT json FROM issue WHERE site = ? AND kind = 'LINE' AND cameraID NOT LIKE 'SITE:%' AND \(activeClause)", arguments: [site])
            .map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
    }

    /// Number of active incidents grouped under `parentID`.
    static func activeChildren(_ db: Database, parentID: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM issue WHERE parentID = ? AND \(activeClause)", arguments: [parentID]) ?? 0
    }

    static func saveSilence(_ db: Database, _ silence: Silence) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO silence (id, until, json) VALUES (?, ?, ?)", arguments: [silence.id, silence.until, try ContractCodec.encodeValue(silence)])
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
