import Foundation
import Synchronization
import Testing
@testable import ServiceRuntime

/// ToolRun waits outside the cooperative pool: on Linux that pool is libdispatch's global queue, one
/// thread per core, and it does not grow when its threads block.
@Suite("running a tool while the pool is busy")
struct ToolRunPoolTests {
    @Test("a run is killed at its time limit while every thread of the global queue is busy")
    func killedWhilePoolBusy() throws {
        // Busy, not blocked: libdispatch's monitor adds a thread to a pool whose threads all block
        // (about a second each; a held pool let the kill come after 9 s), never to one whose
        // threads compute, which is what a CPU-heavy test or check does.
        let released = Atomic<Bool>(false)
        let heldUntilTimeout = Atomic<Int>(0)
        let holders = ProcessInfo.processInfo.activeProcessorCount * 2
        for _ in 0..<holders {
            DispatchQueue.global().async {
                let until = ContinuousClock.now + .seconds(20)
                while !released.load(ordering: .relaxed) {
                    if ContinuousClock.now > until { heldUntilTimeout.add(1, ordering: .relaxed); return }
                }
            }
        }
        let ran = try ToolRun.runBlocking("/bin/sleep", ["600"], timeout: .milliseconds(300), maxOutput: 100, maxErrors: 100)
        released.store(true, ordering: .relaxed)
        #expect(ran.timedOut)
        #expect(ran.exitStatus == nil)
        #expect(heldUntilTimeout.load(ordering: .relaxed) == 0, "the kill came only after the busy threads gave up (20 s)")
    }
}
