import CCTVContract

/// What a notification is about.
package enum NotificationEvent: String, Codable, Sendable, CaseIterable {
    case opened, updated, resolved
    /// Not acknowledged in time: sent to the responsible team's escalation contact.
    case escalated
    /// Still open and not acknowledged: sent again to the responsible team.
    case reminder
    /// A notification channel has been failing too long: the operators are paged through another one.
    case channelFailing
}

/// One channel of one team that a notification goes to.
package struct Recipient: Sendable, Equatable {
    package var team: Team
    package var channel: ChannelConfig
}

/// Which team is responsible for an incident, from the contacts file. Pure; who is told about
/// which event is ``NotificationDecision``.
package struct NotificationRouting: Sendable, Equatable {
    package let book: ContactBook

    package init(book: ContactBook) {
        self.book = book
    }

    /// The team responsible for `issue`: the camera's assigned team (`responsibleTeam`) when the
    /// contacts file knows it; for a stream server, the team the contacts name as its owner;
    /// otherwise the default team of the role the incident kind calls for.
    package func responsibleTeam(for issue: IssueRecord) -> Team? {
        if let team = book.team(issue.responsibleTeam) { return team }
        if issue.kind == .streamServer, let owner = book.streamServerOwner(issue.streamServer) { return owner }
        let role: TeamRole = switch issue.responsible {
        case .lineTeam: .lineTeam
        case .cameraVendor: .vendor
        case .operators: .operators
        }
        return book.defaultTeam(role, site: issue.site)
    }
}
