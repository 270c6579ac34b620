import Foundation

/// The SQL spoken by a ``SQLDatabase``. Stores write one statement for both where they can
/// (`INSERT … ON CONFLICT … DO UPDATE`, `?` placeholders) and ask the dialect where they differ.
public enum SQLDialect: String, Sendable {
    case sqlite, postgres

    /// Case-insensitive `LIKE` (SQLite's `LIKE` already is, for ASCII).
    public var caseInsensitiveLike: String { self == .sqlite ? "LIKE" : "ILIKE" }

    /// One field of the JSON text stored in `column`, as text-comparable SQL: SQLite's
    /// `json_extract(CAST(c AS TEXT), '$.k')`, PostgreSQL's `(CAST(c AS TEXT)::jsonb ->> 'k')`.
    /// (SQLite gives JSON numbers and booleans as numbers, PostgreSQL everything as text.)
    public func jsonField(_ column: String, _ key: String) -> String {
        let sqlite = RetentionRule.jsonField(column, key)
        return self == .sqlite ? sqlite : RetentionRule.postgresJSON(sqlite)
    }

    /// `?, ?, …` for `count` arguments.
    public static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}

/// One open transaction (or read) of a service's database. Statements use `?` placeholders for
/// both engines; `execute` returns the number of rows changed.
public protocol SQLConnection {
    var dialect: SQLDialect { get }
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int
    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]
}

extension SQLConnection {
    @discardableResult
    public func execute(_ sql: String, _ arguments: any SQLBindable...) throws -> Int {
        try execute(sql, arguments.map(\.sqlValue))
    }

    public func rows(_ sql: String, _ arguments: any SQLBindable...) throws -> [SQLRow] {
        try rows(sql, arguments.map(\.sqlValue))
    }

    /// The first row, if any.
    public func row(_ sql: String, _ arguments: any SQLBindable...) throws -> SQLRow? {
        try rows(sql, arguments.map(\.sqlValue)).first
    }
}

/// A service's database, SQLite (one box) or PostgreSQL (shared by every machine). Each call is one
/// transaction: committed when the body returns, rolled back when it throws. The body runs on the
/// database's own thread (never on the caller's cooperative pool thread in the async forms).
public protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }
    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T
    /// Closes connections; later calls fail.
    func close() async
}
