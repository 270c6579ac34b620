import Foundation
import GRDB

/// Opens one service's SQLite database in WAL mode and runs its migrations.
/// One writer per database (GRDB's pool serialises writes); readers never block it.
package enum ServiceDatabase {
    /// Opens (creating if needed) `{dataDir}/{service}.sqlite` and migrates it. The folder is made
    /// 0700 and the database files 0600: they hold credentials and accounts.
    /// `pageSize` (bytes, a power of two 512…65536) applies to a new file only: SQLite cannot
    /// change it once the file is in WAL mode.
    package static func open(dataDir: String, service: String, migrator: DatabaseMigrator, pageSize: Int? = nil) throws -> DatabasePool {
        try DataFolder.prepare(dataDir)
        let path = "\(dataDir)/\(service).sqlite"
        // SQLite gives its -wal and -shm files the database file's mode: create it private first.
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        // Deleted and overwritten content (an old password hash, a re-sealed secret) is zeroed in
        // the file rather than left in free pages.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            if let pageSize { try db.execute(sql: "PRAGMA page_size = \(pageSize)") }
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        DataFolder.restrict(files: [path, path + "-wal", path + "-shm"])
        try migrator.migrate(pool)
        return pool
    }
}
