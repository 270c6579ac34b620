import Foundation
import GRDB

/// One result row, by column name (case-insensitive: PostgreSQL folds unquoted names to lower case).
package struct SQLRow: Sendable {
    private var values: [String: SQLValue]

    package init(_ values: [String: SQLValue]) {
        self.values = Dictionary(values.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The raw value of `column` (`.null` when absent).
    package subscript(_ column: String) -> SQLValue { values[column.lowercased()] ?? .null }

    package func string(_ column: String) -> String? {
        switch self[column] {
        case let .text(text): text
        case let .int(value): String(value)
        case let .double(value): String(value)
        case let .blob(data): String(decoding: data, as: UTF8.self)
        default: nil
        }
    }

    package func int(_ column: String) -> Int? {
        switch self[column] {
        case let .int(value): Int(value)
        case let .double(value): Int(value)
        case let .bool(value): value ? 1 : 0
        case let .text(text): Int(text)
        default: nil
        }
    }

    package func double(_ column: String) -> Double? {
        switch self[column] {
        case let .double(value): value
        case let .int(value): Double(value)
        case let .text(text): Double(text)
        default: nil
        }
    }

    /// SQLite keeps booleans as 0/1.
    package func bool(_ column: String) -> Bool? {
        switch self[column] {
        case let .bool(value): value
        case let .int(value): value != 0
        default: nil
        }
    }

    package func data(_ column: String) -> Data? {
        switch self[column] {
        case let .blob(data): data
        case let .text(text): Data(text.utf8)
        default: nil
        }
    }

    /// SQLite keeps dates as GRDB's `YYYY-MM-DD HH:MM:SS.SSS` text (UTC); PostgreSQL as timestamptz.
    package func date(_ column: String) -> Date? {
        switch self[column] {
        case let .date(date): date
        case let .text(text): Date.fromDatabaseValue(text.databaseValue)
        case let .double(value): Date(timeIntervalSince1970: value)
        case let .int(value): Date(timeIntervalSince1970: Double(value))
        default: nil
        }
    }
}
