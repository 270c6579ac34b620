import Synchronization

/// A store's writes under a leadership fence: every write transaction starts with the fence's
/// check (``LeadershipFence/check(_:)``), so an instance that no longer leads writes nothing, and
/// the first refusal is remembered (``fencedOut``) so the leader's work can stop at once, before
/// its lease notices. One box (SQLite) uses ``LeadershipFence/unfenced``: every write passes.
package final class FencedWrites: Sendable {
    private let fence = Mutex(LeadershipFence.unfenced)
    private let refused = Mutex<LeadershipError?>(nil)

    package init() {}

    /// Writes from now on only while `fence` holds; forgets an earlier refusal.
    package func use(_ fence: LeadershipFence) {
        self.fence.withLock { $0 = fence }
        refused.withLock { $0 = nil }
    }

    /// The fence in force (an outbox checks it in its own writes).
    package var current: LeadershipFence { fence.withLock { $0 } }

    /// The first write refused since ``use(_:)``: this instance no longer leads.
    package var fencedOut: LeadershipError? { refused.withLock { $0 } }

    /// One write transaction on `database`, fenced.
    package func write<T>(on database: any SQLDatabase, _ body: (any SQLConnection) throws -> T) throws -> T {
        let fence = current
        return try noting {
            try database.write { db in
                try fence.check(db)
                return try body(db)
            }
        }
    }

    /// One write transaction on `database` off the cooperative pool, fenced.
    package func write<T: Sendable>(on database: any SQLDatabase, _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let fence = current
        do {
            return try await database.write { db in
                try fence.check(db)
                return try body(db)
            }
        } catch let error as LeadershipError {
            refused.withLock { $0 = $0 ?? error }
            throw error
        }
    }

    private func noting<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as LeadershipError {
            refused.withLock { $0 = $0 ?? error }
            throw error
        }
    }
}
