import Foundation

/// What kind of failure an incident is, which decides who fixes it.
public enum IssueKind: String, Codable, Sendable, CaseIterable {
    /// ICMP TIMEOUT/FAIL: the network line team.
    case line = "LINE"
    /// ICMP LOSS: the network line team, as a warning.
    case lineDegraded = "LINE_DEGRADED"
    /// ICMP fine, HLS broken: the camera vendor.
    case camera = "CAMERA"

    /// The party responsible for this kind.
    public var responsible: ResponsibleParty { self == .camera ? .cameraVendor : .lineTeam }
}

/// Who is told.
public enum ResponsibleParty: String, Codable, Sendable, CaseIterable {
    case lineTeam = "LINE_TEAM"
    case cameraVendor = "CAMERA_VENDOR"
}

/// Incident lifecycle, following the seed's steps (site visit, fix, confirm).
public enum IssueState: String, Codable, Sendable, CaseIterable {
    case open = "OPEN"
    case acknowledged = "ACKNOWLEDGED"
    case dispatched = "DISPATCHED"
    case resolved = "RESOLVED"
    case closed = "CLOSED"
}

/// An incident (`issue.opened` / `issue.updated` / `issue.resolved`).
public struct IssueRecord: Codable, Sendable, Equatable {
    public var id: String
    public var cameraID: String
    public var cameraName: String?
    public var address: String?
    public var site: String?
    public var kind: IssueKind
    public var state: IssueState
    public var responsible: ResponsibleParty
    /// The team id from the camera definition (line team or vendor), if assigned.
    public var responsibleTeam: String?
    /// Machine reason of the check that opened (or last changed) it.
    public var reason: String
    public var openedAt: Date
    public var updatedAt: Date
    public var resolvedAt: Date?
    /// +1 on every change; consumers ignore older versions.
    public var version: Int

    public init(id: String, cameraID: String, cameraName: String? = nil, address: String? = nil, site: String? = nil,
                kind: IssueKind, state: IssueState, responsible: ResponsibleParty, responsibleTeam: String? = nil,
                reason: String, openedAt: Date, updatedAt: Date, resolvedAt: Date? = nil, version: Int) {
        self.id = id; self.cameraID = cameraID; self.cameraName = cameraName; self.address = address; self.site = site
        self.kind = kind; self.state = state; self.responsible = responsible; self.responsibleTeam = responsibleTeam
        self.reason = reason; self.openedAt = openedAt; self.updatedAt = updatedAt; self.resolvedAt = resolvedAt
        self.version = version
    }
}

/// One delivery attempt's outcome (`notification.sent` / `notification.failed`).
public struct NotificationRecord: Codable, Sendable, Equatable {
    public var id: String
    public var issueID: String
    public var cameraID: String
    /// `opened`, `updated` or `resolved`.
    public var event: String
    /// Channel kind, e.g. `webhook`.
    public var channel: String
    /// Where it went (URL host, address); never a secret.
    public var target: String
    public var delivered: Bool
    public var attempts: Int
    public var httpStatus: Int?
    public var error: String?
    public var at: Date

    public init(id: String, issueID: String, cameraID: String, event: String, channel: String, target: String,
                delivered: Bool, attempts: Int, httpStatus: Int? = nil, error: String? = nil, at: Date) {
        self.id = id; self.issueID = issueID; self.cameraID = cameraID; self.event = event; self.channel = channel
        self.target = target; self.delivered = delivered; self.attempts = attempts; self.httpStatus = httpStatus
        self.error = error; self.at = at
    }
}
