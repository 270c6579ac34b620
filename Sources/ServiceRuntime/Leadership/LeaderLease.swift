import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

// STAND-IN for the lead's LeaderLease (same public API as announced for main); replace this file
// with the lead's when it lands. Kept minimal: one lock session per lease, advisory lock + epoch row.

/// Proof that this instance leads `role` at `epoch`.
public struct LeadershipFence: Sendable {
    public let role: String
    public let epoch: Int64

    /// One box (SQLite): ``check(_:)`` is a no-op.
    public static let unfenced = LeadershipFence(role: "", epoch: 0)

    /// First statement of every write transaction on the shared store: throws ``LeadershipError/lost(role:epoch:)``
    /// unless this instance still holds the role (row `leadership(role, epoch, holder)` read FOR SHARE and compared).
    public func check(_ connection: any SQLConnection) throws {
        guard !role.isEmpty, connection.dialect == .postgres else { return }
        let current = try connection.row("SELECT epoch FROM leadership WHERE role = ? FOR SHARE", role)?.int("epoch")
        guard current.map(Int64.init) == epoch else { throw LeadershipError.lost(role: role, epoch: epoch) }
    }
}

private final class Once: Sendable {
    private let claimed = Atomic(false)
    func claim() -> Bool { !claimed.exchange(true, ordering: .relaxed) }
}

public enum LeadershipError: Error { case lost(role: String, epoch: Int64) }

/// How often the lease tries and checks its lock session.
public struct LeaseTiming: Sendable {
    public var retry: Duration = .seconds(1)
    public var heartbeat: Duration = .seconds(1)
    /// PostgreSQL's `idle_session_timeout` on the lock session: a paused holder loses it after this.
    public var idleTimeout: Duration = .seconds(5)
    public init() {}
}

/// Leader election on the shared PostgreSQL (an advisory lock held by one session), one box at once.
public final class LeaderLease: Sendable {
    let location: DatabaseLocation
    let role: String
    let holder: String
    let logger: Logger
    let timing: LeaseTiming

    public init(location: DatabaseLocation, role: String, holder: String, logger: Logger, timing: LeaseTiming = LeaseTiming()) {
        self.location = location; self.role = role; self.holder = holder; self.logger = logger; self.timing = timing
    }

    /// Waits until this instance leads `role` (SQLite: at once), runs `body` with the fence; when leadership is
    /// lost `body` is cancelled and `withLeadership` throws LeadershipError.lost. `onStandby` is called while waiting.
    public func withLeadership<T: Sendable>(onStandby: @Sendable () async -> Void = {}, _ body: @Sendable (LeadershipFence) async throws -> T) async throws -> T {
        guard case let .postgres(address) = location else { return try await body(.unfenced) }
        let (connection, epoch) = try await acquire(address, onStandby: onStandby)
        let fence = LeadershipFence(role: role, epoch: epoch)
        logger.notice("leading", metadata: ["role": "\(role)", "epoch": "\(epoch)", "holder": "\(holder)"])
        defer { connection.close().whenComplete { _ in _ = connection } }
        return try await withoutActuallyEscaping(body) { body in
            try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await body(fence) }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.timing.heartbeat)
                        if Task.isCancelled { return nil }
                        // A session PostgreSQL ended while this process was paused may never answer: bounded.
                        // (Not a task group: it would wait for a query that never ends.)
                        let alive = connection.isClosed ? false : await withCheckedContinuation { (answer: CheckedContinuation<Bool, Never>) in
                            let once = Once()
                            Task { let ok = (try? await connection.query("SELECT 1", logger: self.logger).collect()) != nil; if once.claim() { answer.resume(returning: ok) } }
                            Task { try? await Task.sleep(for: self.timing.heartbeat * 2); if once.claim() { answer.resume(returning: false) } }
                        }
                        if !alive || connection.isClosed {
                            self.logger.warning("leader lease: the lock session is gone", metadata: ["role": "\(self.role)", "epoch": "\(epoch)"])
                            throw LeadershipError.lost(role: self.role, epoch: epoch)
                        }
                    }
                    return nil
                }
                defer { group.cancelAll() }
                while let next = try await group.next() {
                    if let value = next { return value }
                }
                throw CancellationError()
            }
        }
    }

    private func acquire(_ address: PostgresAddress, onStandby: @Sendable () async -> Void) async throws -> (PostgresConnection, Int64) {
        while true {
            try Task.checkCancellation()
            do {
                let connection = try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try address.configuration(),
                                                                      id: Int.random(in: 1...Int(Int32.max)), logger: logger)
                do {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(role)\""), logger: logger).collect()
                    _ = try await connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \"\(role)\""), logger: logger).collect()
                    _ = try await connection.query(PostgresQuery(unsafeSQL: "SET idle_session_timeout = \(Int(timing.idleTimeout.seconds * 1000))"), logger: logger).collect()
                    _ = try await connection.query("CREATE TABLE IF NOT EXISTS leadership (role text PRIMARY KEY, epoch bigint NOT NULL, holder text NOT NULL)", logger: logger).collect()
                    while true {
                        try Task.checkCancellation()
                        let key = "cctv-out leader \(role)"
                        let got = try await connection.query("SELECT pg_try_advisory_lock(hashtext(\(key))) AS got", logger: logger).collect().first?
                            .decode(Bool.self) ?? false
                        if got {
                            let row = try await connection.query("""
                                INSERT INTO leadership (role, epoch, holder) VALUES (\(role), 1, \(holder))
                                ON CONFLICT (role) DO UPDATE SET epoch = leadership.epoch + 1, holder = excluded.holder RETURNING epoch
                                """, logger: logger).collect().first
                            return (connection, try row?.decode(Int64.self) ?? 0)
                        }
                        await onStandby()
                        try await Task.sleep(for: timing.retry)
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.warning("leader lease: database unreachable; retrying", metadata: ["role": "\(role)", "error": "\(error)"])
                await onStandby()
                try await Task.sleep(for: timing.retry)
            }
        }
    }
}
