import Foundation

/// A value bound into a statement or read from a row, the same for SQLite and PostgreSQL.
package enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob(Data)
    case bool(Bool)
    case date(Date)
}

/// Something that can be bound as a statement argument.
package protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension String: SQLBindable { package var sqlValue: SQLValue { .text(self) } }
extension Int: SQLBindable { package var sqlValue: SQLValue { .int(Int64(self)) } }
extension Int64: SQLBindable { package var sqlValue: SQLValue { .int(self) } }
extension Double: SQLBindable { package var sqlValue: SQLValue { .double(self) } }
extension Bool: SQLBindable { package var sqlValue: SQLValue { .bool(self) } }
extension Data: SQLBindable { package var sqlValue: SQLValue { .blob(self) } }
extension Date: SQLBindable { package var sqlValue: SQLValue { .date(self) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    package var sqlValue: SQLValue { self?.sqlValue ?? .null }
}
