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
