import CCTVContract
import Foundation

/// One batch of incoming results and camera definitions, applied in one store transaction, in
/// arrival order (so each camera's results stay in order), deduplicated by event id as before.
struct ResultIntake: Sendable {
    /// One decoded message.
    enum Item: Sendable {
        case result(cameraID: String, IncidentStateMachine.Observation, prober: String)
        case config(cameraID: String, CameraInfo)
        case removed(cameraID: String)

        var cameraID: String {
            switch self { case let .result(id, _, _), let .config(id, _), let .removed(id): id }
        }
    }

    let recorder: IncidentRecorder
    let monitorPolicy: MonitorOutage.Policy
    var policy: IssuePolicy { recorder.policy }

    /// Rebuilds the memory from the store: the fleet tally from every track, and whether the
    /// monitor's own outage is still open.
    func loadMemory(_ tx: IssueStore.Transaction, now: Date) throws -> IntakeMemory {
        var memory = IntakeMemory(outage: MonitorOutage.State(calmAt: now, fleetDown: try tx.activeMonitorIncident() != nil))
        for (id, entry) in try tx.fleetEntries() { memory.set(id, entry) }
        return memory
    }

    /// Applies `items` in order, updating `memory` in place; returns the effects recorded. When it
    /// throws, `memory` is as before; when the transaction fails after it returned, the caller
    /// calls `memory.rollBack()` (and `memory.commit()` once it is stored).
    func apply(_ items: [Item], memory: inout IntakeMemory, tx: IssueStore.Transaction, now: Date) throws -> [IncidentStateMachine.Effect] {
        memory.begin()
        do {
            return try applyBatch(items, memory: &memory, tx: tx, now: now)
        } catch {
            memory.rollBack()
            throw error
        }
    }

    private func applyBatch(_ items: [Item], memory: inout IntakeMemory, tx: IssueStore.Transaction, now: Date) throws
        -> [IncidentStateMachine.Effect] {
        // Results a steady check already answers need no track (``SteadyCheck``): only the others'
        // tracks and definitions are read in bulk; one that turns out to need its track after all
        // (the camera changed earlier in the batch) reads it alone.
        let resultIDs = Set(items.compactMap { item -> String? in
            guard case let .result(id, observation, _) = item, memory.steadyCheck(id, answering: observation) == nil else { return nil }
            return id
        })
        var tracks = IncidentRecorder.Tracks(try tx.tracks(resultIDs))
        var infos = try tx.infos(resultIDs)
        var infosRead = resultIDs
        let silences = try tx.silences()

        // The monitor's own outage is judged on the whole batch first: in a storm of 10,000
        // results the first ones must already count as inconclusive when the fleet is failing.
        // So the tally first takes each result camera's estimated entry after the batch; each
        // result then replaces its camera's estimate with the real entry, and grouping sees the
        // whole batch: the first camera of a site outage in it already finds the site's other
        // cameras failing, so it is grouped from its first opening. By the end every estimate
        // has been replaced (the undo log restores them if the batch fails). A camera whose results
        // all match its steady checks keeps its entry.
        for case let .result(id, observation, _) in items where resultIDs.contains(id) {
            memory.set(id, FleetTally.Entry.estimate(memory.tally.entry(id), after: observation, info: infos[id]))
        }
        let wasDown = memory.outage.isDown
        let fleetDown = MonitorOutage.assess(memory.outage, judged: memory.tally.judged, failing: memory.tally.failing,
                                             failingSites: memory.tally.failingSites, now: now, policy: monitorPolicy).fleetDown

        var recorded: [IncidentStateMachine.Effect] = []
        for item in items {
            switch item {
            case let .config(id, info):
                try tx.saveInfo(info, cameraID: id)
                infos[id] = info
                infosRead.insert(id)
                memory.forgetSteady(id)
                if var entry = memory.tally.entry(id) {
                    (entry.site, entry.streamServer) = (info.site, info.streamServer)
                    memory.set(id, entry)
                }
            case let .removed(id):
                // The camera is gone: its incident resolves (whoever was told hears it is over)
                // and its retained status is cleared.
                let track = try tracks.get(id, tx)
                recorded += try recorder.record(IncidentStateMachine.cameraRemoved(track, now: now), tx: tx, tracks: &tracks, tally: memory.tally, now: now)
                try tx.enqueue(topic: recorder.topics.status(id), payload: [], retain: true)
                try tx.forgetCamera(id)
                tracks.remove(id)
                memory.set(id, nil)
                memory.forgetSteady(id)
            case let .result(id, observation, prober):
                memory.outage = MonitorOutage.observe(memory.outage, prober: prober, inconclusive: observation.inconclusive)
                let unjudged = fleetDown && observation.isFailure(lossThreshold: policy.lossThreshold) ? MonitorOutage.fleetReason : nil
                if unjudged == nil, let steady = memory.steadyCheck(id, answering: observation) {
                    // The same meaning as the camera's last result, which changed nothing: nor
                    // does this one (its tally entry is already the estimate's). Only a newer run
                    // time is remembered; an older or repeated result is ignored, as the state
                    // machine would.
                    if observation.startedAt > steady.at { memory.remember(id, SteadyCheck(signature: steady.signature, at: observation.startedAt)) }
                    continue
                }
                let stored = try tracks.get(id, tx)
                // The run times that steady results kept in memory (the stored ones are older).
                let track = memory.steady[id]?.freshen(stored) ?? stored
                if !infosRead.contains(id) {
                    infos[id] = try tx.info(id)
                    infosRead.insert(id)
                }
                let info = infos[id]
                let silenced = SilenceMatcher.isSilenced(cameraID: id, info: info, silences: silences, now: now)
                let (next, effects) = IncidentStateMachine.apply(observation, to: track, camera: info, policy: policy, now: now, silenced: silenced,
                                                                 inconclusive: unjudged, newIssueID: { UUID().uuidString })
                if !next.isSameState(as: stored) {
                    tracks.set(next)
                    memory.forgetSteady(id)
                } else {
                    // Nothing the camera's state says changed: no row is written for it (unless
                    // it changed earlier in this batch); later results of the batch see its times.
                    tracks.keep(next)
                    if SteadyCheck.isSteady(observation, before: track, after: next, effects: effects, unjudged: unjudged),
                       let signature = SteadyCheck.Signature(observation) {
                        memory.remember(id, SteadyCheck(signature: signature, at: observation.startedAt))
                    }
                }
                memory.set(id, FleetTally.Entry(track: next, info: info))
                recorded += try recorder.record(effects, tx: tx, tracks: &tracks, tally: memory.tally, now: now)
            }
        }

        memory.outage = MonitorOutage.assess(memory.outage, judged: memory.tally.judged, failing: memory.tally.failing,
                                             failingSites: memory.tally.failingSites, now: now, policy: monitorPolicy)
        if !wasDown && memory.outage.isDown {
            recorded += try monitorDown(reason: memory.outage.reason ?? MonitorOutage.fleetReason, memory: memory, tx: tx, tracks: &tracks, now: now)
        } else if wasDown && !memory.outage.isDown, let incident = try tx.activeMonitorIncident() {
            let effect = IncidentStateMachine.Effect.resolved(MonitorOutage.recovered(incident, now: now))
            try recorder.persist(effect, tx: tx)
            recorded.append(effect)
        }
        // A track changed by grouping or a withdrawal is no longer what its steady checks saw.
        for id in tracks.changed { memory.forgetSteady(id) }
        recorded += try recorder.finish(tx, tracks: &tracks)
        return recorded
    }

    /// The monitor's own network went down: one incident for operators, and every camera incident
    /// still in its hold (not announced yet) withdrawn, so no line team or vendor is blamed.
    func monitorDown(reason: String, memory: IntakeMemory, tx: IssueStore.Transaction, tracks: inout IncidentRecorder.Tracks, now: Date) throws
        -> [IncidentStateMachine.Effect] {
        var recorded: [IncidentStateMachine.Effect] = []
        if try tx.activeMonitorIncident() == nil {
            let incident = MonitorOutage.incident(id: UUID().uuidString, reason: reason, failing: memory.tally.failing, judged: memory.tally.judged,
                                                  sites: memory.tally.failingSites, now: now)
            try recorder.persist(.opened(incident), tx: tx)
            recorded.append(.opened(incident))
        }
        for issue in try tx.activeIssues() where !issue.isGroup && !issue.isMonitorIncident && (issue.holdUntil ?? .distantPast) > now {
            let (track, effects) = IncidentStateMachine.withdraw(try tracks.get(issue.cameraID, tx), reason: reason, policy: policy, now: now)
            guard !effects.isEmpty else { continue }
            tracks.set(track)
            recorded += try recorder.record(effects, tx: tx, tracks: &tracks, tally: memory.tally, now: now)
        }
        return recorded
    }
}
