/// Who may start a check now: a fair share of one pool of check slots. Pure value.
///
/// Why: the slots are held for as long as a check runs. 300 hung stream servers each held an
/// HLS slot for the whole 10 s budget and starved the 64 slots, so healthy cameras were checked
/// every 40 s instead of every 10 s. Two limits keep the pool fair:
/// - **slow lane**: a camera whose previous check held its slot long (see
///   ``CheckRunner``'s slow threshold) may only use ``slowLimit`` slots; the rest stay free for
///   cameras that answer, so a hung camera costs its own cadence, not everybody's (its first
///   check, before it is known slow, runs in the regular lane);
/// - **per host**: at most ``perHostLimit`` checks run against one host (host:port), so one
///   NVR that stops answering for all its cameras at once cannot take the whole pool even
///   before its cameras are known to be slow.
package struct CheckSlots: Sendable, Equatable {
    /// Checks running at once, all lanes together.
    package let total: Int
    /// Checks of cameras known to be slow running at once.
    package let slowLimit: Int
    /// Checks against one host running at once.
    package let perHostLimit: Int
    package private(set) var running = 0
    package private(set) var runningSlow = 0
    private var perHost: [String: Int] = [:]

    /// - Parameters:
    ///   - total: the pool.
    ///   - slowShare: fraction of the pool slow cameras may use (at least one slot).
    ///   - perHostLimit: checks against one host at once; `nil` = the whole pool.
    package init(total: Int, slowShare: Double = 1, perHostLimit: Int? = nil) {
        self.total = max(1, total)
        self.slowLimit = max(1, min(self.total, Int((Double(self.total) * slowShare).rounded(.down))))
        self.perHostLimit = max(1, min(self.total, perHostLimit ?? self.total))
    }

    /// Free slots in the pool.
    package var free: Int { total - running }

    /// Takes a slot for a check of `host` (nil: not counted per host) if the limits allow it.
    package mutating func tryStart(host: String?, slow: Bool) -> Bool {
        guard running < total, !slow || runningSlow < slowLimit else { return false }
        if let host {
            guard perHost[host, default: 0] < perHostLimit else { return false }
            perHost[host, default: 0] += 1
        }
        running += 1
        if slow { runningSlow += 1 }
        return true
    }

    /// Gives back the slot taken by ``tryStart(host:slow:)`` with the same arguments.
    package mutating func finish(host: String?, slow: Bool) {
        running = max(0, running - 1)
        if slow { runningSlow = max(0, runningSlow - 1) }
        if let host, let count = perHost[host] { perHost[host] = count > 1 ? count - 1 : nil }
    }

    /// Checks running against `host`.
    package func running(host: String) -> Int { perHost[host, default: 0] }
}
