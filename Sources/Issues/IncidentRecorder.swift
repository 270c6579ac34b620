import CCTVContract
import Foundation

/// Applies the state machine's effects inside one store transaction: storm grouping (site and
/// stream server), then every incident saved with its event queued in the outbox and remembered
/// until the notifier acknowledges it, and every status change queued (retained).
///
/// Tracks touched during a transaction live in ``Tracks`` and are saved once at its end, so a
/// batch of 1,000 results writes each camera's track once; so do group incidents that cameras
/// joined (one `updated` event per group per batch, not one per camera: a 100-camera site outage
/// in one batch is one site update, not 95).
struct IncidentRecorder: Sendable {
    let policy: IssuePolicy
    let stormPolicy: StormGrouping.Policy
    let topics: Topics
    /// Seconds to wait for the notifier's acknowledgement before publishing an issue event again.
    let ackTimeout: Double

    /// The tracks read and changed in one transaction, and the group incidents changed but not saved yet.
    struct Tracks {
        private(set) var byID: [String: CameraTrack] = [:]
        private(set) var changed: Set<String> = []
        /// Group incidents by `cameraID` (`SITE:…`, `SERVER:…`): their latest version in this transaction.
        var groups: [String: IssueRecord] = [:]
        /// Group incidents (by `cameraID`) whose latest version is not saved yet.
        var unsavedGroups: Set<String> = []

        init(_ loaded: [String: CameraTrack] = [:]) { byID = loaded }

        mutating func get(_ cameraID: String, _ tx: IssueStore.Transaction) throws -> CameraTrack {
            if let track = byID[cameraID] { return track }
            let track = try tx.track(cameraID)
            byID[cameraID] = track
            return track
        }

        mutating func set(_ track: CameraTrack) {
            byID[track.cameraID] = track
            changed.insert(track.cameraID)
        }

        /// Keeps `track` as the camera's latest version without marking it changed: it is saved
        /// only if it changed earlier in the transaction.
        mutating func keep(_ track: CameraTrack) {
            byID[track.cameraID] = track
        }

        mutating func remove(_ cameraID: String) {
            byID[cameraID] = nil
            changed.remove(cameraID)
        }

        func save(_ tx: IssueStore.Transaction) throws {
            for id in changed { if let track = byID[id] { try tx.save(track) } }
        }

        /// The latest version of a group incident: this transaction's, else the stored one.
        func group(_ id: String, _ tx: IssueStore.Transaction) throws -> IssueRecord? {
            if let known = groups.values.first(where: { $0.id == id }) { return known }
            return try tx.issue(id)
        }
    }

    /// Saves the group incidents changed in this transaction (one `updated` event each) and the
    /// tracks; call once at the end of the transaction. Returns the effects recorded.
    func finish(_ tx: IssueStore.Transaction, tracks: inout Tracks) throws -> [IncidentStateMachine.Effect] {
        var recorded: [IncidentStateMachine.Effect] = []
        for key in tracks.unsavedGroups.sorted() {
            guard let parent = tracks.groups[key] else { continue }
            try persist(.updated(parent), tx: tx)
            recorded.append(.updated(parent))
        }
        tracks.unsavedGroups = []
        try tracks.save(tx)
        return recorded
    }

    /// Groups and records `effects`; returns what was recorded (for logging).
    func record(_ effects: [IncidentStateMachine.Effect], tx: IssueStore.Transaction, tracks: inout Tracks, tally: FleetTally, now: Date) throws
        -> [IncidentStateMachine.Effect] {
        let grouped = try group(effects, tx: tx, tracks: &tracks, tally: tally, now: now)
        for effect in grouped { try persist(effect, tx: tx) }
        return grouped
    }

    /// Storm grouping, applied before recording: a camera incident that opens while its group is
    /// in a storm is opened already attached (its `opened` event carries `parentID`, so it is never
    /// announced alone); the incident that makes the storm opens the group incident and attaches
    /// the group's open camera incidents; a group incident resolves with its last camera.
    func group(_ effects: [IncidentStateMachine.Effect], tx: IssueStore.Transaction, tracks: inout Tracks, tally: FleetTally, now: Date) throws
        -> [IncidentStateMachine.Effect] {
        var out: [IncidentStateMachine.Effect] = []
        for effect in effects {
            switch effect {
            case let .opened(issue) where issue.parentID == nil:
                guard let group = StormGrouping.Group.of(issue), group.minimum(stormPolicy) > 0 else { out.append(effect); continue }
                let known = tracks.groups[group.parentCameraID]
                let parent: IssueRecord? = if let known { known.isActive ? known : nil } else { try tx.activeGroupIncident(group) }
                let unattached = try parent == nil ? tx.unattachedIncidents(in: group) + [issue] : [issue]
                let hold = policy.announceHold > 0 ? now.addingTimeInterval(policy.announceHold) : nil
                let (groupEffect, attached) = StormGrouping.onOpened(group: group, failing: tally.failing(in: group), unattached: unattached, parent: parent,
                                                                     policy: stormPolicy, now: now, hold: hold, newID: { UUID().uuidString })
                guard let groupEffect else { out.append(effect); continue }
                switch groupEffect {
                case let .opened(parent):
                    // A new group incident first, so every child refers to a stored parent.
                    out.append(groupEffect)
                    tracks.groups[parent.cameraID] = parent
                case let .updated(parent):
                    // Saved once at the end of the transaction, whatever joined meanwhile.
                    tracks.groups[parent.cameraID] = parent
                    tracks.unsavedGroups.insert(parent.cameraID)
                default:
                    break
                }
                for child in attached {
                    try updateActive(child, tx: tx, tracks: &tracks)
                    out.append(child.id == issue.id ? .opened(child) : .updated(child))
                }
            case let .updated(issue):
                guard let parentID = issue.parentID, let parent = try tracks.group(parentID, tx), StormGrouping.leavesGroup(issue, parent: parent) else {
                    out.append(effect); continue
                }
                let alone = StormGrouping.detach(issue, now: now)
                try updateActive(alone, tx: tx, tracks: &tracks)
                out.append(.updated(alone))
                // The child is still stored as attached until its effect is recorded: not counted.
                let remaining = max(0, try tx.activeChildCount(of: parentID) - 1)
                if let done = StormGrouping.onChildResolved(parent: parent, remainingChildren: remaining, now: now) { out.append(groupResolved(done, &tracks)) }
            case let .resolved(issue):
                out.append(effect)
                guard let parentID = issue.parentID, let parent = try tracks.group(parentID, tx) else { continue }
                let remaining = max(0, try tx.activeChildCount(of: parentID) - 1)
                if let done = StormGrouping.onChildResolved(parent: parent, remainingChildren: remaining, now: now) { out.append(groupResolved(done, &tracks)) }
            default:
                out.append(effect)
            }
        }
        return out
    }

    /// A group incident resolved: recorded now, so it is no longer saved as updated at the end.
    func groupResolved(_ effect: IncidentStateMachine.Effect, _ tracks: inout Tracks) -> IncidentStateMachine.Effect {
        if case let .resolved(parent) = effect {
            tracks.groups[parent.cameraID] = parent
            tracks.unsavedGroups.remove(parent.cameraID)
        }
        return effect
    }

    /// Saves one effect and queues its event.
    func persist(_ effect: IncidentStateMachine.Effect, tx: IssueStore.Transaction) throws {
        switch effect {
        case let .opened(issue): try recordIssueEvent(issue, type: .issueOpened, topic: topics.issueOpened, tx: tx)
        case let .updated(issue): try recordIssueEvent(issue, type: .issueUpdated, topic: topics.issueUpdated, tx: tx)
        case let .resolved(issue): try recordIssueEvent(issue, type: .issueResolved, topic: topics.issueResolved, tx: tx)
        case let .status(health):
            try tx.enqueue(topic: topics.status(health.cameraID), payload: ContractCodec.encode(Envelope(type: .cameraStatus, source: "issues", data: health)), retain: true)
        }
    }

    /// Saves an incident and queues its event, remembering it until the notifier acknowledges it.
    func recordIssueEvent(_ issue: IssueRecord, type: EventType, topic: String, tx: IssueStore.Transaction) throws {
        // Encoded once: the stored row and the published event carry the same JSON.
        let json = try ContractCodec.encodeValue(issue)
        try tx.saveIssue(issue, json: json)
        let eventID = UUID().uuidString
        let payload = ContractCodec.encode(type: type, id: eventID, source: "issues", encodedData: json)
        try tx.enqueue(topic: topic, payload: payload, retain: false)
        try tx.awaitAcknowledgement(eventID: eventID, issueID: issue.id, topic: topic, payload: payload, retryAt: Date().addingTimeInterval(ackTimeout))
    }

    /// Stores a changed active incident in the camera's track too, when it is the camera's open one.
    func updateActive(_ issue: IssueRecord, tx: IssueStore.Transaction, tracks: inout Tracks) throws {
        guard !issue.isGroup, !issue.isMonitorIncident else { return }
        var track = try tracks.get(issue.cameraID, tx)
        guard track.openIssue?.id == issue.id else { return }
        track.openIssue = issue.isActive ? issue : nil
        tracks.set(track)
    }
}
