import Foundation
import GRDB
import Logging
import MQTTBus
import Synchronization

/// A transactional outbox: events are written in the same transaction (SQLite or PostgreSQL) as the state change
/// that caused them, then published (QoS 1) and deleted only after the broker acknowledged them.
/// A crash anywhere in between re-publishes on restart: at-least-once, consumers dedupe by event id.
///
/// A batch counts as published only when every message of it was acknowledged on one unbroken
/// connection: after a reconnect the broker may be one that restarted and lost what it had
/// acknowledged, so the batch is published again (same envelope ids).
///
/// With ``RetainedState`` the outbox also keeps the service's retained messages whole at the
/// broker: it renews the service's ``RetainedStateMarker`` after each batch with retained
/// messages (and deletes the batch only then), and after every connect reads the marker back;
/// when the broker no longer holds it, the owner queues all its retained state again.
package final class EventOutbox: Sendable {
    let database: any SQLDatabase
    let logger: Logger
    let retainedState: RetainedState?
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    /// What the outbox needs to repair a service's retained messages at the broker.
    package struct RetainedState: Sendable {
        /// The service's marker.
        package var marker: RetainedStateMarker
        /// Queues (with ``EventOutbox/enqueue(_:topic:payload:retain:)``, inside the given write
        /// transaction) every retained message the service owns, as it is now; returns how many.
        package var republishAll: @Sendable (any SQLConnection) throws -> Int

        package init(marker: RetainedStateMarker, republishAll: @escaping @Sendable (any SQLConnection) throws -> Int) {
            self.marker = marker
            self.republishAll = republishAll
        }
    }

    /// The migrations that create the outbox tables; register them in the owning service's migrator.
    package static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("outbox v1") { db in
            try db.create(table: "outbox") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("topic", .text).notNull()
                t.column("payload", .blob).notNull()
                t.column("retain", .boolean).notNull()
            }
        }
        migrator.registerMigration("outbox v2 retained marker") { db in
            // The marker the broker acknowledged after the last batch with retained messages, and
            // the last row of a full republish that is still on its way.
            try db.create(table: "outboxMarker") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("token", .text)
                t.column("pendingUpTo", .integer)
            }
        }
    }

    /// The same tables as ``register(in:)`` for PostgreSQL; append them to the owning service's migrations.
    package static let postgresMigrations = [
        PostgresMigration("outbox v1", ["CREATE TABLE outbox (seq bigserial PRIMARY KEY, topic text NOT NULL, payload bytea NOT NULL, retain boolean NOT NULL)"]),
        PostgresMigration("outbox v2 retained marker", ["CREATE TABLE outboxMarker (id integer PRIMARY KEY CHECK (id = 1), token text, pendingUpTo bigint)"]),
    ]

    package init(database: any SQLDatabase, logger: Logger, retainedState: RetainedState? = nil) {
        self.database = database
        self.logger = logger
        self.retainedState = retainedState
        (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// An outbox over an SQLite pool (services not yet on ``SQLDatabase``).
    package convenience init(database: DatabasePool, logger: Logger, retainedState: RetainedState? = nil) {
        self.init(database: SQLiteDatabase(pool: database), logger: logger, retainedState: retainedState)
    }

    static let insertSQL = "INSERT INTO outbox (topic, payload, retain) VALUES (?, ?, ?)"

    /// Adds an event inside the caller's write transaction.
    package static func enqueue(_ db: any SQLConnection, topic: String, payload: [UInt8], retain: Bool) throws {
        try db.execute(insertSQL, [.text(topic), .blob(Data(payload)), .bool(retain)])
    }

    /// Adds an event inside the caller's GRDB write transaction (services not yet on ``SQLDatabase``).
    package static func enqueue(_ db: Database, topic: String, payload: [UInt8], retain: Bool) throws {
        try db.cachedStatement(sql: insertSQL).execute(arguments: [topic, Data(payload), retain])
    }

    /// Tells the publisher there is something new.
    package func signal() { wake.yield() }

    /// Number of events waiting.
    package func pending() throws -> Int {
        try database.read { db in try db.row("SELECT COUNT(*) AS n FROM outbox")?.int("n") ?? 0 }
    }

    private struct Pending: Sendable {
        var seq: Int64
        var topic: String
        var payload: Data
        var retain: Bool
    }

    /// Publishes waiting events in order on `bus`'s publishing connection until cancelled or
    /// ``finish()``ed.
    package func run(on bus: ServiceBus) async { await run(client: bus.client) }

    func run(client: MQTTClient) async {
        await withTaskGroup(of: Void.self) { group in
            if retainedState != nil {
                // Every connect is a reason to look: the broker may have come back without our state.
                group.addTask {
                    for await state in client.connectionStates() where state == .connected { self.wake.yield() }
                }
            }
            await publishInOrder(client: client)
            group.cancelAll()
        }
    }

    private func publishInOrder(client: MQTTClient) async {
        wake.yield()
        var verifiedEpoch: UInt64 = 0
        for await _ in wakes {
            while !Task.isCancelled {
                if let retainedState, client.connectionEpoch != verifiedEpoch {
                    // Nothing goes out before the broker's copy was checked on this connection.
                    let epoch = client.connectionEpoch
                    if epoch > 0, client.isConnected, await verify(retainedState, client: client) {
                        verifiedEpoch = epoch
                    } else {
                        try? await Task.sleep(for: .milliseconds(500))
                    }
                    continue
                }
                let batch: [Pending]
                do {
                    batch = try await database.read { db in
                        try db.rows("SELECT seq, topic, payload, retain FROM outbox ORDER BY seq LIMIT 256").map {
                            Pending(seq: Int64($0.int("seq") ?? 0), topic: $0.string("topic") ?? "", payload: $0.data("payload") ?? Data(),
                                    retain: $0.bool("retain") ?? false)
                        }
                    }
                } catch {
                    logger.error("outbox read failed", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                if batch.isEmpty { break }
                let epoch = client.connectionEpoch
                // Strictly in order (an incident's opened must not overtake its resolved): one in
                // flight. Loopback gives ~10k events/s this way, far above what incidents need.
                var done: [Int64] = []
                for row in batch {
                    do {
                        try await client.publish(row.topic, payload: Array(row.payload), qos: .atLeastOnce, retain: row.retain, timeout: .seconds(60))
                        done.append(row.seq)
                    } catch {
                        break
                    }
                }
                var token: String?
                let vouching = retainedState != nil && batch.contains { $0.retain }
                if vouching {
                    // Retained rows go only together with the marker that vouches for them.
                    if done.count == batch.count, let retainedState { token = try? await retainedState.marker.renew(on: client) }
                    if token == nil { done = [] }
                }
                if client.connectionEpoch != epoch { continue }
                if !done.isEmpty {
                    let list = done.map(String.init).joined(separator: ",")
                    let token = token
                    _ = try? await database.write { db in
                        try self.checkFence(db)
                        try db.execute("DELETE FROM outbox WHERE seq IN (\(list))")
                        if let token {
                            try db.execute("INSERT INTO outboxMarker (id, token) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET token = excluded.token", token)
                        }
                    }
                }
                if done.count < batch.count {
                    // Broker away or refusing: wait a little; nothing is lost, it stays in the table.
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            if Task.isCancelled { return }
        }
    }

    /// Reads the service's marker back from the broker; when the broker does not hold the last
    /// one acknowledged, queues the whole retained state again (unless such a republish is still
    /// on its way). Returns whether the check completed.
    private func verify(_ retainedState: RetainedState, client: MQTTClient) async -> Bool {
        do {
            let held = try await retainedState.marker.current(on: client)
            return try await database.write { db -> Bool in
                try self.checkFence(db)
                let stored = try db.row("SELECT token, pendingUpTo FROM outboxMarker WHERE id = 1")
                let ours = stored?.string("token")
                if let held, held == ours { return true }
                if let pending = stored?.int("pendingUpTo"),
                   try db.row("SELECT EXISTS (SELECT 1 FROM outbox WHERE seq <= ?) AS e", pending)?.bool("e") == true {
                    return true
                }
                let count = try retainedState.republishAll(db)
                let last = try db.row("SELECT MAX(seq) AS m FROM outbox")?.int("m")
                try db.execute("""
                    INSERT INTO outboxMarker (id, token, pendingUpTo) VALUES (1, NULL, ?)
                    ON CONFLICT(id) DO UPDATE SET token = NULL, pendingUpTo = excluded.pendingUpTo
                    """, last)
                let level: Logger.Level = ours == nil ? .info : .warning
                self.logger.log(level: level, "the broker does not hold this service's retained messages: publishing them again", metadata: [
                    "marker": "\(retainedState.marker.topic)", "broker_token": "\(held ?? "none")", "ours": "\(ours ?? "none")", "messages": "\(count)",
                ])
                return true
            }
        } catch {
            logger.warning("could not check the broker's copy of the retained messages; retrying", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Ends `run`.
    package func finish() { wake.finish() }

    /// The write check in a struct, never a bare closure in the Mutex: `withLock` hands its value
    /// over `inout` at the generic abstraction, so a bare function value was re-wrapped in two
    /// reabstraction thunks on every read and written back wrapped. The chain grew by two thunks per
    /// outbox write (each call walked the whole chain, and kept it): at 100,000 cameras perf showed
    /// 17 % of serve's CPU in nested thunks deeper than perf's 127-frame stack, growing without bound.
    private struct WriteCheck: Sendable {
        let check: @Sendable (any SQLConnection) throws -> Void
    }
    private let fence = Mutex<WriteCheck?>(nil)

    /// Runs `check` first in each of the outbox's own write transactions (deleting what was
    /// published, repairing the retained state): a leader that lost its role must not write.
    package func guardWrites(_ check: @escaping @Sendable (any SQLConnection) throws -> Void) {
        fence.withLock { $0 = WriteCheck(check: check) }
    }

    private func checkFence(_ db: any SQLConnection) throws {
        try fence.withLock { $0 }?.check(db)
    }
}
