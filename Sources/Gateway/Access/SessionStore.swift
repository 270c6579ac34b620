import Foundation
import GRDB
import Hummingbird

/// Browser sessions for hummingbird-auth's `SessionMiddleware`, kept in `accounts.sqlite` so they
/// survive a gateway restart and `cctv-out users` can end them. The key is stored as its SHA-256
/// digest: reading the database does not give anyone a usable session cookie.
struct SessionStore: PersistDriver {
    let database: DatabasePool

    func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        let data = try JSONEncoder().encode(value)
        try await database.write { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM session WHERE key = ?", arguments: [Self.digest(key)]) != nil { throw PersistError.duplicate }
            try db.execute(sql: "INSERT INTO session (key, value, expiresAt) VALUES (?, ?, ?)", arguments: [Self.digest(key), data, Self.deadline(expires)])
        }
    }

    func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        let data = try JSONEncoder().encode(value)
        try await database.write { db in
            if let expires {
                try db.execute(sql: "INSERT OR REPLACE INTO session (key, value, expiresAt) VALUES (?, ?, ?)", arguments: [Self.digest(key), data, Self.deadline(expires)])
            } else {
                // Keep the existing expiry (the PersistDriver contract).
                try db.execute(sql: "INSERT INTO session (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                               arguments: [Self.digest(key), data])
            }
        }
    }

    func get<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> Object? {
        try await getWithTTL(key: key, as: Object.self)?.object
    }

    func getWithTTL<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> (object: Object, ttl: Duration?)? {
        let now = Date()
        guard let row = try await database.read({ db in
            try Row.fetchOne(db, sql: "SELECT value, expiresAt FROM session WHERE key = ?", arguments: [Self.digest(key)])
        }) else { return nil }
        let expiresAt: Date? = row["expiresAt"]
        if let expiresAt, expiresAt <= now { return nil }
        guard let object = try? JSONDecoder().decode(Object.self, from: row["value"] as Data) else { throw PersistError.invalidConversion }
        return (object, expiresAt.map { .seconds(Int64($0.timeIntervalSince(now))) })
    }

    func remove(key: String) async throws {
        try await database.write { db in try db.execute(sql: "DELETE FROM session WHERE key = ?", arguments: [Self.digest(key)]) }
    }

    /// Deletes expired sessions; the gateway calls it now and then.
    func purgeExpired(now: Date = Date()) throws {
        try database.write { db in try db.execute(sql: "DELETE FROM session WHERE expiresAt <= ?", arguments: [now]) }
    }

    static func deadline(_ expires: Duration?) -> Date? {
        expires.map { Date().addingTimeInterval(Double($0.components.seconds)) }
    }

    static func digest(_ key: String) -> String { AccountStore.digest(key) }
}
