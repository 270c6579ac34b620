import CCTVContract

/// What a notification is about.
public enum NotificationEvent: String, Codable, Sendable, CaseIterable {
    case opened, updated, resolved
    /// Not acknowledged in time: sent to the responsible team's escalation contact.
    case escalated
    /// Still open and not acknowledged: sent again to the responsible team.
    case reminder
    /// A notification channel has been failing too long: the operators are paged through another one.
    case channelFailing
}

/// One channel of one team that a notification goes to.
public struct Recipient: Sendable, Equatable {
    public var team: Team
    public var channel: ChannelConfig
}

/// Who hears about an incident event. Pure, so the routing rules are tested without I/O.
public struct NotificationRouting: Sendable, Equatable {
    public let book: ContactBook

    public init(book: ContactBook) {
        self.book = book
    }

    /// The team responsible for `issue`: the camera's assigned team (`responsibleTeam`) when the
    /// contacts file knows it, otherwise the default team of the role the incident kind calls for.
    public func responsibleTeam(for issue: IssueRecord) -> Team? {
        if let team = book.team(issue.responsibleTeam) { return team }
        return book.defaultTeam(issue.responsible == .cameraVendor ? .vendor : .lineTeam, site: issue.site)
    }

    /// Channels for `event` about `issue`. A recovery goes to every channel that was told about
    /// the incident (`alreadyTold`, channel ids) plus operators, even if routing or a kind filter
    /// changed since: no orphaned alert. A told channel no longer in the book is returned in
    /// `missing` so the caller can record it as undeliverable rather than drop it silently.
    public func recipients(for event: NotificationEvent, issue: IssueRecord, alreadyTold: Set<String>) -> (recipients: [Recipient], missing: [String]) {
        var result: [Recipient] = []
        var missing: [String] = []
        func add(_ team: Team?, filtered: Bool) {
            guard let team else { return }
            for channel in team.channels where !result.contains(where: { $0.channel.id == channel.id }) {
                if filtered, let kinds = channel.kinds, !kinds.contains(issue.kind) { continue }
                result.append(Recipient(team: team, channel: channel))
            }
        }
        let operators = book.teams.filter { $0.role == .operators }
        switch event {
        case .opened, .updated:
            add(responsibleTeam(for: issue), filtered: true)
            operators.forEach { add($0, filtered: true) }
        case .resolved:
            for id in alreadyTold.sorted() {
                if let found = book.channel(id) { add(Team(id: found.team.id, name: found.team.name, role: found.team.role, language: found.team.language, channels: [found.channel]), filtered: false) } else { missing.append(id) }
            }
            operators.forEach { add($0, filtered: true) }
        case .escalated:
            add(book.team(responsibleTeam(for: issue)?.escalateTo), filtered: false)
        case .reminder:
            add(responsibleTeam(for: issue), filtered: true)
        case .channelFailing:
            break // not about a camera: ``ChannelAlarm`` picks its recipients
        }
        return (result, missing)
    }
}
