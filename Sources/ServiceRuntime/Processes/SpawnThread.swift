import Foundation

/// One thread that lives as long as the process and runs every spawn whose child must die with
/// us. Linux sends a child's parent-death signal (`PR_SET_PDEATHSIG`) when the *thread* that
/// spawned it ends, not the process, and the threads that run Swift tasks come and go (an idle
/// dispatch worker exits after a few seconds): a broker spawned from one would be killed at random.
package final class SpawnThread: @unchecked Sendable {
    package static let shared = SpawnThread()

    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "cctv-out-spawn"
        thread.start()
    }

    /// Runs `body` on the spawn thread and returns its result (the caller waits; a spawn takes ~1 ms).
    package func run<T>(_ body: @escaping () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        condition.withLock {
            jobs.append {
                result = body()
                done.signal()
            }
            condition.signal()
        }
        done.wait()
        return result!
    }

    private func loop() {
        while true {
            let job: () -> Void = condition.withLock {
                while jobs.isEmpty { condition.wait() }
                return jobs.removeFirst()
            }
            job()
        }
    }
}
