import Foundation

/// What kind of failure an incident is, which decides who fixes it.
public enum IssueKind: String, Codable, Sendable, CaseIterable {
    /// ICMP TIMEOUT/FAIL: the network line team.
    case line = "LINE"
    /// ICMP LOSS: the network line team, as a warning.
    case lineDegraded = "LINE_DEGRADED"
    /// ICMP fine, HLS or RTSP broken: the camera vendor.
    case camera = "CAMERA"
    /// Line and stream fine, the picture useless (black or frozen: lens covered, camera turned,
    /// sensor dead): the camera vendor.
    case picture = "PICTURE"
    /// The camera's address (or stream host) does not resolve (DNS): a configuration fault, for operators.
    case configuration = "CONFIGURATION"
    /// Several cameras streaming from one server (same scheme, host and port) failed together:
    /// the server, not each camera. Its owner from the contacts file, operators by default.
    case streamServer = "STREAM_SERVER"
    /// The monitor's own network is down (its reference addresses fail, or most of the fleet
    /// failed at once): results are inconclusive, only operators are told.
    case monitor = "MONITOR"

    /// The party responsible for this kind.
    public var responsible: ResponsibleParty {
        switch self {
        case .line, .lineDegraded: .lineTeam
        case .camera, .picture: .cameraVendor
        case .configuration, .streamServer, .monitor: .operators
        }
    }
}

/// Who is told.
public enum ResponsibleParty: String, Codable, Sendable, CaseIterable {
    case lineTeam = "LINE_TEAM"
    case cameraVendor = "CAMERA_VENDOR"
    /// The control room itself (configuration faults, stream servers without an owner, the monitor's own network).
    case operators = "OPERATORS"
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
    /// Notifications are held (maintenance window); a recovery still reaches whoever was told.
    public var silenced: Bool
    /// The camera keeps failing and recovering: held open until it has been stable for longer.
    public var flapping: Bool
    /// Someone reported it fixed; it resolves when the checks confirm.
    public var fixReportedBy: String?
    /// Every state change with actor, time and note (most recent 50).
    public var history: [IssueTransition]
    /// For a camera incident grouped under a site-wide line incident (storm): that incident's id.
    /// Grouped incidents are not notified on their own; the site incident is.
    public var parentID: String?
    /// For a site-wide incident: how many camera incidents it groups.
    public var groupedCount: Int?
    /// For a grouping incident (site, stream server): the first cameras it groups (name or id),
    /// at most ``IssueRecord/maxMembersListed``; `groupedCount` says how many there are in all.
    public var members: [String]?
    /// Do not announce before this time: a new incident that may still be grouped (site outage,
    /// stream server) or turn out to be the monitor's own outage is held this long. A later version
    /// that groups or resolves it withdraws the held notice.
    public var holdUntil: Date?
    /// The kind before the last re-diagnosis (e.g. `LINE_DEGRADED` when it became `LINE`).
    public var previousKind: IssueKind?
    /// The stream server (`scheme://host:port`) of the camera's HLS URL, for CAMERA and STREAM_SERVER incidents.
    public var streamServer: String?
    /// Consecutive good checks needed to resolve; set when more than usual (a flapping camera).
    public var recoveryChecks: Int?

    public init(id: String, cameraID: String, cameraName: String? = nil, address: String? = nil, site: String? = nil,
                kind: IssueKind, state: IssueState, responsible: ResponsibleParty, responsibleTeam: String? = nil,
                reason: String, openedAt: Date, updatedAt: Date, resolvedAt: Date? = nil, version: Int,
                silenced: Bool = false, flapping: Bool = false, fixReportedBy: String? = nil, history: [IssueTransition] = [],
                parentID: String? = nil, groupedCount: Int? = nil, members: [String]? = nil, holdUntil: Date? = nil,
                previousKind: IssueKind? = nil, streamServer: String? = nil, recoveryChecks: Int? = nil) {
        self.id = id; self.cameraID = cameraID; self.cameraName = cameraName; self.address = address; self.site = site
        self.kind = kind; self.state = state; self.responsible = responsible; self.responsibleTeam = responsibleTeam
        self.reason = reason; self.openedAt = openedAt; self.updatedAt = updatedAt; self.resolvedAt = resolvedAt
        self.version = version; self.silenced = silenced; self.flapping = flapping; self.fixReportedBy = fixReportedBy
        self.history = history
        self.parentID = parentID
        self.groupedCount = groupedCount
        self.members = members
        self.holdUntil = holdUntil
        self.previousKind = previousKind
        self.streamServer = streamServer
        self.recoveryChecks = recoveryChecks
    }

    /// Whether this is a site-wide incident grouping several cameras.
    public var isSiteIncident: Bool { cameraID.hasPrefix(IssueRecord.sitePrefix) }
    /// Whether this is a stream-server incident grouping several cameras.
    public var isServerIncident: Bool { cameraID.hasPrefix(IssueRecord.serverPrefix) }
    /// Whether this incident groups others (site or stream server).
    public var isGroup: Bool { isSiteIncident || isServerIncident }
    /// Whether this is about the monitor itself, not about a camera.
    public var isMonitorIncident: Bool { cameraID.hasPrefix(IssueRecord.monitorPrefix) }

    /// Camera ids of site incidents start with this (camera ids cannot contain ':').
    public static let sitePrefix = "SITE:"
    /// Camera ids of stream-server incidents: `SERVER:` and the server's `scheme://host:port`.
    public static let serverPrefix = "SERVER:"
    /// The camera id of the monitor's own-network incident.
    public static let monitorPrefix = "MONITOR:"
    /// How many grouped cameras a grouping incident names in `members`.
    public static let maxMembersListed = 20

    /// Decodes older events without the lifecycle fields.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        cameraID = try c.decode(String.self, forKey: .cameraID)
        cameraName = try c.decodeIfPresent(String.self, forKey: .cameraName)
        address = try c.decodeIfPresent(String.self, forKey: .address)
        site = try c.decodeIfPresent(String.self, forKey: .site)
        kind = try c.decode(IssueKind.self, forKey: .kind)
        state = try c.decode(IssueState.self, forKey: .state)
        responsible = try c.decode(ResponsibleParty.self, forKey: .responsible)
        responsibleTeam = try c.decodeIfPresent(String.self, forKey: .responsibleTeam)
        reason = try c.decode(String.self, forKey: .reason)
        openedAt = try c.decode(Date.self, forKey: .openedAt)
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
        resolvedAt = try c.decodeIfPresent(Date.self, forKey: .resolvedAt)
        version = try c.decode(Int.self, forKey: .version)
        silenced = try c.decodeIfPresent(Bool.self, forKey: .silenced) ?? false
        flapping = try c.decodeIfPresent(Bool.self, forKey: .flapping) ?? false
        fixReportedBy = try c.decodeIfPresent(String.self, forKey: .fixReportedBy)
        history = try c.decodeIfPresent([IssueTransition].self, forKey: .history) ?? []
        parentID = try c.decodeIfPresent(String.self, forKey: .parentID)
        groupedCount = try c.decodeIfPresent(Int.self, forKey: .groupedCount)
        members = try c.decodeIfPresent([String].self, forKey: .members)
        holdUntil = try c.decodeIfPresent(Date.self, forKey: .holdUntil)
        previousKind = try c.decodeIfPresent(IssueKind.self, forKey: .previousKind)
        streamServer = try c.decodeIfPresent(String.self, forKey: .streamServer)
        recoveryChecks = try c.decodeIfPresent(Int.self, forKey: .recoveryChecks)
    }

    /// Whether the incident still needs someone (not resolved or closed).
    public var isActive: Bool { state != .resolved && state != .closed }
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
