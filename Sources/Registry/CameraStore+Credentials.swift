import CCTVContract
import Foundation
import GRDB
import ServiceRuntime

/// Sealing, binding and reading stream credentials (see ``StreamCredentialBinding``).
extension CameraStore {
    /// The `credentials` (sealed) and `credentialsOrigin` columns of a row.
    struct SealedColumns: Sendable, Equatable {
        var sealed: String?
        var origin: String?
        static let empty = SealedColumns(sealed: nil, origin: nil)
    }

    /// The columns after `decision`, given the row's current ones.
    func credentialColumns(_ decision: StreamCredentialBinding.Decision, current: SealedColumns?) throws(ContractError) -> SealedColumns {
        switch decision {
        case .none:
            return .empty
        case .keep:
            return current ?? .empty
        case let .bind(username, password, origin):
            var stored: StoredCredentials?
            if username == nil || password == nil, current?.origin == origin, let sealed = current?.sealed { stored = try open(sealed) }
            let credentials = StoredCredentials(username: username ?? stored?.username ?? "", password: password ?? stored?.password ?? "")
            do {
                return SealedColumns(sealed: try secrets.seal(try JSONEncoder().encode(credentials)), origin: origin)
            } catch {
                throw ContractError(code: "internal", message: "could not seal the credentials: \(error)")
            }
        }
    }

    /// The columns for `input` replacing row `id` (inside the caller's transaction).
    func credentialColumns(_ db: any SQLConnection, id: String, input: CameraInput) throws -> SealedColumns {
        let current = try Self.sealedColumns(db, id: id)
        return try credentialColumns(StreamCredentialBinding.decide(storedOrigin: current?.origin, input: input), current: current)
    }

    static func sealedColumns(_ db: any SQLConnection, id: String) throws -> SealedColumns? {
        try db.row("SELECT credentials, credentialsOrigin FROM camera WHERE id = ?", id).map {
            SealedColumns(sealed: $0.string("credentials"), origin: $0.string("credentialsOrigin"))
        }
    }

    func open(_ sealed: String) throws(ContractError) -> StoredCredentials {
        do { return try JSONDecoder().decode(StoredCredentials.self, from: try secrets.open(sealed)) } catch {
            throw ContractError(code: "internal", message: "stored credentials cannot be opened: \(error)")
        }
    }

    /// A camera's credentials and their origin, for the prober (nil: the camera has none).
    /// - Throws: `not_found`.
    func credentials(id: String) throws(ContractError) -> CameraCredentials? {
        let columns: SealedColumns?
        do { columns = try database.read { db in try Self.sealedColumns(db, id: id) } } catch {
            throw ContractError(code: "internal", message: "storage error: \(error)")
        }
        guard let columns else { throw ContractError(code: "not_found", field: "id", message: "no camera with id \(id)") }
        guard let sealed = columns.sealed else { return nil }
        let stored = try open(sealed)
        return CameraCredentials(id: id, username: stored.username, password: stored.password, origin: columns.origin)
    }

    /// Seals credentials an older version stored in plain text, binds them to the camera's stream
    /// origin (dropped when it has none), and rewrites an SQLite file so no plain copy stays in free
    /// pages (PostgreSQL's autovacuum reclaims the old row versions).
    func sealLegacyCredentials() throws {
        let rows = try database.read { db in
            try db.rows("SELECT id, username, password, hlsURL FROM camera WHERE username IS NOT NULL OR password IS NOT NULL")
        }
        guard !rows.isEmpty else { return }
        try database.write { db in
            for row in rows {
                var columns = SealedColumns.empty
                if let origin = CameraCredentials.origin(of: row.string("hlsURL")) {
                    let credentials = StoredCredentials(username: row.string("username") ?? "", password: row.string("password") ?? "")
                    columns = SealedColumns(sealed: try secrets.seal(try JSONEncoder().encode(credentials)), origin: origin)
                }
                try db.execute("UPDATE camera SET username = NULL, password = NULL, credentials = ?, credentialsOrigin = ? WHERE id = ?",
                               columns.sealed, columns.origin, row.string("id") ?? "")
            }
        }
        if let sqlite = database as? SQLiteDatabase {
            try sqlite.pool.writeWithoutTransaction { db in
                try db.execute(sql: "VACUUM")
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
        }
    }

    /// Re-seals every stored credential with the current key (`cctv-out secrets rotate`).
    /// - Returns: how many were re-sealed.
    package func resealCredentials() throws -> Int {
        try database.write { db in
            var count = 0
            for row in try db.rows("SELECT id, credentials FROM camera WHERE credentials IS NOT NULL") {
                guard let sealed = row.string("credentials"), let id = row.string("id"), try !secrets.isCurrent(sealed) else { continue }
                try db.execute("UPDATE camera SET credentials = ? WHERE id = ?", try secrets.seal(try secrets.open(sealed)), id)
                count += 1
            }
            return count
        }
    }
}
