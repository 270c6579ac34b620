/// Publish timeouts without a timer per publish.
///
/// `MQTTClient.publish(…, timeout:)` used to race the PUBACK against a `Task.sleep` in a task
/// group: two child tasks and a timer per message. The prober publishes every check result that
/// way (1,667 a second at 100,000 cameras every 60 s). Now each waiting call carries its
/// deadline (``PublishBatch/deadline``) and one task per client sleeps until the earliest one,
/// then ends the calls whose deadline passed. Their messages stay queued with the library and go
/// out on reconnect, as before.
extension ClientCore {
    /// Makes sure a sweeper wakes by `deadline` (caller holds the state lock): starts one when
    /// none runs, or replaces it when it would sleep past this deadline.
    func watchDeadline(_ deadline: ContinuousClock.Instant, in state: inout CoreState) {
        if state.deadlineSweeper != nil, let wakes = state.deadlineSweeperWakesAt, wakes <= deadline { return }
        state.deadlineSweeper?.cancel()
        state.deadlineSweeperGeneration &+= 1
        state.deadlineSweeperWakesAt = deadline
        let generation = state.deadlineSweeperGeneration
        state.deadlineSweeper = Task { [self] in await sweepPublishDeadlines(generation: generation) }
    }

    /// Sleeps until the earliest deadline of a waiting publish, ends the calls whose deadline
    /// passed, and repeats; returns when none is left (the next publish with a timeout starts a
    /// new sweeper) or when replaced by a sweeper that must wake earlier.
    func sweepPublishDeadlines(generation: UInt64) async {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let (expired, next) = state.withLock { state -> ([PublishBatch], ContinuousClock.Instant?) in
                guard state.deadlineSweeperGeneration == generation else { return ([], nil) }
                var due: [Int32] = []
                var next: ContinuousClock.Instant?
                for (mid, batch) in state.publishWaiters {
                    guard let deadline = batch.deadline else { continue }
                    if deadline <= now { due.append(mid) } else if next.map({ deadline < $0 }) ?? true { next = deadline }
                }
                var expired: [ObjectIdentifier: PublishBatch] = [:]
                for mid in due {
                    if let batch = state.publishWaiters.removeValue(forKey: mid) { expired[ObjectIdentifier(batch)] = batch }
                }
                state.deadlineSweeperWakesAt = next
                if next == nil { state.deadlineSweeper = nil }
                return (Array(expired.values), next)
            }
            for batch in expired { batch.abandon(batch.timeoutError) }
            guard let next else { return }
            try? await Task.sleep(until: next, clock: .continuous)
        }
    }
}
