import Synchronization

/// Which SQL texts a SQLite database keeps prepared (GRDB's per-connection statement cache).
///
/// Preparing a statement is most of what a small write costs: SQLite parses it and GRDB's
/// authorizer records which tables it touches. In a `perf` profile of a 100,000-camera import,
/// preparing each statement anew was about a quarter of `serve`'s CPU. Stores pass fixed SQL with
/// `?` placeholders, so a handful of texts repeat; the first ``limit`` distinct single-statement
/// DML/SELECT texts are kept prepared, later new ones are prepared per use. So SQL built from
/// values (an `IN (?, ?, …)` list of varying length) cannot grow the cache without bound, and
/// schema statements and multi-statement scripts are never cached.
///
/// Nor are long texts or `IN` lists of more than ``longestList`` values: a cached statement keeps
/// its last bound arguments and SQLite's compiled program until it is used again, and every list
/// length is a text of its own. heaptrack of `serve` 5 minutes after a 50,000-camera import: the
/// registry's `IN` list of every imported id, kept prepared, still held 13.9 MB of bound ids plus
/// SQLite's program; the issues service's lists of 1 to 500 result cameras took the cache's 256
/// places (7.3 MB of ids), so statements first run after them were never kept prepared.
final class PreparedStatements: Sendable {
    /// Most distinct SQL texts kept prepared on each connection.
    static let limit = 256
    /// Longest SQL text kept prepared (an `IN` list of ~1,300 placeholders; the stores' fixed
    /// statements are under 1,000 characters).
    static let longestText = 4_096
    /// Longest `IN (?, ?, …)` list kept prepared.
    static let longestList = 8
    private let admitted = Mutex<Set<String>>([])

    /// Whether `sql` is (now) one of the texts kept prepared.
    func admits(_ sql: String) -> Bool {
        if admitted.withLock({ $0.contains(sql) }) { return true }
        guard Self.isCacheable(sql) else { return false }
        return admitted.withLock { admitted in
            guard admitted.count < Self.limit else { return admitted.contains(sql) }
            admitted.insert(sql)
            return true
        }
    }

    /// One statement that reads or changes rows (a cached statement must be a single one; schema
    /// changes run once).
    static func isCacheable(_ sql: String) -> Bool {
        guard sql.utf8.count <= longestText, !hasLongValueList(sql) else { return false }
        var text = sql.drop { $0.isWhitespace }
        while let last = text.last, last == ";" || last.isWhitespace { text = text.dropLast() }
        guard !text.contains(";") else { return false }
        let keyword = text.prefix { $0.isLetter }.uppercased()
        return ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE"].contains(keyword)
    }

    /// Whether `sql` has an `IN (…)` list of more than ``longestList`` placeholders.
    static func hasLongValueList(_ sql: String) -> Bool {
        var rest = sql.uppercased()[...]
        while let open = rest.range(of: "IN (") ?? rest.range(of: "IN(") {
            rest = rest[open.upperBound...]
            let list = rest.prefix { $0 == "?" || $0 == "," || $0.isWhitespace }
            if list.filter({ $0 == "?" }).count > longestList { return true }
        }
        return false
    }
}
