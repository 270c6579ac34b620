import Foundation
import ServiceRuntime

/// The pending queue: which deliveries are due, their bodies, and holding a channel's deliveries
/// while its circuit breaker is open.
extension DeliveryStore {
    /// Deliveries due now, oldest due first, leaving out the given channels (breaker open or
    /// saturated) and deliveries already in flight.
    package func due(now: Date = Date(), excludingTargets: Set<String> = [], excludingIDs: Set<String> = [], limit: Int = 64) throws -> [Pending] {
        try database.read { db in
            var conditions: [String] = []
            var arguments: [SQLValue] = []
            if !excludingTargets.isEmpty {
                conditions.append("target NOT IN (\(Self.placeholders(excludingTargets.count)))")
                arguments += excludingTargets.map(\.sqlValue)
            }
            if !excludingIDs.isEmpty {
                conditions.append("id NOT IN (\(Self.placeholders(excludingIDs.count)))")
                arguments += excludingIDs.map(\.sqlValue)
            }
            return try Self.pending(db, now: now, where: conditions, arguments, limit: limit)
        }
    }

    /// Deliveries of channel `target` due now, oldest due first, leaving out those in flight.
    package func due(target: String, now: Date = Date(), excludingIDs: Set<String> = [], limit: Int) throws -> [Pending] {
        try database.read { db in
            var conditions = ["target = ?"]
            var arguments: [SQLValue] = [target.sqlValue]
            if !excludingIDs.isEmpty {
                conditions.append("id NOT IN (\(Self.placeholders(excludingIDs.count)))")
                arguments += excludingIDs.map(\.sqlValue)
            }
            return try Self.pending(db, now: now, where: conditions, arguments, limit: limit)
        }
    }

    /// `?, ?, …` for a list of `count` arguments.
    static func placeholders(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }

    /// Pending rows due at `now` matching `conditions`, oldest due first. Without the body: it is
    /// loaded only for the deliveries that start (``body(of:)``).
    fileprivate static func pending(_ db: any SQLConnection, now: Date, where conditions: [String], _ arguments: [SQLValue], limit: Int) throws -> [Pending] {
        let filter = conditions.map { " AND " + $0 }.joined()
        return try db.rows("""
            SELECT id, target, channel, team, display, attempts, issueID, cameraID, event FROM delivery
            WHERE state = 'pending' AND nextAttemptAt <= ?\(filter) ORDER BY nextAttemptAt LIMIT ?
            """, [now.sqlValue] + arguments + [limit.sqlValue]).map(Pending.init(row:))
    }

    /// The stored payload of one delivery.
    package func body(of id: String) throws -> Data? {
        try database.read { db in try db.row("SELECT body FROM delivery WHERE id = ?", id)?.data("body") }
    }

    /// When the next pending delivery is due, if any.
    package func nextDue() throws -> Date? {
        try database.read { db in try db.row("SELECT MIN(nextAttemptAt) AS due FROM delivery WHERE state = 'pending'")?.date("due") }
    }

    /// Holds every pending delivery of `target` until `until` without touching its attempts
    /// (its circuit breaker is open).
    package func deferTarget(_ target: String, until: Date) async throws {
        try await write { db in
            try db.execute("UPDATE delivery SET nextAttemptAt = ? WHERE state = 'pending' AND target = ? AND nextAttemptAt < ?", until, target, until)
        }
    }
}

extension DeliveryStore.Pending {
    /// A row of `delivery` as ``DeliveryStore/due(now:excludingTargets:excludingIDs:limit:)`` selects it.
    init(row: SQLRow) {
        self.init(id: row.string("id") ?? "", target: row.string("target") ?? "", channel: row.string("channel") ?? "", team: row.string("team") ?? "",
                  display: row.string("display") ?? "", attempts: row.int("attempts") ?? 0, issueID: row.string("issueID") ?? "",
                  cameraID: row.string("cameraID") ?? "", event: row.string("event") ?? "")
    }
}
