import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// How fast leadership moves between instances of a service.
package struct LeaseTiming: Sendable, Equatable {
    /// A standby asks for the lock this often.
    package var retryEvery: Duration = .seconds(1)
    /// The leader proves its session is alive this often (a query on the lock's connection).
    package var renewEvery: Duration = .seconds(1)
    /// PostgreSQL ends a lock session idle this long (`idle_session_timeout`): a leader paused or cut
    /// off from the database loses the lock after it, so a standby can take over. Must be well over
    /// ``renewEvery``.
    package var sessionTimeout: Duration = .seconds(5)
    /// A renewal that has not answered after this long means the leader lost its database.
    package var renewTimeout: Duration = .seconds(2)

    package init() {}
}

/// Leadership of one role ("issues", "notifier") among the instances sharing a PostgreSQL: the
/// leader holds a session advisory lock on a connection of its own and proves it is alive every
/// ``LeaseTiming/renewEvery``; PostgreSQL drops the lock when that session dies (process killed:
/// at once; process paused or partitioned: after ``LeaseTiming/sessionTimeout``). Each new leader
/// bumps the role's epoch in the `leadership` table of the role's schema, and every write of the
/// shared store checks it (``LeadershipFence``), so an old leader that wakes up writes nothing.
/// On SQLite (one box) there is nothing to share: the one instance leads at once, unfenced.
package final class LeaderLease: Sendable {
    let location: DatabaseLocation
    /// The role, which is also the schema its `leadership` row lives in (the service's own).
    package let role: String
    /// Who this instance is, as standbys and operators see it (`host:pid`).
    package let holder: String
    let logger: Logger
    let timing: LeaseTiming
    /// When the lock session last proved this instance leads (`nil`: it does not).
    private let confirmedAt = Mutex<ContinuousClock.Instant?>(nil)

    package init(location: DatabaseLocation, role: String, holder: String, logger: Logger, timing: LeaseTiming = LeaseTiming()) {
        self.location = location
        self.role = role
        self.holder = holder
        self.logger = logger
        self.timing = timing
    }

    /// Whether this instance leads as of less than ``LeaseTiming/sessionTimeout`` ago: PostgreSQL
    /// cannot have ended its lock session yet, so no other instance can lead. Non-blocking, for
    /// ``MQTTConfiguration/connectPermit``: a leader resumed after a pause longer than that (SIGSTOP,
    /// a frozen VM) is refused at once, before its renewal notices the loss (up to
    /// ``LeaseTiming/renewEvery`` + ``LeaseTiming/renewTimeout`` later), so its reconnect cannot
    /// take the shared broker session from the new leader meanwhile. SQLite: always.
    package var isConfirmed: Bool {
        guard case .postgres = location else { return true }
        guard let at = confirmedAt.withLock({ $0 }) else { return false }
        return ContinuousClock.now - at < timing.sessionTimeout
    }

    /// This machine's name and process: the default ``holder``.
    package static var defaultHolder: String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// Waits until this instance leads the role (SQLite: at once), then runs `body` with the fence.
    /// When leadership is lost `body` is cancelled and this throws ``LeadershipError/lost(role:epoch:)``;
    /// when `body` returns (or throws) the lock is given up at once, so a standby takes over without
    /// waiting for the session timeout. `onStandby` runs each time this instance starts waiting.
    package func withLeadership<T: Sendable>(onStandby: @Sendable () async -> Void = {},
                                            _ body: @escaping @Sendable (LeadershipFence) async throws -> T) async throws -> T {
        guard case let .postgres(address) = location else { return try await body(.unfenced) }
        let session = try await acquire(address, onStandby: onStandby)
        confirmedAt.withLock { $0 = .now }
        defer { confirmedAt.withLock { $0 = nil } }
        let fence = session.fence
        logger.notice("leading", metadata: ["role": "\(role)", "epoch": "\(fence.epoch)", "holder": "\(holder)"])
        do {
            let value = try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await body(fence) }
                group.addTask {
                    try await self.keepAlive(session)
                    return nil
                }
                defer { group.cancelAll() }
                while let next = try await group.next() {
                    if let value = next { return value }
                }
                throw CancellationError()
            }
            await session.release()
            return value
        } catch {
            await session.release()
            if case LeadershipError.lost = error {
                logger.error("leadership lost", metadata: ["role": "\(role)", "epoch": "\(fence.epoch)"])
            }
            throw error
        }
    }

    // MARK: - PostgreSQL

    /// The lock's own session: the connection holding the advisory lock, and the epoch won with it.
    struct LockSession: Sendable {
        let connection: PostgresConnection
        let fence: LeadershipFence
        let key: String
        let logger: Logger

        func query(_ sql: String, _ arguments: SQLValue...) async throws -> [SQLRow] {
            try await connection.query(try PostgresSession.query(sql, arguments), logger: logger).get().rows.map(PostgresSession.row)
        }

        /// Gives the lock up (and the connection): a standby's next try wins at once.
        func release() async {
            _ = try? await bounded(.seconds(2)) { try await query("SELECT pg_advisory_unlock(hashtext(?))", .text(key)) }
            if !connection.isClosed { try? await connection.close().get() }
        }
    }

    var lockKey: String { "cctv-out leader \(role)" }

    private func acquire(_ address: PostgresAddress, onStandby: @Sendable () async -> Void) async throws -> LockSession {
        var announcedStandby = false
        var lastProblem = ""
        while true {
            try Task.checkCancellation()
            do {
                if let session = try await tryLock(address) { return session }
                if !announcedStandby {
                    announcedStandby = true
                    logger.notice("standby", metadata: ["role": "\(role)", "holder": "\(holder)"])
                    await onStandby()
                }
                lastProblem = ""
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // The database is away: keep trying (said once per kind of failure, not every second).
                let problem = String(describing: error)
                if problem != lastProblem {
                    logger.warning("cannot ask for leadership", metadata: ["role": "\(role)", "error": "\(problem)"])
                    lastProblem = problem
                }
                if !announcedStandby {
                    announcedStandby = true
                    await onStandby()
                }
            }
            try await Task.sleep(for: timing.retryEvery)
        }
    }

    /// One try on a fresh connection: the lock, then the next epoch. `nil` when another instance leads.
    private func tryLock(_ address: PostgresAddress) async throws -> LockSession? {
        let connection = try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try address.configuration(),
                                                              id: 1, logger: logger)
        let provisional = LockSession(connection: connection, fence: .unfenced, key: lockKey, logger: logger)
        do {
            _ = try await provisional.query("SET idle_session_timeout = \(timing.sessionTimeout.milliseconds)")
            let won = try await provisional.query("SELECT pg_try_advisory_lock(hashtext(?)) AS won", .text(lockKey)).first?.bool("won") ?? false
            guard won else {
                try? await connection.close().get()
                return nil
            }
            // Only the lock holder gets here, so these never race another instance of the role.
            _ = try await provisional.query("CREATE SCHEMA IF NOT EXISTS \"\(role)\"")
            _ = try await provisional.query("""
                CREATE TABLE IF NOT EXISTS "\(role)".leadership (role text PRIMARY KEY, epoch bigint NOT NULL, holder text NOT NULL, since timestamptz NOT NULL)
                """)
            let epoch = try await provisional.query("""
                INSERT INTO "\(role)".leadership (role, epoch, holder, since) VALUES (?, 1, ?, now())
                ON CONFLICT (role) DO UPDATE SET epoch = leadership.epoch + 1, holder = EXCLUDED.holder, since = now() RETURNING epoch
                """, .text(role), .text(holder)).first?.int("epoch").map(Int64.init)
            guard let epoch else { throw LeadershipError.lost(role: role, epoch: 0) }
            return LockSession(connection: connection, fence: LeadershipFence(role: role, epoch: epoch), key: lockKey, logger: logger)
        } catch {
            try? await connection.close().get()
            throw error
        }
    }

    /// Renews until the session fails to answer in time or the epoch moved on: then leadership is lost.
    private func keepAlive(_ session: LockSession) async throws {
        while true {
            try await Task.sleep(for: timing.renewEvery)
            let epoch: Int64?
            do {
                epoch = try await session.bounded(timing.renewTimeout) {
                    try await session.query("SELECT epoch FROM \"\(self.role)\".leadership WHERE role = ?", .text(self.role)).first?.int("epoch").map(Int64.init)
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.error("leader's database session failed", metadata: ["role": "\(role)", "error": "\(error)"])
                throw LeadershipError.lost(role: role, epoch: session.fence.epoch)
            }
            guard epoch == session.fence.epoch else { throw LeadershipError.lost(role: role, epoch: session.fence.epoch) }
            confirmedAt.withLock { $0 = .now }
        }
    }
}

/// A lock session's query that did not answer in time.
struct LeaseQueryTimeout: Error {}

extension LeaderLease.LockSession {
    /// `work` on the lock's connection, given up after `limit`. Not a task group: a query on a
    /// connection the server has ended never completes (PostgresNIO 1.2x, seen here when
    /// `idle_session_timeout` ended a paused leader's session), and a group would wait for it forever.
    func bounded<T: Sendable>(_ limit: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        if connection.isClosed { throw LeaseQueryTimeout() }
        let answered = FirstClaim()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let query = Task {
                let result: Result<T, any Error>
                do { result = .success(try await work()) } catch { result = .failure(error) }
                if answered.claim() { continuation.resume(with: result) }
            }
            Task {
                try? await Task.sleep(for: limit)
                if answered.claim() {
                    query.cancel()
                    continuation.resume(throwing: LeaseQueryTimeout())
                }
            }
        }
    }
}
