import Foundation
import Synchronization

/// What the issues service keeps in memory between result batches: the fleet tally and the
/// monitor-outage state. Rebuilt from the store on start; owned by the one intake loop.
///
/// It is mutated in place, never copied: with 100,000 cameras the tally's dictionary is ~100,000
/// entries, and the earlier value-passing version copied it twice per batch (the caller still held
/// the old value, and the batch preview was a second copy). `perf` on `serve` with 100,000 cameras
/// put ~35 % of the process's CPU in those copies and frees. A batch that fails is undone from a
/// small log of what it changed (the cameras it touched), because its transaction rolled back.
struct IntakeMemory: Sendable {
    private(set) var tally = FleetTally()
    var outage: MonitorOutage.State
    /// Cameras whose latest ICMP or HLS result changed nothing (``SteadyCheck``). Only a shortcut:
    /// forgetting an entry costs one track read, never a decision.
    private(set) var steady: [String: SteadyCheck.Camera] = [:]
    /// What the batch in progress changed: each touched camera's entry before the batch, and the
    /// outage state before it. `nil` between batches.
    private var undo: Undo?

    private struct Undo: Sendable {
        var outage: MonitorOutage.State
        var entries: [String: FleetTally.Entry?] = [:]
        /// Cameras whose steady checks the batch changed: forgotten when it is undone.
        var steady: Set<String> = []
    }

    init(outage: MonitorOutage.State) { self.outage = outage }

    /// Sets one camera's entry (or removes it, with `nil`), remembering its old entry for `rollBack`.
    mutating func set(_ cameraID: String, _ entry: FleetTally.Entry?) {
        if undo != nil, undo?.entries.index(forKey: cameraID) == nil {
            undo?.entries[cameraID] = .some(tally.entry(cameraID))
        }
        tally.set(cameraID, entry)
    }

    /// Remembers that `check`'s latest result on `cameraID` changed nothing.
    mutating func remember(_ cameraID: String, _ check: SteadyCheck) {
        undo?.steady.insert(cameraID)
        steady[cameraID, default: SteadyCheck.Camera()][check.signature] = check
    }

    /// The camera's steady check that `observation` has the same meaning as (a judged result:
    /// the prober did not call it inconclusive), if any: then the observation changes nothing.
    func steadyCheck(_ cameraID: String, answering observation: IncidentStateMachine.Observation) -> SteadyCheck? {
        guard observation.inconclusive == nil, let signature = SteadyCheck.Signature(observation),
              let check = steady[cameraID]?[signature], check.signature == signature else { return nil }
        return check
    }

    /// Forgets a camera's steady checks (its state changed, or its definition).
    mutating func forgetSteady(_ cameraID: String) {
        steady[cameraID] = nil
    }

    /// Starts a batch: from here `rollBack` returns to this state.
    mutating func begin() { undo = Undo(outage: outage) }

    /// The batch was stored: forget how to undo it.
    mutating func commit() { undo = nil }

    /// The batch's transaction failed: restore the touched entries and the outage state.
    mutating func rollBack() {
        guard let undo else { return }
        self.undo = nil
        for (id, entry) in undo.entries { tally.set(id, entry) }
        // A result taken from memory in the failed batch would be refused as a redelivery when
        // the batch is applied again one by one: those cameras take the full path again.
        for id in undo.steady.union(undo.entries.keys) { steady[id] = nil }
        outage = undo.outage
    }
}

/// The one owner of the intake's memory, so a store transaction (on the database's own queue) can
/// mutate it in place. Only the intake loop uses it, one batch at a time; the lock is never
/// contended and only makes the hand-over to the database queue safe.
final class IntakeMemoryCell: Sendable {
    private let state: Mutex<IntakeMemory>

    init(_ memory: IntakeMemory) { state = Mutex(memory) }

    func withMemory<T>(_ body: (inout IntakeMemory) throws -> T) rethrows -> T {
        try state.withLock { try body(&$0) }
    }
}
