import Synchronization

/// "Something changed" for one worker loop: `signal()` from anywhere wakes the loop waiting in
/// `wait(upTo:)` at once; a signal with nobody waiting is kept for the next wait (never lost).
/// Event-driven, not polled: a loop woken per delivery or per finished check is not capped by a
/// tick (a 25 ms poll capped the notifier's dispatcher at 40 rounds a second).
package final class WakeSignal: Sendable {
    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    package init() {}

    /// Marks that there is work, waking the waiting loop if there is one.
    package func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.signalled = true  // taken by the wait that returns
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Returns when signalled (true), after `timeout` or when the task is cancelled (false, unless
    /// a signal came meanwhile). One loop waits at a time.
    @discardableResult
    package func wait(upTo timeout: Duration) async -> Bool {
        if take() { return true }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.waitForSignal() }
            await group.next()
            group.cancelAll()
        }
        return take()
    }

    private func take() -> Bool {
        state.withLock { state in
            defer { state.signalled = false }
            return state.signalled
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.signalled || Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
