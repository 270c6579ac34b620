import Foundation
import GRDB

extension ReadStore {
    /// Tables of the operator's console, with their own write paths (not the event projections).
    static func registerConsoleMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("read v2 console activity") { db in
            // When each camera's last check result arrived (written by the history recorder), for "stalled".
            try db.execute(sql: "CREATE TABLE activity (cameraID TEXT PRIMARY KEY NOT NULL, lastCheckAt REAL NOT NULL) WITHOUT ROWID")
        }
    }

    /// Records when cameras last reported a check result (in batches of 5,000 per transaction), in
    /// the cameras' order with one prepared statement: the history's 5-minute flush hands over
    /// every camera of the fleet (100,000) in its dictionary's order.
    package func recordActivity(_ seen: [(String, Date)]) throws {
        let ordered = seen.sorted { $0.0 < $1.0 }
        var index = 0
        while index < ordered.count {
            let slice = ordered[index..<min(index + 5000, ordered.count)]
            try database.write { db in
                let upsert = try db.cachedStatement(sql: "INSERT INTO activity (cameraID, lastCheckAt) VALUES (?, ?) "
                                                        + "ON CONFLICT(cameraID) DO UPDATE SET lastCheckAt = MAX(lastCheckAt, excluded.lastCheckAt)")
                for (cameraID, at) in slice { try upsert.execute(arguments: [cameraID, at.timeIntervalSince1970]) }
            }
            index += 5000
        }
    }
}
