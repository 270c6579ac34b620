import CCTVContract
import ServiceLifecycle
import ServiceRuntime
import Synchronization

extension CheckRunner {
    /// One check that finished, as ``runInBatches(start:handle:collectEvery:drainFor:)`` hands it over.
    package struct Finished<Outcome: Sendable>: Sendable {
        package let camera: CameraDefinition
        package let outcome: Outcome
        let started: ContinuousClock.Instant
    }

    /// Like ``run(check:)``, for checks that run many at a time on threads of their own (ICMP):
    /// each look at the schedule starts every due check with one `start` call, and the checks
    /// that finished since the previous look are handled with one `handle` call and given back
    /// under one lock. While checks are in flight the runner looks every `collectEvery`; nothing
    /// wakes it per check.
    ///
    /// Why: one task per check meant, for each of the 1,667 ICMP checks a second at 100,000
    /// cameras, a task, a lock and a wake-up of the engine's scheduler thread to hand it over,
    /// and a continuation resumed from the engine's receive thread, which woke a pool thread.
    ///
    /// - Parameters:
    ///   - start: starts the checks of `cameras` and returns at once; calls `finished` once per
    ///     camera (its index in `cameras`) when its check is final, from any thread, quickly.
    ///   - handle: the finished checks in the order they finished; returns for each whether it
    ///     failed (for back-off).
    ///   - collectEvery: the longest a finished check waits to be handled.
    ///   - drainFor: at a graceful stop, how long the checks in flight are still waited for and
    ///     handled (a cancellation ends at once).
    package func runInBatches<Outcome: Sendable>(
        start: @escaping @Sendable (_ cameras: [CameraDefinition], _ finished: @escaping @Sendable (Int, Outcome) -> Void) -> Void,
        handle: @escaping @Sendable ([Finished<Outcome>]) async -> [Bool],
        collectEvery: Duration = .milliseconds(20), drainFor: Duration = .seconds(2)) async {
        let inbox = Mutex<[Finished<Outcome>]>([])
        var inFlight = 0
        func collect() async {
            let done = inbox.withLock { waiting in
                let taken = waiting
                waiting = []
                return taken
            }
            guard !done.isEmpty else { return }
            inFlight -= done.count
            let failed = await handle(done)
            let finishedAt = now
            let ended = ContinuousClock.now
            state.withLock { state in
                for (index, check) in done.enumerated() {
                    state.schedule.finished(check.camera.id, now: finishedAt, failed: index < failed.count && failed[index],
                                            slow: ended - check.started >= slowAfter, slots: &state.slots)
                }
            }
        }
        var look = ScheduleLook(runner: self)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await collect()
            let (due, wait) = look.takeDue()
            if !due.isEmpty {
                inFlight += due.count
                let started = ContinuousClock.now
                start(due) { index, outcome in
                    inbox.withLock { $0.append(Finished(camera: due[index], outcome: outcome, started: started)) }
                }
            }
            let untilDue = Duration.milliseconds(Int(min(wait ?? 1, 1) * 1000))
            await finishedSignal.wait(upTo: max(.milliseconds(10), inFlight > 0 ? min(collectEvery, untilDue) : untilDue))
        }
        let deadline = ContinuousClock.now + drainFor
        while inFlight > 0, !Task.isCancelled, ContinuousClock.now < deadline {
            try? await Task.sleep(for: collectEvery)
            await collect()
        }
    }
}
