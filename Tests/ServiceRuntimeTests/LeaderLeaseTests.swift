import Foundation
import Logging
import ServiceRuntime
import Synchronization
import Testing
import TestSupport

/// Leadership of a role among instances sharing one PostgreSQL (a throwaway cluster), with short
/// timings so a take-over is quick; the waits are on conditions, bounded generously. Alone: a 1 s
/// session timeout and 0.5 s renewals lost the lease at load 16 beside the parallel tests.
@Suite("leader lease on a shared PostgreSQL", .runsAlone)
struct LeaderLeaseTests {
    static var quick: LeaseTiming {
        var timing = LeaseTiming()
        timing.retryEvery = .milliseconds(50)
        timing.renewEvery = .milliseconds(50)
        timing.sessionTimeout = .seconds(1)
        timing.renewTimeout = .milliseconds(500)
        return timing
    }

    func lease(_ location: DatabaseLocation, _ holder: String) -> LeaderLease {
        LeaderLease(location: location, role: "issues", holder: holder, logger: Logger(label: "test.lease"), timing: Self.quick)
    }

    @Test("one box (SQLite) leads at once, unfenced")
    func sqliteLeadsAtOnce() async throws {
        let location = try StoreEngine.sqlite.freshLocation()
        let fence = try await lease(location, "a").withLeadership { $0 }
        #expect(fence == .unfenced)
    }

    @Test("the second instance waits as standby while the first leads, and leads with a higher epoch once the first gives up")
    func standbyTakesOverOnRelease() async throws {
        let location = try StoreEngine.postgres.freshLocation()
        let first = lease(location, "a"), second = lease(location, "b")
        let firstLeads = Latch(), release = Latch(), secondWaits = Latch()
        let firstTask = Task {
            try await first.withLeadership { fence in
                firstLeads.fire()
                await release.wait()
                return fence
            }
        }
        await firstLeads.wait()
        let secondTask = Task {
            try await second.withLeadership(onStandby: { secondWaits.fire() }) { $0 }
        }
        await secondWaits.wait()
        release.fire()
        let firstFence = try await firstTask.value, secondFence = try await secondTask.value
        #expect(firstFence.epoch >= 1)
        #expect(secondFence.epoch == firstFence.epoch + 1)
    }

    @Test("a leader whose database session dies is told (its work cancelled), and an old fence cannot write after the standby took over")
    func lostSessionIsFenced() async throws {
        let location = try StoreEngine.postgres.freshLocation()
        let first = lease(location, "a"), second = lease(location, "b")
        let database = try #require(try Self.database(location))
        let oldFence = Mutex<LeadershipFence?>(nil)
        let leading = Latch(), workCancelled = Latch()
        let firstTask = Task {
            try await first.withLeadership { fence in
                oldFence.withLock { $0 = fence }
                leading.fire()
                // Leader work: runs until leadership is lost (then cancelled).
                do { try await Task.sleep(for: .seconds(120)) } catch { workCancelled.fire() }
            }
        }
        await leading.wait()
        let fence = try #require(oldFence.withLock { $0 })
        try await database.write { try fence.check($0) }  // the leader may write

        // The leader's lock session dies as it does when its process is killed.
        let ended = try await database.write { db in
            try db.rows("""
                SELECT pg_terminate_backend(pid) AS ended FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """)
        }
        #expect(ended.count == 1)
        await workCancelled.wait()
        await #expect(throws: LeadershipError.lost(role: "issues", epoch: fence.epoch)) { try await firstTask.value }

        let newFence = try await second.withLeadership { $0 }
        #expect(newFence.epoch == fence.epoch + 1)
        await #expect(throws: LeadershipError.lost(role: "issues", epoch: fence.epoch)) {
            try await database.write { try fence.check($0) }
        }
    }

    @Test("a leader paused past the session timeout loses the lock to the standby, and finds out when it runs again")
    func pausedLeaderLosesLock() async throws {
        let location = try StoreEngine.postgres.freshLocation()
        // The pause: the leader's own renewals stop (renewEvery far beyond the session timeout), as when
        // its process is stopped; PostgreSQL ends the idle lock session after sessionTimeout.
        var stalled = Self.quick
        stalled.renewEvery = .seconds(4)
        let first = LeaderLease(location: location, role: "issues", holder: "a", logger: Logger(label: "test.lease"), timing: stalled)
        let leading = Latch()
        let firstTask = Task {
            try await first.withLeadership { fence in
                leading.fire()
                try await Task.sleep(for: .seconds(120))
                return fence
            }
        }
        await leading.wait()
        let started = ContinuousClock.now
        let newFence = try await lease(location, "b").withLeadership { $0 }
        let takeover = ContinuousClock.now - started
        #expect(newFence.epoch == 2)
        #expect(takeover >= .milliseconds(900), "the lock moved before the session timeout: \(takeover)")
        await #expect(throws: LeadershipError.lost(role: "issues", epoch: 1)) { try await firstTask.value }
    }

    static func database(_ location: DatabaseLocation) throws -> (any SQLDatabase)? {
        try location.open(service: "issues", sqlite: .init(), postgres: [], logger: Logger(label: "test.db"))
    }
}
