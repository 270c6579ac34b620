import Foundation

/// One kind of history row that expires: the rows of `table` that meet `expired` once they are
/// older than `maxAge` (e.g. resolved incidents whose resolution is older than 400 days).
package struct RetentionRule: Sendable, Equatable {
    /// What the rows are, for the log (`resolved incidents`).
    package var name: String
    package var table: String
    /// The SQL condition of an expired row. It may use `:cutoff` (bound as a GRDB datetime, for
    /// datetime columns) and `:cutoffText` (the contract's ISO 8601 text, for dates inside stored
    /// JSON). Put a cheap column test first: it is evaluated on every row while searching.
    package var expired: String
    /// Seconds a row is kept; 0 = forever (the rule is skipped).
    package var maxAge: TimeInterval

    package init(name: String, table: String, expired: String, maxAge: TimeInterval) {
        self.name = name; self.table = table; self.expired = expired; self.maxAge = maxAge
    }

    /// Days as a `maxAge`.
    package static func days(_ days: Int) -> TimeInterval { TimeInterval(days) * 86_400 }

    /// SQL for one field of the JSON stored in `column` (e.g. a date to compare with `:cutoffText`),
    /// as SQLite says it; ``expired(in:)`` says it for PostgreSQL.
    package static func jsonField(_ column: String, _ key: String) -> String {
        "json_extract(CAST(\(column) AS TEXT), '$.\(key)')"
    }

    /// ``expired`` in `dialect`: PostgreSQL reads a JSON field with `->>` (the column holds JSON text).
    package func expired(in dialect: SQLDialect) -> String {
        dialect == .sqlite ? expired : Self.postgresJSON(expired)
    }

    /// Every `json_extract(CAST(c AS TEXT), '$.k')` written by ``jsonField(_:_:)`` as `(CAST(c AS TEXT)::jsonb ->> 'k')`.
    package static func postgresJSON(_ sql: String) -> String {
        var out = ""
        var rest = Substring(sql)
        while let start = rest.range(of: "json_extract(CAST("), let asText = rest[start.upperBound...].range(of: " AS TEXT), '$."),
              let close = rest[asText.upperBound...].range(of: "')") {
            out += rest[..<start.lowerBound]
            let column = rest[start.upperBound..<asText.lowerBound]
            let key = rest[asText.upperBound..<close.lowerBound]
            out += "(CAST(\(column) AS TEXT)::jsonb ->> '\(key)')"
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// Resolved and closed incidents whose resolution is older than `days`, in a table with the
    /// columns `state`, `openedAt` and the incident's JSON in `json` (the issues service's store
    /// and the gateway's read store). An open incident never expires, however old.
    package static func resolvedIncidents(name: String, table: String, days: Int) -> RetentionRule {
        RetentionRule(
            name: name, table: table,
            // openedAt (a column) first: an incident resolved before the cutoff opened before it too.
            expired: "state IN ('RESOLVED','CLOSED') AND openedAt < :cutoff AND COALESCE(\(jsonField("json", "resolvedAt")), \(jsonField("json", "updatedAt"))) < :cutoffText",
            maxAge: RetentionRule.days(days))
    }
}
