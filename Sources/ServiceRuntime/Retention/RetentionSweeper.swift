import CCTVContract
import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// Deletes expired history in the background, in small batches: in SQLite up to 500 expired rows
/// are found in a read (WAL readers never block the writer), then deleted by rowid in one short
/// write transaction; in PostgreSQL one `DELETE … WHERE ctid IN (SELECT … LIMIT 500)` per batch
/// (MVCC: readers are never blocked). A pause before the next batch keeps the service's own writes
/// from waiting long behind it. Runs once a minute after start, then every hour.
package struct RetentionSweeper: Sendable {
    let database: any SQLDatabase
    let rules: [RetentionRule]
    let logger: Logger
    let batchSize: Int
    let pause: Duration

    package init(database: any SQLDatabase, logger: Logger, rules: [RetentionRule], batchSize: Int = 500, pause: Duration = .milliseconds(20)) {
        self.database = database; self.rules = rules.filter { $0.maxAge > 0 }; self.logger = logger
        self.batchSize = batchSize; self.pause = pause
    }

    /// A sweeper over an SQLite pool.
    package init(database: DatabasePool, logger: Logger, rules: [RetentionRule], batchSize: Int = 500, pause: Duration = .milliseconds(20)) {
        self.init(database: SQLiteDatabase(pool: database), logger: logger, rules: rules, batchSize: batchSize, pause: pause)
    }

    /// Deletes every row that expired by `now`, batch by batch; returns how many per rule name.
    @discardableResult
    package func sweep(now: Date = Date()) async throws -> [String: Int] {
        var deleted: [String: Int] = [:]
        for rule in rules {
            let (expired, arguments) = Self.statement(rule.expired(in: database.dialect), cutoff: now.addingTimeInterval(-rule.maxAge))
            var total = 0
            while !Task.isCancelled {
                let (found, count) = try await deleteBatch(table: rule.table, expired: expired, arguments: arguments)
                total += count
                if found < batchSize || count == 0 { break }
                try? await Task.sleep(for: pause)
            }
            deleted[rule.name] = total
            if total > 0 {
                logger.info("expired history deleted", metadata: ["rows": "\(total)", "what": "\(rule.name)", "older_than_days": "\(Int(rule.maxAge / 86_400))"])
            }
        }
        return deleted
    }

    /// One batch: how many expired rows were found and how many were deleted.
    private func deleteBatch(table: String, expired: String, arguments: [SQLValue]) async throws -> (found: Int, deleted: Int) {
        let limit = batchSize
        switch database.dialect {
        case .postgres:
            let count = try await database.write { db in
                try db.execute("DELETE FROM \(table) WHERE ctid IN (SELECT ctid FROM \(table) WHERE \(expired) LIMIT \(limit))", arguments)
            }
            return (count, count)
        case .sqlite:
            let rowids = try await database.read { db in
                try db.rows("SELECT rowid AS r FROM \(table) WHERE \(expired) LIMIT \(limit)", arguments).compactMap { $0.int("r") }
            }
            if rowids.isEmpty { return (0, 0) }
            let count = try await database.write { db in
                // Checked again inside the write: a row that changed since the read stays.
                try db.execute("DELETE FROM \(table) WHERE rowid IN (\(rowids.map(String.init).joined(separator: ","))) AND (\(expired))", arguments)
            }
            return (rowids.count, count)
        }
    }

    /// `expired` with `:cutoff` and `:cutoffText` replaced by `?`, and the values to bind, in order.
    static func statement(_ expired: String, cutoff: Date) -> (sql: String, arguments: [SQLValue]) {
        var sql = ""
        var arguments: [SQLValue] = []
        var rest = Substring(expired)
        while let colon = rest.firstIndex(of: ":") {
            sql += rest[..<colon]
            let name = rest[rest.index(after: colon)...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            switch name {
            case "cutoff": sql += "?"; arguments.append(.date(cutoff))
            case "cutoffText": sql += "?"; arguments.append(.text(ContractCodec.text(of: cutoff)))
            default: sql += ":" + name
            }
            rest = rest[rest.index(colon, offsetBy: 1 + name.count)...]
        }
        return (sql + rest, arguments)
    }

    /// Sweeps `firstAfter` after start, then every `every`, until cancelled or shut down (and
    /// only then returns, even with nothing to sweep: a service may end when a task ends).
    package func run(every: Duration = .seconds(3600), firstAfter: Duration = .seconds(60)) async {
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
