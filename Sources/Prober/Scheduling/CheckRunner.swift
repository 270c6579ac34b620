import CCTVContract
import Foundation
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// Drives one kind of check for the fleet: keeps the ``CheckSchedule`` and its ``CheckSlots``
/// behind one lock, starts every due check the slots admit as its own task, and plans the next
/// one when it finishes. The prober runs one per kind of check (ICMP in batches, see
/// ``runInBatches(start:handle:collectEvery:)``); `cctv-out-bench hls` runs the same one against
/// hung and healthy simulated servers.
package final class CheckRunner: Sendable {
    struct State: Sendable {
        var schedule: CheckSchedule
        var slots: CheckSlots
    }

    let state: Mutex<State>
    let finishedSignal = WakeSignal()
    let clock: any CheckClock
    let host: @Sendable (CameraDefinition) -> String?
    let slowAfter: Duration
    let alignedToWallClock: Bool
    /// Schedule time: Unix seconds when aligned to the wall clock, else monotonic seconds.
    var now: Double { alignedToWallClock ? clock.date.timeIntervalSince1970 : clock.seconds }

    /// - Parameters:
    ///   - slots: the pool and its fair-share limits.
    ///   - slowAfter: a check that holds its slot at least this long (real time) puts its camera
    ///     in the slow lane for its next check; the first quick check takes it out again.
    ///   - clock: schedule time (tests move it).
    ///   - host: the key checks are limited by per host (`nil` = not limited per host).
    ///   - alignedToWallClock: schedule on the wall clock at each camera's phase (see
    ///     ``CheckSchedule/alignedToWallClock``), as probers sharing the fleet must.
    package init(defaultInterval: Double, backoff: BackoffPolicy = BackoffPolicy(), slots: CheckSlots,
                slowAfter: Duration = .seconds(86_400), clock: any CheckClock = SystemCheckClock(), alignedToWallClock: Bool = false,
                host: @escaping @Sendable (CameraDefinition) -> String? = { _ in nil }) {
        self.state = Mutex(State(schedule: CheckSchedule(defaultInterval: defaultInterval, backoff: backoff, alignedToWallClock: alignedToWallClock),
                                 slots: slots))
        self.clock = clock
        self.alignedToWallClock = alignedToWallClock
        self.host = host
        self.slowAfter = slowAfter
    }

    /// Adds or replaces a camera (see ``CheckSchedule/upsert(_:now:random:)``).
    package func upsert(_ camera: CameraDefinition) { upsert(HeldDefinition(camera)) }
    /// Adds or replaces a camera whose definition is shared with others (see ``HeldDefinition``).
    package func upsert(_ held: HeldDefinition) { let now = self.now; state.withLock { $0.schedule.upsert(held, now: now) } }
    /// Stops checking a camera.
    package func remove(_ id: String) { state.withLock { $0.schedule.remove(id) } }
    /// Cameras scheduled.
    package var count: Int { state.withLock { $0.schedule.count } }
    /// The most seconds a check started after its slot since the previous call (see ``CheckSchedule/takeLateness()``).
    package func takeLateness() -> Double { state.withLock { $0.schedule.takeLateness() } }
    /// Whether a camera's next check goes in the slow lane.
    package func isSlow(_ id: String) -> Bool { state.withLock { $0.schedule.isSlow(id) } }

    /// The host key of a camera's HLS stream (`host:port`), for per-host limits.
    package static func streamHost(_ camera: CameraDefinition) -> String? {
        guard let text = camera.hlsURL, let endpoint = try? EndpointURL(validating: text, schemes: EndpointURL.web) else { return nil }
        return "\(endpoint.host.lowercased()):\(endpoint.port)"
    }

    /// Runs until cancelled or graceful shutdown; `check` returns whether the check failed (for
    /// back-off).
    package func run(check: @escaping @Sendable (CameraDefinition) async -> Bool) async {
        await withDiscardingTaskGroup { checks in
            var look = ScheduleLook(runner: self)
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let (due, wait) = look.takeDue()
                for camera in due {
                    checks.addTask {
                        let started = ContinuousClock.now
                        let failed = await check(camera)
                        let slow = ContinuousClock.now - started >= self.slowAfter
                        let finishedAt = self.now
                        let slotAwaited = self.state.withLock { state in
                            state.schedule.finished(camera.id, now: finishedAt, failed: failed, slow: slow, slots: &state.slots)
                            return state.schedule.waitingForSlot
                        }
                        // Woken only when a camera waits for the slot this check gave back: a wake
                        // per finished check (a timer and two child tasks per wait) made the
                        // dispatch timer thread 6.6 % of serve's CPU at 100,000 cameras (`perf`).
                        if slotAwaited { self.finishedSignal.signal() }
                    }
                }
                if due.isEmpty { await finishedSignal.wait(upTo: .milliseconds(max(10, Int(min(wait ?? 1, 1) * 1000)))) }
            }
        }
    }
}

/// One look at the schedule: the due cameras the slots admit and when the next is due, after
/// realigning an aligned schedule whose wall clock stepped back (by over a second against the
/// monotonic one).
struct ScheduleLook {
    let runner: CheckRunner
    private var last: (schedule: Double, monotonic: Double)

    init(runner: CheckRunner) {
        self.runner = runner
        last = (runner.now, runner.clock.seconds)
    }

    mutating func takeDue() -> (due: [CameraDefinition], wait: Double?) {
        let now = runner.now
        let steppedBack = runner.alignedToWallClock && (now - last.schedule) < (runner.clock.seconds - last.monotonic) - 1
        last = (now, runner.clock.seconds)
        let host = runner.host
        return runner.state.withLock { state in
            if steppedBack { state.schedule.realign(now: now) }
            let due = state.schedule.takeDue(now: now, slots: &state.slots, host: host)
            return (due, state.schedule.nextDue(now: now))
        }
    }
}
