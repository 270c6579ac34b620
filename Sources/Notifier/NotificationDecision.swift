import CCTVContract
import Foundation

/// What the notifier already knows about an incident when one of its events arrives.
package struct NotificationHistory: Sendable, Equatable {
    /// The latest version of the incident seen before, `nil` for the first event about it.
    package var previous: IssueRecord?
    /// Channel ids that were told anything about it (sent or being sent; escalations included).
    package var told: Set<String>
    /// Channel ids whose notice about it is still held (queued, never attempted, before its hold time).
    package var held: Set<String>

    package init(previous: IssueRecord? = nil, told: Set<String> = [], held: Set<String> = []) {
        self.previous = previous; self.told = told; self.held = held
    }
}

/// What changed in an incident, said in the title of an `updated` notice.
package enum NotificationChange: Sendable, Equatable {
    /// A new diagnosis, e.g. `LINE_DEGRADED` → `LINE`: the newly responsible party is told.
    case rediagnosed(from: IssueKind, to: IssueKind)
    /// Another team is responsible now.
    case reassigned
    /// A maintenance window ended while the incident was still open.
    case maintenanceOver
    /// The incident left the group (site or stream server) it was announced with.
    case leftGroup
}

/// Who is told about an incident event, and why not the others: the notifier's one rule.
///
/// * A version older than one already seen tells nobody (events may be re-ordered); so does an
///   opening of an incident that is already over.
/// * A camera incident grouped under a site or stream-server incident is not announced on its own
///   (the group is), and a silenced one (maintenance window) not at all; either way, notices of it
///   still held are withdrawn.
/// * An opening goes to the responsible team and every operators team (each channel's `kinds`
///   filter applies, except that the monitor's own outage reaches every operators channel), held
///   until the incident's `holdUntil`.
/// * An update goes out only when something a party cares about changed (diagnosis, team, end of
///   maintenance, leaving its group), titled with that change; otherwise held notices are
///   re-rendered with the latest facts. An update of an incident whose opening is still held
///   replaces that opening.
/// * A recovery reaches every channel that was told (even if routing or a filter changed since:
///   no orphaned alert), plus operators when the incident was announced on its own; held notices
///   are withdrawn, and an incident that was never announced has no recovery to tell.
/// * An escalation goes to the responsible team's `escalateTo` team, a reminder to the team.
package struct NotificationDecision: Sendable, Equatable {
    /// Why a channel is not told.
    package enum Reason: String, Sendable, Equatable {
        /// An older version than one already seen.
        case olderVersion = "older_version"
        /// The incident is already over.
        case alreadyOver = "already_over"
        /// Only its lifecycle moved (acknowledged, dispatched …): nobody new to tell.
        case nothingNew = "nothing_new"
        /// Announced through its group incident.
        case grouped
        /// Held by a maintenance window.
        case silenced
        /// Its recovery: nobody was told about the incident.
        case neverAnnounced = "never_announced"
        /// The channel's team is neither responsible nor operators.
        case notResponsible = "not_responsible"
        /// The channel's `kinds` filter leaves this kind out.
        case kindFilter = "kind_filter"
        /// A recovery goes only to those told, and this channel was not.
        case notTold = "not_told"
        /// Escalation: not this team's escalation contact, or no longer open.
        case notEscalation = "not_escalation"
    }

    /// The channels to queue a notice for.
    package var recipients: [Recipient] = []
    /// Told channels no longer in the contacts file (recorded as failed, never dropped silently).
    package var missing: [String] = []
    /// The event the notice is rendered as (an update replacing a held opening is an opening).
    package var event: NotificationEvent
    /// What changed, for the title of an `updated` notice.
    package var change: NotificationChange?
    /// Queued notices wait until then.
    package var holdUntil: Date?
    /// Withdraw this incident's held notices first.
    package var withdrawHeld = false
    /// Re-render this incident's held notices from this version (newer facts, same recipients).
    package var refreshHeld = false
    /// Why nobody is told, when that is one reason for everyone.
    package var blanket: Reason?
    /// Why particular channels (of teams involved) are not told.
    package var perChannel: [String: Reason] = [:]

    /// Why channel `channelID` is not told; `nil` when it is.
    package func whyNot(_ channelID: String) -> Reason? {
        if recipients.contains(where: { $0.channel.id == channelID }) { return nil }
        return blanket ?? perChannel[channelID] ?? .notResponsible
    }

    /// The channel ids told, in order.
    package var told: [String] { recipients.map(\.channel.id) }

    /// Decides who is told about `event` on `issue`.
    package static func decide(_ event: NotificationEvent, issue: IssueRecord, history: NotificationHistory, routing: NotificationRouting, now: Date)
        -> NotificationDecision {
        var decision = NotificationDecision(event: event)
        let previous = history.previous
        if let previous, issue.version < previous.version {
            decision.blanket = .olderVersion
            return decision
        }
        if event != .resolved, let previous, !previous.isActive, issue.version <= previous.version {
            decision.blanket = .alreadyOver
            return decision
        }
        let book = routing.book
        let operators = book.teams.filter { $0.role == .operators }

        if event == .resolved {
            decision.withdrawHeld = !history.held.isEmpty
            guard !history.told.isEmpty else {
                decision.blanket = .neverAnnounced
                return decision
            }
            for id in history.told.sorted() {
                if let found = book.channel(id) { decision.add(found.team, found.channel) } else { decision.missing.append(id) }
            }
            if issue.parentID == nil && !issue.silenced {
                for team in operators { decision.addFiltered(team, issue) }
            }
            for team in book.teams {
                for channel in team.channels where decision.perChannel[channel.id] == nil && !decision.told.contains(channel.id) {
                    decision.perChannel[channel.id] = .notTold
                }
            }
            return decision
        }

        if issue.parentID != nil || issue.silenced {
            decision.blanket = issue.parentID != nil ? .grouped : .silenced
            decision.withdrawHeld = !history.held.isEmpty
            return decision
        }
        let responsible = routing.responsibleTeam(for: issue)
        switch event {
        case .opened, .updated:
            if event == .updated {
                decision.change = change(from: previous, to: issue, routing: routing)
                guard decision.change != nil else {
                    decision.blanket = .nothingNew
                    decision.refreshHeld = !history.held.isEmpty
                    return decision
                }
                if !history.held.isEmpty && history.told.isEmpty {
                    // Nobody has heard of it yet: the held opening is replaced by a fresh one with the new facts.
                    decision.withdrawHeld = true
                    decision.event = .opened
                    decision.change = nil
                }
            }
            if let responsible { decision.addFiltered(responsible, issue) }
            for team in operators { decision.addFiltered(team, issue) }
            if let hold = issue.holdUntil, hold > now { decision.holdUntil = hold }
        case .escalated:
            guard let target = book.team(responsible?.escalateTo) else {
                decision.blanket = .notEscalation
                return decision
            }
            decision.add(target, nil)
        case .reminder:
            if let responsible { decision.addFiltered(responsible, issue) }
        case .resolved, .channelFailing:
            break // .channelFailing is not about a camera: ``ChannelAlarm`` picks its recipients
        }
        return decision
    }

    /// What changed between the version seen before and this one that a party cares about.
    static func change(from previous: IssueRecord?, to issue: IssueRecord, routing: NotificationRouting) -> NotificationChange? {
        guard let previous else {
            return issue.previousKind.map { .rediagnosed(from: $0, to: issue.kind) }
        }
        if previous.kind != issue.kind { return .rediagnosed(from: previous.kind, to: issue.kind) }
        if routing.responsibleTeam(for: previous)?.id != routing.responsibleTeam(for: issue)?.id { return .reassigned }
        if previous.silenced && !issue.silenced { return .maintenanceOver }
        if previous.parentID != nil && issue.parentID == nil { return .leftGroup }
        return nil
    }

    /// Adds every channel of `team` (or just `only`), whatever its filter.
    mutating func add(_ team: Team, _ only: ChannelConfig?) {
        for channel in team.channels where (only == nil || only?.id == channel.id) && !told.contains(channel.id) {
            recipients.append(Recipient(team: team, channel: channel))
        }
    }

    /// Adds the channels of `team` whose `kinds` filter lets `issue` through.
    mutating func addFiltered(_ team: Team, _ issue: IssueRecord) {
        for channel in team.channels where !told.contains(channel.id) {
            // The monitor's own outage is for every operators channel: it explains every other silence.
            let bypass = issue.kind == .monitor && team.role == .operators
            if let kinds = channel.kinds, !kinds.contains(issue.kind), !bypass {
                perChannel[channel.id] = .kindFilter
                continue
            }
            recipients.append(Recipient(team: team, channel: channel))
        }
    }
}

extension NotificationDecision {
    /// Who is told a ``CameraNotice`` (clock off or right again, camera replaced, firmware
    /// changed): the team responsible for the camera's CAMERA incidents — its vendor team, else the
    /// site's or the default vendor team — and every operators team, each channel's `kinds` filter
    /// read as for a CAMERA incident (a line team's channel limited to `LINE` hears nothing of it).
    /// Nothing is held or withdrawn: a notice is not an incident.
    package static func recipients(of notice: CameraNotice, routing: NotificationRouting) -> [Recipient] {
        let camera = notice.camera
        let shape = IssueRecord(id: notice.issueID, cameraID: camera.id, cameraName: camera.name, address: camera.address, site: camera.site,
                                kind: .camera, state: .open, responsible: .cameraVendor, responsibleTeam: camera.vendor, reason: notice.subject.rawValue,
                                openedAt: notice.at, updatedAt: notice.at, version: 1)
        var decision = NotificationDecision(event: .opened)
        if let responsible = routing.responsibleTeam(for: shape) { decision.addFiltered(responsible, shape) }
        for team in routing.book.teams where team.role == .operators { decision.addFiltered(team, shape) }
        return decision.recipients
    }
}
