import Foundation
import GRDB

/// A service's SQLite database (the one-box default): `{dataDir}/{service}.sqlite` in WAL mode, one
/// writer at a time (GRDB's pool serialises writes), readers never block it.
public final class SQLiteDatabase: SQLDatabase {
    /// The GRDB pool, for code that has not moved to ``SQLConnection`` yet.
    public let pool: DatabasePool
    public var dialect: SQLDialect { .sqlite }
    private let prepared = PreparedStatements()

    /// Opens (creating if needed) `{directory}/{service}.sqlite` and runs `migrator`.
    public init(directory: String, service: String, migrator: DatabaseMigrator) throws {
        pool = try ServiceDatabase.open(dataDir: directory, service: service, migrator: migrator)
    }

    /// Wraps a pool opened elsewhere.
    public init(pool: DatabasePool) {
        self.pool = pool
    }

    public func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try pool.write { db in try body(GRDBConnection(db: db, prepared: prepared)) }
    }

    public func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try pool.read { db in try body(GRDBConnection(db: db, prepared: prepared)) }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await pool.write { [prepared] db in try body(GRDBConnection(db: db, prepared: prepared)) }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await pool.read { [prepared] db in try body(GRDBConnection(db: db, prepared: prepared)) }
    }

    public func close() async { try? pool.close() }
}

/// ``SQLConnection`` over one GRDB database access.
struct GRDBConnection: SQLConnection {
    let db: Database
    let prepared: PreparedStatements
    var dialect: SQLDialect { .sqlite }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        let arguments = StatementArguments(arguments.map(Self.databaseValue))
        if prepared.admits(sql) {
            try db.cachedStatement(sql: sql).execute(arguments: arguments)
        } else {
            try db.execute(sql: sql, arguments: arguments)
        }
        return db.changesCount
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        let arguments = StatementArguments(arguments.map(Self.databaseValue))
        let rows = prepared.admits(sql) ? try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments) : try Row.fetchAll(db, sql: sql, arguments: arguments)
        return rows.map { row in
            var values: [String: SQLValue] = [:]
            for (column, value) in row {
                values[column] = switch value.storage {
                case .null: .null
                case let .int64(number): .int(number)
                case let .double(number): .double(number)
                case let .string(text): .text(text)
                case let .blob(data): .blob(data)
                }
            }
            return SQLRow(values)
        }
    }

    static func databaseValue(_ value: SQLValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case let .int(number): number.databaseValue
        case let .double(number): number.databaseValue
        case let .text(text): text.databaseValue
        case let .blob(data): data.databaseValue
        case let .bool(flag): flag.databaseValue
        case let .date(date): date.databaseValue
        }
    }
}
