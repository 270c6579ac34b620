import CCTVContract
import Foundation
import GRDB
import ServiceRuntime

/// The gateway's query side (CQRS): its own SQLite store, written only from events on the broker,
/// read by every REST query and the dashboard. Queries never touch the command services.
package final class ReadStore: Sendable {
    let database: DatabasePool
    /// REST changes sent to the registry, in this store.
    package let commands: CommandLedger

    package init(dataDir: String) throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("read v1") { db in
            try db.create(table: "camera") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("address", .text).notNull()
                t.column("site", .text).indexed()
                t.column("json", .blob).notNull()
            }
            try db.create(table: "status") { t in
                t.primaryKey("cameraID", .text)
                t.column("state", .text).notNull().indexed()
                t.column("json", .blob).notNull()
            }
            try db.create(table: "issue") { t in
                t.primaryKey("id", .text)
                t.column("cameraID", .text).notNull().indexed()
                t.column("state", .text).notNull().indexed()
                t.column("version", .integer).notNull()
                t.column("openedAt", .datetime).notNull().indexed()
                t.column("json", .blob).notNull()
            }
            try db.create(table: "notification") { t in
                t.primaryKey("id", .text)
                t.column("cameraID", .text).notNull().indexed()
                t.column("at", .datetime).notNull().indexed()
                t.column("json", .blob).notNull()
            }
            try db.create(table: "service") { t in
                t.primaryKey("name", .text)
                t.column("state", .text).notNull()
            }
        }
        Self.registerConsoleMigrations(in: &migrator)
        CommandLedger.register(in: &migrator)
        migrator.registerMigration("read onvif findings") { db in
            // Each camera's newest ONVIF check (clock skew, device information, or why it failed).
            try db.create(table: "onvif") { t in
                t.primaryKey("cameraID", .text)
                t.column("json", .blob).notNull()
            }
        }
        database = try ServiceDatabase.open(dataDir: dataDir, service: "gateway", migrator: migrator)
        commands = CommandLedger(database: database)
    }

    // MARK: - Queries

    /// A camera with its status.
    package struct CameraRow: Codable, Sendable {
        package var camera: CameraDefinition
        package var status: CameraHealth?
    }

    package struct Page<T: Codable & Sendable>: Codable, Sendable {
        package var total: Int
        package var items: [T]
    }

    package struct Summary: Codable, Sendable {
        package var cameras: Int
        package var byState: [String: Int]
        package var openIssues: Int
        package var services: [String: String]
        /// Whether the monitor is monitoring ("stalled" when no result arrives or the broker is
        /// away); filled by the API, not stored.
        package var monitoring: MonitoringHealth? = nil
    }

    package func cameras(query: String?, site: String?, state: String?, offset: Int, limit: Int) throws -> Page<CameraRow> {
        try database.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let query, !query.isEmpty {
                let pattern = "%" + query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
                conditions.append("(c.id LIKE ? ESCAPE '\\' OR c.name LIKE ? ESCAPE '\\' OR c.address LIKE ? ESCAPE '\\' OR c.site LIKE ? ESCAPE '\\')")
                arguments += [pattern, pattern, pattern, pattern]
            }
            if let site, !site.isEmpty { conditions.append("c.site = ?"); arguments += [site] }
            if let state, !state.isEmpty {
                if state == CameraState.unknown.rawValue { conditions.append("(s.state IS NULL OR s.state = ?)") } else { conditions.append("s.state = ?") }
                arguments += [state]
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let from = "FROM camera c LEFT JOIN status s ON s.cameraID = c.id \(whereClause)"
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) \(from)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT c.json AS camera, s.json AS status \(from) ORDER BY c.id LIMIT ? OFFSET ?", arguments: arguments + [limit, offset])
            let items = try rows.map { row -> CameraRow in
                let statusData: Data? = row["status"]
                return CameraRow(camera: try ContractCodec.decodeValue(CameraDefinition.self, from: row["camera"]),
                                 status: try statusData.map { try ContractCodec.decodeValue(CameraHealth.self, from: $0) })
            }
            return Page(total: total, items: items)
        }
    }

    package func camera(_ id: String) throws -> CameraRow? {
        try database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT c.json AS camera, s.json AS status FROM camera c LEFT JOIN status s ON s.cameraID = c.id WHERE c.id = ?", arguments: [id]) else { return nil }
            let statusData: Data? = row["status"]
            return CameraRow(camera: try ContractCodec.decodeValue(CameraDefinition.self, from: row["camera"]),
                             status: try statusData.map { try ContractCodec.decodeValue(CameraHealth.self, from: $0) })
        }
    }

    /// Camera `id`'s newest ONVIF check, if it has had one.
    package func onvif(_ id: String) throws -> ONVIFResult? {
        try database.read { db in
            try Data.fetchOne(db, sql: "SELECT json FROM onvif WHERE cameraID = ?", arguments: [id]).map { try ContractCodec.decodeValue(ONVIFResult.self, from: $0) }
        }
    }

    package func status(_ id: String) throws -> CameraHealth? {
        try database.read { db in
            try Data.fetchOne(db, sql: "SELECT json FROM status WHERE cameraID = ?", arguments: [id]).map { try ContractCodec.decodeValue(CameraHealth.self, from: $0) }
        }
    }

    /// Incidents, newest first; `parentID` lists the camera incidents grouped under a site incident.
    /// - Parameter sites: only incidents of these sites (a site-limited account or token); nil = all.
    package func issues(openOnly: Bool, cameraID: String? = nil, parentID: String? = nil, limit: Int, sites: [String]? = nil) throws -> [IssueRecord] {
        try database.read { db in
            var sql = "SELECT json FROM issue WHERE 1=1"
            var arguments: StatementArguments = []
            if openOnly { sql += " AND state NOT IN ('RESOLVED','CLOSED')" }
            if let cameraID { sql += " AND cameraID = ?"; arguments += [cameraID] }
            if let parentID { sql += " AND json_extract(CAST(json AS TEXT), '$.parentID') = ?"; arguments += [parentID] }
            if let sites {
                var conditions: [String] = []
                Self.limit(&conditions, &arguments, "json_extract(CAST(json AS TEXT), '$.site')", to: sites)
                sql += " AND " + conditions.joined()
            }
            sql += " ORDER BY openedAt DESC LIMIT ?"
            arguments += [limit]
            return try Data.fetchAll(db, sql: sql, arguments: arguments).map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        }
    }

    package func issue(_ id: String) throws -> IssueRecord? {
        try database.read { db in
            try Data.fetchOne(db, sql: "SELECT json FROM issue WHERE id = ?", arguments: [id]).map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        }
    }

    /// Delivery history, newest first, for one camera and/or one incident (who, channel, when, outcome).
    /// - Parameter sites: only deliveries about cameras of these sites; nil = all.
    package func notifications(cameraID: String?, issueID: String? = nil, limit: Int, sites: [String]? = nil) throws -> [NotificationRecord] {
        try database.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let cameraID { conditions.append("cameraID = ?"); arguments += [cameraID] }
            if let sites {
                var inner: [String] = []
                Self.limit(&inner, &arguments, "site", to: sites)
                conditions.append("cameraID IN (SELECT id FROM camera WHERE \(inner.joined()))")
            }
            // The incident id lives in the stored JSON; the camera filter (indexed) narrows first when given.
            if let issueID { conditions.append("json_extract(CAST(json AS TEXT), '$.issueID') = ?"); arguments += [issueID] }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let rows = try Data.fetchAll(db, sql: "SELECT json FROM notification \(whereClause) ORDER BY at DESC LIMIT ?", arguments: arguments + [limit])
            return try rows.map { try ContractCodec.decodeValue(NotificationRecord.self, from: $0) }
        }
    }

    package func sites(limitedTo allowed: [String]? = nil) throws -> [String] {
        let all = try database.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT site FROM camera WHERE site IS NOT NULL ORDER BY site LIMIT 5000") }
        return allowed.map { allowed in all.filter(allowed.contains) } ?? all
    }

    /// - Parameter sites: counts over these sites only (a site-limited account or token); nil = all.
    package func summary(sites: [String]? = nil) throws -> Summary {
        try database.read { db in
            var cameraFilter: [String] = [], cameraArguments: StatementArguments = []
            var issueFilter: [String] = [], issueArguments: StatementArguments = []
            if let sites {
                Self.limit(&cameraFilter, &cameraArguments, "c.site", to: sites)
                Self.limit(&issueFilter, &issueArguments, "json_extract(CAST(json AS TEXT), '$.site')", to: sites)
            }
            let cameraWhere = cameraFilter.isEmpty ? "" : "WHERE " + cameraFilter.joined()
            let issueAnd = issueFilter.isEmpty ? "" : "AND " + issueFilter.joined()
            let cameras = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM camera c \(cameraWhere)", arguments: cameraArguments) ?? 0
            var byState: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT COALESCE(s.state, 'UNKNOWN') AS state, COUNT(*) AS n FROM camera c LEFT JOIN status s ON s.cameraID = c.id \(cameraWhere) GROUP BY 1",
                                        arguments: cameraArguments) {
                byState[row["state"]] = row["n"]
            }
            // A site outage is one problem: the camera incidents grouped under it are not counted again.
            let open = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM issue WHERE state NOT IN ('RESOLVED','CLOSED') AND json_extract(CAST(json AS TEXT), '$.parentID') IS NULL \(issueAnd)",
                                        arguments: issueArguments) ?? 0
            var services: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, state FROM service") { services[row["name"]] = row["state"] }
            return Summary(cameras: cameras, byState: byState, openIssues: open, services: services)
        }
    }

    /// Adds `column IN (sites…)` to a query's conditions (an empty list matches nothing).
    static func limit(_ conditions: inout [String], _ arguments: inout StatementArguments, _ column: String, to sites: [String]) {
        guard !sites.isEmpty else { conditions.append("0"); return }
        conditions.append("\(column) IN (\(Array(repeating: "?", count: sites.count).joined(separator: ", ")))")
        arguments += StatementArguments(sites)
    }
}
