import CCTVContract
import Foundation
import ServiceRuntime

/// Reading the delivery log: the history the REST API and the dashboard show, and counts by state.
extension DeliveryStore {
    /// Delivery history, newest first, for one camera, one incident, or everything.
    package func history(cameraID: String? = nil, issueID: String? = nil, limit: Int = 200) throws -> [DeliveryHistoryEntry] {
        try database.read { db in
            var conditions: [String] = []
            var arguments: [SQLValue] = []
            if let cameraID { conditions.append("cameraID = ?"); arguments.append(cameraID.sqlValue) }
            if let issueID { conditions.append("issueID = ?"); arguments.append(issueID.sqlValue) }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments.append(min(max(limit, 1), 10_000).sqlValue)
            // Rows queued in one transaction share createdAt: insertion order breaks the tie.
            let inserted = db.dialect == .sqlite ? "rowid" : "seq"
            return try db.rows("SELECT * FROM delivery \(filter) ORDER BY createdAt DESC, \(inserted) DESC LIMIT ?", arguments).map { row in
                DeliveryHistoryEntry(id: row.string("id") ?? "", issueID: row.string("issueID") ?? "", cameraID: row.string("cameraID") ?? "",
                                     event: row.string("event") ?? "", team: row.string("team") ?? "", channel: row.string("channel") ?? "",
                                     target: row.string("target") ?? "", display: row.string("display") ?? "", state: row.string("state") ?? "",
                                     attempts: row.int("attempts") ?? 0, httpStatus: row.int("httpStatus"), lastError: row.string("lastError"),
                                     createdAt: row.date("createdAt") ?? .distantPast, finishedAt: row.date("finishedAt"))
            }
        }
    }

    /// Counts of deliveries by state (`pending`, `sending`, `delivered`, `failed`, `withdrawn`).
    package func counts() throws -> [String: Int] {
        try database.read { db in
            Dictionary(try db.rows("SELECT state, COUNT(*) AS n FROM delivery GROUP BY state").map { ($0.string("state") ?? "", $0.int("n") ?? 0) },
                       uniquingKeysWith: +)
        }
    }
}
