import Foundation
import GRDB

/// Opens one service's SQLite database in WAL mode and runs its migrations.
/// One writer per database (GRDB's pool serialises writes); readers never block it.
public enum ServiceDatabase {
    /// Opens (creating if needed) `{dataDir}/{service}.sqlite` and migrates it.
    public static func open(dataDir: String, service: String, migrator: DatabaseMigrator) throws -> DatabasePool {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let pool = try DatabasePool(path: "\(dataDir)/\(service).sqlite", configuration: configuration)
        try migrator.migrate(pool)
        return pool
    }
}
