import CCTVContract
import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// Deletes expired history in the background, in small batches: up to 500 expired rows are found
/// in a read (WAL readers never block the writer), then deleted by rowid in one short write
/// transaction, with a pause before the next batch, so the service's own writes never wait long
/// behind it. Runs once a minute after start, then every hour.
public struct RetentionSweeper: Sendable {
    let database: DatabasePool
    let rules: [RetentionRule]
    let logger: Logger
    let batchSize: Int
    let pause: Duration

    public init(database: DatabasePool, logger: Logger, rules: [RetentionRule], batchSize: Int = 500, pause: Duration = .milliseconds(20)) {
        self.database = database; self.rules = rules.filter { $0.maxAge > 0 }; self.logger = logger
        self.batchSize = batchSize; self.pause = pause
    }

    /// Deletes every row that expired by `now`, batch by batch; returns how many per rule name.
    @discardableResult
    public func sweep(now: Date = Date()) async throws -> [String: Int] {
        var deleted: [String: Int] = [:]
        for rule in rules {
            let cutoff = now.addingTimeInterval(-rule.maxAge)
            let arguments = Self.arguments(for: rule.expired, cutoff: cutoff)
            var total = 0
            while !Task.isCancelled {
                let rowids = try await database.read { db in
                    try Int64.fetchAll(db, sql: "SELECT rowid FROM \(rule.table) WHERE \(rule.expired) LIMIT \(batchSize)", arguments: arguments)
                }
                if rowids.isEmpty { break }
                let count = try await database.write { db in
                    // Checked again inside the write: a row that changed since the read stays.
                    try db.execute(sql: "DELETE FROM \(rule.table) WHERE rowid IN (\(rowids.map(String.init).joined(separator: ","))) AND (\(rule.expired))",
                                   arguments: arguments)
                    return db.changesCount
                }
                total += count
                if rowids.count < batchSize || count == 0 { break }
                try? await Task.sleep(for: pause)
            }
            deleted[rule.name] = total
            if total > 0 {
                logger.info("expired history deleted", metadata: ["rows": "\(total)", "what": "\(rule.name)", "older_than_days": "\(Int(rule.maxAge / 86_400))"])
            }
        }
        return deleted
    }

    /// The named arguments `expired` uses, out of `:cutoff` and `:cutoffText`.
    static func arguments(for expired: String, cutoff: Date) -> StatementArguments {
        func uses(_ name: String) -> Bool {
            var rest = Substring(expired)
            while let range = rest.range(of: ":" + name) {
                let next = rest[range.upperBound...].first
                if next == nil || !(next!.isLetter || next!.isNumber || next == "_") { return true }
                rest = rest[range.upperBound...]
            }
            return false
        }
        var values: [String: (any DatabaseValueConvertible)?] = [:]
        if uses("cutoff") { values["cutoff"] = cutoff }
        if uses("cutoffText") { values["cutoffText"] = ContractCodec.text(of: cutoff) }
        return StatementArguments(values)
    }

    /// Sweeps `firstAfter` after start, then every `every`, until cancelled or shut down (and
    /// only then returns, even with nothing to sweep: a service may end when a task ends).
    public func run(every: Duration = .seconds(3600), firstAfter: Duration = .seconds(60)) async {
        guard !rules.isEmpty else { try? await gracefulShutdown(); return }
        var wait = firstAfter
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // Ends at once on graceful shutdown, not after the sleep.
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            do { try await sweep() } catch { logger.error("retention sweep failed", metadata: ["error": "\(error)"]) }
            wait = every
        }
    }
}
