import CCTVContract
import Foundation
@testable import Prober
import Synchronization
import Testing
import TestSupport

@Suite("check runner in batches (ICMP)")
struct CheckRunnerBatchTests {
    /// What the runner asked for and handed over, in order.
    struct Seen: Sendable {
        var starts: [[String]] = []
        var handled: [[String]] = []
    }

    @Test("the due cameras start in one call, finish in one hand-over, and only the failing one backs off")
    func oneLookOneBatch() async throws {
        let clock = ManualCheckClock()
        let runner = CheckRunner(defaultInterval: 10, backoff: BackoffPolicy(failuresBeforeBackoff: 1), slots: CheckSlots(total: 100), clock: clock)
        for index in 0..<5 { runner.upsert(CheckScheduleTests.camera("c\(index)")) }
        // Every camera's phase lies within one interval of now: a whole interval later all are due.
        clock.advance(by: 10)
        let seen = Mutex(Seen())
        let running = Task {
            await runner.runInBatches(start: { cameras, finished in
                seen.withLock { $0.starts.append(cameras.map(\.id)) }
                for index in cameras.indices { finished(index, cameras[index].id == "c0") }
            }, handle: { checks in
                seen.withLock { $0.handled.append(checks.map(\.camera.id)) }
                return checks.map(\.outcome)
            })
        }
        defer { running.cancel() }
        #expect(await eventually { seen.withLock { $0.handled.joined().count } >= 5 })
        let result = seen.withLock { $0 }
        #expect(result.starts.count == 1)
        #expect(result.starts.first?.sorted() == ["c0", "c1", "c2", "c3", "c4"])
        #expect(result.handled == result.starts, "what finished in one look is handed over in one call")
        let (failures, dues) = runner.state.withLock { state in
            (["c0", "c1"].map { state.schedule.failures(of: $0) }, ["c0", "c1"].map { state.schedule.due(of: $0) ?? 0 })
        }
        #expect(failures == [1, 0])
        // c1 comes back one interval after its slot, c0 two (backed off): both after now.
        #expect(dues.allSatisfy { $0 > clock.seconds })
        #expect(runner.state.withLock { $0.slots.free } == 100, "every slot was given back")
    }

    @Test("checks that finish later are handled when they finish, and a check never finished keeps its slot")
    func laterAndNever() async throws {
        let clock = ManualCheckClock()
        let runner = CheckRunner(defaultInterval: 10, slots: CheckSlots(total: 3), clock: clock)
        for index in 0..<3 { runner.upsert(CheckScheduleTests.camera("c\(index)")) }
        clock.advance(by: 10)
        let pending = Mutex<[(Int, @Sendable (Int, Bool) -> Void)]>([])
        let seen = Mutex(Seen())
        let running = Task {
            await runner.runInBatches(start: { cameras, finished in
                seen.withLock { $0.starts.append(cameras.map(\.id)) }
                pending.withLock { list in for index in cameras.indices { list.append((index, finished)) } }
            }, handle: { checks in
                seen.withLock { $0.handled.append(checks.map(\.camera.id)) }
                return checks.map { _ in false }
            })
        }
        defer { running.cancel() }
        #expect(await eventually { pending.withLock { $0.count } == 3 })
        #expect(runner.state.withLock { $0.slots.free } == 0)
        // Two of the three finish, from another thread, long after they started.
        let finishing = pending.withLock { Array($0.prefix(2)) }
        Thread.detachNewThread { for (index, finished) in finishing { finished(index, false) } }
        #expect(await eventually { seen.withLock { $0.handled.joined().count } == 2 })
        #expect(runner.state.withLock { $0.slots.free } == 2)
        #expect(seen.withLock { $0.starts.count } == 1, "nothing was due again before its next slot")
    }
}
