import CCTVContract
import Foundation

/// The prober's plan: which camera is due when. Pure value; the service drives it with a clock.
///
/// New cameras get a random first slot within their interval so a fleet registered at once
/// spreads evenly instead of checking in one burst; afterwards each camera keeps its phase.
/// Due times live in a min-heap so taking the due cameras costs O(k log n), not a scan of the
/// whole fleet: at 100,000 cameras and 1,000 checks a second a scan per finished check would
/// be 10⁸ steps a second. Superseded heap slots are skipped lazily by generation number.
package struct CheckSchedule: Sendable {
    struct Entry: Sendable {
        /// Shared with the membership and the other schedules (see ``HeldDefinition``).
        var held: HeldDefinition
        var camera: CameraDefinition { held.definition }
        /// The camera's slot: its phase in the interval. Postponing a start (no free slot) does
        /// not move it, so a camera that had to wait keeps its cadence.
        var due: Double
        var generation: Int
        /// Consecutive failed checks, held at 65,535 (back-off reaches its longest interval long before).
        ///
        /// 16 bits, and declared after the 8-byte members: an entry is 28 bytes (stride 32) instead
        /// of 41 (stride 48), and at 100,000 cameras the entries' dictionary has 262,144 buckets:
        /// 4.2 MB less.
        var failures: UInt16
        var running: Bool
        /// Whether its next check goes in the slow lane (see ``CheckSlots``): its previous check
        /// held a slot long.
        var slow: Bool
    }

    /// The slot a running check holds (host key and lane at its start), kept apart from the
    /// entries so a camera removed while its check runs still gives its slot back.
    struct Held: Sendable {
        var host: String?
        var slow: Bool
    }

    struct Slot: Sendable {
        var due: Double
        var id: String
        var generation: Int
    }

    private(set) var entries: [String: Entry] = [:]
    /// A list per camera: a camera deleted and re-added while its check runs can run twice.
    private var held: [String: [Held]] = [:]
    private var heap: [Slot] = []
    private var nextGeneration = 0
    /// The most seconds a check started after its camera's slot since ``takeLateness()`` (0 = on time).
    private var lateness: Double = 0
    /// Whether the last ``takeDue(now:slots:host:retryAfter:)`` left a due camera waiting for a
    /// slot: only then does a finished check have to wake the runner at once.
    package private(set) var waitingForSlot = false
    package let defaultInterval: Double
    package let backoff: BackoffPolicy
    /// Times are Unix seconds and every check falls on the camera's wall-clock phase
    /// (``FleetShare/phase(of:interval:)``), so probers taking a camera over keep its cadence:
    /// the new owner checks when the old one would have, never twice in one interval.
    package let alignedToWallClock: Bool

    package init(defaultInterval: Double, backoff: BackoffPolicy = BackoffPolicy(), alignedToWallClock: Bool = false) {
        self.defaultInterval = defaultInterval
        self.backoff = backoff
        self.alignedToWallClock = alignedToWallClock
    }

    /// Number of cameras scheduled.
    package var count: Int { entries.count }

    /// Adds or replaces a camera. A changed address, stream or interval is checked within a
    /// second and starts without back-off; a disabled camera is removed.
    package mutating func upsert(_ camera: CameraDefinition, now: Double, random: () -> Double = { Double.random(in: 0..<1) }) {
        upsert(HeldDefinition(camera), now: now, random: random)
    }

    /// ``upsert(_:now:random:)`` keeping a definition shared with others (no copy of it).
    package mutating func upsert(_ held: HeldDefinition, now: Double, random: () -> Double = { Double.random(in: 0..<1) }) {
        let camera = held.definition
        guard camera.enabled else { remove(camera.id); return }
        if var entry = entries[camera.id] {
            let changed = entry.camera.address != camera.address || entry.camera.intervalSeconds != camera.intervalSeconds || entry.camera.hlsURL != camera.hlsURL
            entry.held = held
            if changed {
                entry.failures = 0
                entry.slow = false
                if entry.due > now + 1 {
                    entry.due = now + 1
                    entry.generation = push(due: entry.due, id: camera.id)
                }
            }
            entries[camera.id] = entry
        } else {
            let due = alignedToWallClock ? slot(of: camera, atOrAfter: now) : now + random() * interval(of: camera)
            // A new camera starts in the regular lane. Starting it in the slow lane ("unproven") was
            // measured worse: with 300 hung + 100 healthy cameras registered at once only 24 of the
            // healthy ones were checked in 80 s (every camera queued for the 16 slow slots behind
            // hung ones), against all 100 within the first 50 s here.
            entries[camera.id] = Entry(held: held, due: due, generation: push(due: due, id: camera.id), failures: 0, running: false, slow: false)
        }
    }

    /// Removes a camera (deleted or no longer ours). Its heap slot is dropped when reached.
    package mutating func remove(_ id: String) { entries[id] = nil }

    /// Cameras due at `now` that are not already being checked; marks them running.
    package mutating func takeDue(now: Double, limit: Int) -> [CameraDefinition] {
        var slots = CheckSlots(total: max(1, limit))
        return takeDue(now: now, slots: &slots, host: { _ in nil })
    }

    /// Cameras due at `now` that `slots` admit (lane and host limits), marking them running and
    /// taking their slots. A due camera the slots refuse stays due: it is offered again after
    /// `retryAfter` seconds without losing its phase, and the cameras behind it still start.
    /// Give each slot back with ``finished(_:now:failed:slow:slots:)``.
    package mutating func takeDue(now: Double, slots: inout CheckSlots, host: (CameraDefinition) -> String?,
                                 retryAfter: Double = 0.25) -> [CameraDefinition] {
        var due: [CameraDefinition] = []
        waitingForSlot = false
        while slots.free > 0, let top = heap.first, top.due <= now {
            popTop()
            guard var entry = entries[top.id], entry.generation == top.generation, !entry.running else { continue }
            let key = host(entry.camera)
            guard slots.tryStart(host: key, slow: entry.slow) else {
                waitingForSlot = true
                entry.generation = push(due: now + retryAfter, id: top.id)
                entries[top.id] = entry
                continue
            }
            entry.running = true
            lateness = max(lateness, now - entry.due)
            held[top.id, default: []].append(Held(host: key, slow: entry.slow))
            entries[top.id] = entry
            due.append(entry.camera)
        }
        if slots.free == 0, let top = heap.first, top.due <= now { waitingForSlot = true }
        return due
    }

    /// Marks a check finished and plans the next one a whole interval (backed off while the
    /// camera keeps failing, see ``BackoffPolicy``) after the previous slot — not after the
    /// finish — so the cadence does not drift.
    ///
    /// Slots missed entirely (the check or its publication was held up, e.g. through a broker
    /// outage) are skipped in whole intervals, so the camera keeps its own phase. Planning
    /// "now + a fraction" instead put every camera held by the same outage on the same instant,
    /// and they stayed checked together from then on.
    /// - Parameters:
    ///   - slow: the check held its slot long; the camera's next check goes in the slow lane.
    ///   - slots: gets back the slot the check held.
    package mutating func finished(_ id: String, now: Double, failed: Bool = false, slow: Bool = false, slots: inout CheckSlots) {
        if var holding = held[id], let slot = holding.popLast() {
            slots.finish(host: slot.host, slow: slot.slow)
            held[id] = holding.isEmpty ? nil : holding
        }
        guard var entry = entries[id] else { return }
        entry.running = false
        entry.slow = slow
        entry.failures = failed ? (entry.failures == .max ? .max : entry.failures + 1) : 0
        let interval = backoff.interval(base: interval(of: entry.camera), failures: Int(entry.failures))
        if alignedToWallClock {
            // The first phase slot a whole (backed-off) interval after the previous one, or after now.
            entry.due = slot(of: entry.camera, atOrAfter: max(entry.due + interval - 0.001, now))
        } else {
            entry.due += interval
            if entry.due < now { entry.due += ((now - entry.due) / interval).rounded(.up) * interval }
        }
        entry.generation = push(due: entry.due, id: id)
        entries[id] = entry
    }

    /// ``finished(_:now:failed:slow:slots:)`` without slot accounting (checks taken with
    /// ``takeDue(now:limit:)``).
    package mutating func finished(_ id: String, now: Double, failed: Bool = false) {
        var slots = CheckSlots(total: 1)
        finished(id, now: now, failed: failed, slots: &slots)
    }

    /// After the wall clock stepped back (an aligned schedule's time): a camera due later than one
    /// (backed-off) interval from `now` is due at its next phase slot instead of waiting out the step.
    package mutating func realign(now: Double) {
        for (id, var entry) in entries where !entry.running {
            let interval = backoff.interval(base: interval(of: entry.camera), failures: Int(entry.failures))
            guard entry.due > now + interval else { continue }
            entry.due = alignedToWallClock ? slot(of: entry.camera, atOrAfter: now) : now
            entry.generation = push(due: entry.due, id: id)
            entries[id] = entry
        }
    }

    /// The most seconds a check started after its camera's slot since the previous call, and starts
    /// counting again: a prober short of slots or packets starts its checks ever later, so the cameras
    /// are checked less often than their interval, and this says so.
    package mutating func takeLateness() -> Double {
        defer { lateness = 0 }
        return lateness
    }

    /// Whether a camera's next check goes in the slow lane.
    package func isSlow(_ id: String) -> Bool { entries[id]?.slow ?? false }

    /// Consecutive failed checks of a camera.
    package func failures(of id: String) -> Int? { entries[id].map { Int($0.failures) } }

    /// When a camera is next due.
    package func due(of id: String) -> Double? { entries[id]?.due }

    /// Seconds until the earliest due camera (0 when one is due), or `nil` when none is waiting.
    package mutating func nextDue(now: Double) -> Double? {
        while let top = heap.first {
            if let entry = entries[top.id], entry.generation == top.generation, !entry.running { return max(0, top.due - now) }
            popTop()
        }
        return nil
    }

    func interval(of camera: CameraDefinition) -> Double {
        camera.intervalSeconds.map(Double.init) ?? defaultInterval
    }

    /// The camera's first phase slot at or after `time` (Unix seconds).
    func slot(of camera: CameraDefinition, atOrAfter time: Double) -> Double {
        let base = interval(of: camera)
        let phase = FleetShare.phase(of: camera.id, interval: base)
        return phase + ((time - phase) / base).rounded(.up) * base
    }

    // MARK: heap

    private mutating func push(due: Double, id: String) -> Int {
        nextGeneration += 1
        heap.append(Slot(due: due, id: id, generation: nextGeneration))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { break }
            heap.swapAt(child, parent)
            child = parent
        }
        return nextGeneration
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].due < heap[smallest].due { smallest = left }
            if right < heap.count, heap[right].due < heap[smallest].due { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
