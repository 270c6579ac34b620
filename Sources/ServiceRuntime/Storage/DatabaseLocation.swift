import Foundation
import GRDB
import Logging
import PostgresNIO

/// Where a service keeps its data: SQLite files in the data folder (one box, the default) or a
/// PostgreSQL database every machine shares (each service in its own schema).
package enum DatabaseLocation: Sendable, Equatable {
    case sqlite(directory: String)
    case postgres(PostgresAddress)

    /// Opens one service's database here: `{dataDir}/{service}.sqlite` with `sqlite`, or schema
    /// `{service}` in PostgreSQL with `postgres` (each migrated).
    package func open(service: String, sqlite: DatabaseMigrator, postgres: [PostgresMigration], logger: Logger) throws -> any SQLDatabase {
        switch self {
        case let .sqlite(directory): try SQLiteDatabase(directory: directory, service: service, migrator: sqlite)
        case let .postgres(address): try PostgresDatabase(address: address, schema: service, migrations: postgres, logger: logger)
        }
    }
}

/// A PostgreSQL server and database; the password never appears in ``description``.
package struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    package var tls: Bool

    package init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String, tls: Bool = false) {
        self.host = host; self.port = port; self.user = user; self.password = password; self.database = database; self.tls = tls
    }

    package var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// Parses the `database` setting: empty = none (SQLite), else
    /// `postgres://user:password@host:port/database[?sslmode=disable|require]`.
    /// - Throws: ``SettingsError`` naming `key`, with the password masked.
    package static func parse(_ text: String, key: String = "database") throws(SettingsError) -> PostgresAddress? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        let expected = "empty (SQLite in the data folder) or postgres://user:password@host:5432/database[?sslmode=require]"
        guard let components = URLComponents(string: trimmed), ["postgres", "postgresql"].contains(components.scheme?.lowercased() ?? ""),
              let host = components.host, !host.isEmpty else {
            throw .invalid(key: key, value: redacted(trimmed), expected: expected)
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw .invalid(key: key, value: redacted(trimmed), expected: expected) }
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard ["disable", "require"].contains(sslmode) else {
            throw .invalid(key: key, value: redacted(trimmed), expected: "sslmode=disable or sslmode=require")
        }
        return PostgresAddress(host: host, port: components.port ?? 5432, user: components.user ?? "postgres",
                               password: components.password?.removingPercentEncoding, database: database, tls: sslmode == "require")
    }

    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "******"
        return components.string ?? url
    }

    func configuration() throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database,
            tls: tls ? .require(try .init(configuration: .makeClientConfiguration())) : .disable)
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}

/// A storage failure a user can act on.
package enum StoreError: Error, Sendable, CustomStringConvertible {
    case unreachable(String, String)
    case migration(String, String)
    case closed(String)

    package var description: String {
        switch self {
        case let .unreachable(server, why): "cannot reach the database \(server): \(why) (is PostgreSQL running there, and do the user, password and database in --database exist?)"
        case let .migration(schema, why): "could not migrate schema \(schema): \(why)"
        case let .closed(schema): "database \(schema) is closed"
        }
    }
}
