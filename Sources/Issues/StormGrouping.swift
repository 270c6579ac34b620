import CCTVContract
import Foundation

/// Storm grouping: when many cameras of one site lose their line together, the cause is almost
/// always the site's uplink, not each camera; when many cameras streaming from one server fail
/// together, it is the server. Like Zabbix trigger dependencies / Alertmanager grouping, one
/// group incident is opened and announced; the camera incidents are attached to it and not
/// announced on their own. Pure: decisions from the group's counts and incidents.
package enum StormGrouping {
    /// Thresholds.
    package struct Policy: Sendable, Equatable {
        /// Cameras of one site failing at once that make a site storm (0 = no site grouping).
        package var minimumCameras: Int
        /// Cameras of one stream server failing at once that make a server incident (0 = none).
        package var minimumPerServer: Int
        package init(minimumCameras: Int = 5, minimumPerServer: Int = 3) {
            self.minimumCameras = minimumCameras
            self.minimumPerServer = minimumPerServer
        }
    }

    /// What camera incidents are grouped by.
    package enum Group: Hashable, Sendable {
        /// LINE incidents of one site: its uplink.
        case site(String)
        /// CAMERA incidents whose HLS URLs share one server (`scheme://host:port`).
        case streamServer(String)

        /// The group a camera incident belongs to, if any.
        package static func of(_ issue: IssueRecord) -> Group? {
            guard !issue.isGroup, !issue.isMonitorIncident else { return nil }
            switch issue.kind {
            case .line: return issue.site.map(Group.site)
            case .camera: return issue.streamServer.map(Group.streamServer)
            default: return nil
            }
        }

        /// The group a parent incident stands for.
        package static func of(parent: IssueRecord) -> Group? {
            if parent.isSiteIncident { return .site(String(parent.cameraID.dropFirst(IssueRecord.sitePrefix.count))) }
            if parent.isServerIncident { return .streamServer(String(parent.cameraID.dropFirst(IssueRecord.serverPrefix.count))) }
            return nil
        }

        /// The `cameraID` of the group's incident.
        package var parentCameraID: String {
            switch self {
            case let .site(site): IssueRecord.sitePrefix + site
            case let .streamServer(origin): IssueRecord.serverPrefix + origin
            }
        }

        /// Failing cameras that make a group.
        package func minimum(_ policy: Policy) -> Int {
            switch self {
            case .site: policy.minimumCameras
            case .streamServer: policy.minimumPerServer
            }
        }
    }

    /// What to change after a camera incident of `group` opened.
    /// - Parameters:
    ///   - failing: cameras of the group failing right now (their latest result), this one included.
    ///   - unattached: the group's active camera incidents not yet attached, the new one included.
    ///   - parent: the group's active incident, if any.
    ///   - hold: when the group incident may first be announced (see ``IssueRecord/holdUntil``).
    /// - Returns: the group incident to open or update, and the camera incidents to attach to it.
    package static func onOpened(
        group: Group, failing: Int, unattached: [IssueRecord], parent: IssueRecord?, policy: Policy, now: Date, hold: Date?,
        newID: () -> String
    ) -> (group: IncidentStateMachine.Effect?, attach: [IssueRecord]) {
        let minimum = group.minimum(policy)
        guard minimum > 0, !unattached.isEmpty else { return (nil, []) }
        if var parent {
            let attached = unattached.map { attach($0, to: parent, now: now) }
            add(attached, to: &parent)
            parent.record(IssueTransition(from: parent.state, to: parent.state, actor: "system", at: now, note: summary(parent, group)))
            return (.updated(parent), attached)
        }
        // Counting failing cameras, not open incidents: at the first opening of a site outage the
        // site's other cameras are failing already but have not reached `openAfter` yet.
        guard max(failing, unattached.count) >= minimum else { return (nil, []) }
        let first = unattached.min { $0.openedAt < $1.openedAt }
        let sites = Set(unattached.compactMap(\.site))
        var parent: IssueRecord
        switch group {
        case let .site(site):
            parent = IssueRecord(
                id: newID(), cameraID: group.parentCameraID, cameraName: site, address: nil, site: site,
                kind: .line, state: .open, responsible: .lineTeam, responsibleTeam: first?.responsibleTeam,
                reason: "site_line_down", openedAt: now, updatedAt: now, version: 0, groupedCount: 0, holdUntil: hold)
        case let .streamServer(origin):
            parent = IssueRecord(
                id: newID(), cameraID: group.parentCameraID, cameraName: origin, address: nil, site: sites.count == 1 ? sites.first : nil,
                kind: .streamServer, state: .open, responsible: .operators, responsibleTeam: nil,
                reason: "stream_server_down", openedAt: now, updatedAt: now, version: 0, groupedCount: 0, holdUntil: hold,
                streamServer: origin)
        }
        let attached = unattached.map { attach($0, to: parent, now: now) }
        add(attached, to: &parent)
        parent.record(IssueTransition(from: nil, to: .open, actor: "system", at: now, note: summary(parent, group) + ", failing together"))
        return (.opened(parent), attached)
    }

    /// After a grouped camera incident resolved (or left the group): the group incident resolves
    /// with its last camera.
    package static func onChildResolved(parent: IssueRecord, remainingChildren: Int, now: Date) -> IncidentStateMachine.Effect? {
        var parent = parent
        guard parent.isActive, remainingChildren == 0 else { return nil }
        let note = parent.isServerIncident ? "every camera of the stream server is back" : "every camera at the site is back"
        parent.record(IssueTransition(from: parent.state, to: .resolved, actor: "system", at: now, note: note))
        parent.state = .resolved
        parent.resolvedAt = now
        return .resolved(parent)
    }

    /// A grouped camera incident that was re-diagnosed out of its group's kind (a site's line came
    /// back but one camera's stream is still broken): it leaves the group, to be announced on its own.
    package static func leavesGroup(_ child: IssueRecord, parent: IssueRecord) -> Bool {
        guard child.parentID == parent.id, let group = Group.of(parent: parent) else { return false }
        return Group.of(child) != group
    }

    /// `child` without its group, with a note.
    package static func detach(_ child: IssueRecord, now: Date) -> IssueRecord {
        var child = child
        let parentID = child.parentID ?? "?"
        child.parentID = nil
        child.record(IssueTransition(from: child.state, to: child.state, actor: "system", at: now, note: "no longer part of group incident \(parentID)"))
        return child
    }

    static func attach(_ child: IssueRecord, to parent: IssueRecord, now: Date) -> IssueRecord {
        var child = child
        child.parentID = parent.id
        let what = parent.isServerIncident ? "stream server" : "site"
        child.record(IssueTransition(from: child.state, to: child.state, actor: "system", at: now, note: "grouped under \(what) incident \(parent.id)"))
        return child
    }

    static func add(_ children: [IssueRecord], to parent: inout IssueRecord) {
        parent.groupedCount = (parent.groupedCount ?? 0) + children.count
        var members = parent.members ?? []
        for child in children where members.count < IssueRecord.maxMembersListed {
            members.append(child.cameraName ?? child.cameraID)
        }
        parent.members = members
    }

    static func summary(_ parent: IssueRecord, _ group: Group) -> String {
        switch group {
        case let .site(site): "\(parent.groupedCount ?? 0) cameras down at \(site)"
        case let .streamServer(origin): "\(parent.groupedCount ?? 0) cameras of stream server \(origin) down"
        }
    }
}
