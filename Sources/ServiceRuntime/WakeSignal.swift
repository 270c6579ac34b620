import Synchronization

/// A "something changed" flag a worker loop sleeps on: `signal()` from anywhere, `wait(upTo:)`
/// returns early once signalled. Polls every 25 ms, which is cheap and never loses a signal.
public final class WakeSignal: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    /// Marks that there is work.
    public func signal() { flag.store(true, ordering: .releasing) }

    /// Sleeps until signalled or `timeout` passed; returns whether it was signalled.
    @discardableResult
    public func wait(upTo timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline && !Task.isCancelled {
            if flag.exchange(false, ordering: .acquiringAndReleasing) { return true }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return flag.exchange(false, ordering: .acquiringAndReleasing)
    }
}
