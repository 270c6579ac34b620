import CCTVContract
import Foundation
import GRDB

extension ReadStore {
    /// One change to the read model, decoded from an event on the broker.
    package enum Change: Sendable {
        case camera(CameraDefinition)
        /// The camera's config tombstone: the camera and its status go.
        case cameraRemoved(String)
        case status(CameraHealth)
        case statusRemoved(String)
        /// `event` is `opened`, `updated` or `resolved`.
        case issue(event: String, IssueRecord)
        case notification(NotificationRecord)
        case service(name: String, state: String)
        /// A camera's newest ONVIF check: its clock and what it says it is.
        case onvif(ONVIFResult)
    }

    /// What to push to browsers for an applied change (an older incident version pushes nothing),
    /// with the camera's site, which decides who may see it (site-limited accounts).
    package enum Pushed: Sendable {
        case camera(CameraRow)
        /// The camera moved away from `site`: listeners limited to that site see it leave.
        case movedAway(id: String, site: String?)
        case deleted(String, site: String?)
        case status(CameraHealth, site: String?)
        case issue(event: String, IssueRecord)
        case notification(NotificationRecord, site: String?)
        case service(name: String, state: String)
        case onvif(ONVIFResult, site: String?)
    }

    /// Applies `changes` in order in one transaction (on GRDB's writer queue, off the cooperative
    /// pool) and returns what to push live. One transaction per event left a 100,000-camera import
    /// 72 s behind the registry; one per batch keeps up with it.
    package func apply(_ changes: [Change]) async throws -> [Pushed] {
        try await database.write { db in
            var pushed: [Pushed] = []
            var cameras: [CameraDefinition] = []
            // Prepared once per connection (GRDB's statement cache): preparing each statement anew
            // ran SQLite's authorizer and GRDB's region bookkeeping for every message, about a
            // quarter of `serve`'s CPU in a `perf` profile of a 100,000-camera import.
            func run(_ sql: String, _ arguments: StatementArguments) throws {
                try db.cachedStatement(sql: sql).execute(arguments: arguments)
            }
            func site(of cameraID: String) throws -> String? {
                try String.fetchOne(db.cachedStatement(sql: "SELECT site FROM camera WHERE id = ?"), arguments: [cameraID])
            }
            for change in changes {
                switch change {
                case let .camera(camera):
                    if let previous = try Row.fetchOne(db.cachedStatement(sql: "SELECT site FROM camera WHERE id = ?"), arguments: [camera.id]),
                       (previous["site"] as String?) != camera.site {
                        pushed.append(.movedAway(id: camera.id, site: previous["site"]))
                    }
                    try run("INSERT OR REPLACE INTO camera (id, name, address, site, json) VALUES (?, ?, ?, ?, ?)", [camera.id, camera.name, camera.address, camera.site, try ContractCodec.encodeValue(camera)])
                    cameras.append(camera)
                case let .cameraRemoved(id):
                    let site = try site(of: id)
                    try run("DELETE FROM camera WHERE id = ?", [id])
                    try run("DELETE FROM status WHERE cameraID = ?", [id])
                    try run("DELETE FROM onvif WHERE cameraID = ?", [id])
                    cameras.removeAll { $0.id == id }
                    pushed.append(.deleted(id, site: site))
                case let .status(status):
                    try run("INSERT OR REPLACE INTO status (cameraID, state, json) VALUES (?, ?, ?)", [status.cameraID, status.state.rawValue, try ContractCodec.encodeValue(status)])
                    pushed.append(.status(status, site: try site(of: status.cameraID)))
                case let .statusRemoved(id):
                    try run("DELETE FROM status WHERE cameraID = ?", [id])
                case let .issue(event, issue):
                    // Keeps the newest version (events may arrive twice or out of order).
                    if let stored = try Int.fetchOne(db.cachedStatement(sql: "SELECT version FROM issue WHERE id = ?"), arguments: [issue.id]), stored >= issue.version { continue }
                    try run("INSERT OR REPLACE INTO issue (id, cameraID, state, version, openedAt, json) VALUES (?, ?, ?, ?, ?, ?)", [issue.id, issue.cameraID, issue.state.rawValue, issue.version, issue.openedAt, try ContractCodec.encodeValue(issue)])
                    pushed.append(.issue(event: event, issue))
                case let .notification(record):
                    try run("INSERT OR REPLACE INTO notification (id, cameraID, at, json) VALUES (?, ?, ?, ?)", [record.id, record.cameraID, record.at, try ContractCodec.encodeValue(record)])
                    pushed.append(.notification(record, site: try site(of: record.cameraID)))
                case let .service(name, state):
                    try run("INSERT OR REPLACE INTO service (name, state) VALUES (?, ?)", [name, state])
                    pushed.append(.service(name: name, state: state))
                case let .onvif(result):
                    // Only for cameras the console knows (a result may outlive its camera's deletion).
                    guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT site FROM camera WHERE id = ?"), arguments: [result.cameraID]) else { continue }
                    try run("INSERT OR REPLACE INTO onvif (cameraID, json) VALUES (?, ?)", [result.cameraID, try ContractCodec.encodeValue(result)])
                    pushed.append(.onvif(result, site: row["site"]))
                }
            }
            // Each changed camera goes out with its current status, read once for the whole batch.
            let statuses = try Self.statuses(of: Array(Set(cameras.map(\.id))), in: db)
            pushed += cameras.map { .camera(CameraRow(camera: $0, status: statuses[$0.id])) }
            return pushed
        }
    }

    /// The stored status of each camera in `ids` that has one, read 500 ids per query.
    static func statuses(of ids: [String], in db: Database) throws -> [String: CameraHealth] {
        var statuses: [String: CameraHealth] = [:]
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            for row in try Row.fetchAll(db, sql: "SELECT cameraID, json FROM status WHERE cameraID IN (\(databaseQuestionMarks(count: chunk.count)))",
                                        arguments: StatementArguments(chunk)) {
                statuses[row["cameraID"]] = try? ContractCodec.decodeValue(CameraHealth.self, from: row["json"] as Data)
            }
        }
        return statuses
    }
}
