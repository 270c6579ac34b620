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

    /// Records when cameras last reported a check result (in batches of 5,000 per transaction).
    package func recordActivity(_ seen: [(String, Date)]) throws {
        var index = 0
        while index < seen.count {
            let slice = seen[index..<min(index + 5000, seen.count)]
            try database.write { db in
                for (cameraID, at) in slice {
                    try db.execute(sql: "INSERT INTO activity (cameraID, lastCheckAt) VALUES (?, ?) ON CONFLICT(cameraID) DO UPDATE SET lastCheckAt = MAX(lastCheckAt, excluded.lastCheckAt)",
                                   arguments: [cameraID, at.timeIntervalSince1970])
                }
            }
            index += 5000
        }
    }
}
