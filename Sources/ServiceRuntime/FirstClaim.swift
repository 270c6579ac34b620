import Synchronization

/// A one-time claim: the first ``claim()`` wins (returns true), every later one loses. Two racing
/// tasks (an answer and its timeout, a program and its killer) use it so exactly one acts.
final class FirstClaim: Sendable {
    private let claimed = Mutex(false)

    func claim() -> Bool {
        claimed.withLock { claimed in
            defer { claimed = true }
            return !claimed
        }
    }

    /// Whether somebody has claimed it.
    var isClaimed: Bool { claimed.withLock { $0 } }
}
