import CCTVContract
import Foundation

/// Storm grouping: when many cameras of one site lose their line together, the cause is almost
/// always the site's uplink, not each camera. Like Zabbix trigger dependencies / Alertmanager
/// grouping, one site-level LINE incident is opened and notified; the camera incidents are
/// attached to it and not notified on their own. Pure: decisions from the site's active incidents.
public enum StormGrouping {
    /// Thresholds.
    public struct Policy: Sendable, Equatable {
        /// Active line incidents at one site that make a storm (0 = grouping off).
        public var minimumCameras: Int
        public init(minimumCameras: Int = 5) { self.minimumCameras = minimumCameras }
    }

    /// What to change after a camera line incident opened at `site`.
    /// - Parameters:
    ///   - siteIncidents: the site's active camera LINE incidents, including the new one.
    ///   - siteIncident: the site's active site-wide incident, if any.
    /// - Returns: the site incident to open or update, and the camera incidents to attach to it.
    public static func onLineOpened(
        site: String, siteIncidents: [IssueRecord], siteIncident: IssueRecord?, policy: Policy, now: Date, newID: () -> String
    ) -> (site: IncidentStateMachine.Effect?, attach: [IssueRecord]) {
        guard policy.minimumCameras > 0 else { return (nil, []) }
        let unattached = siteIncidents.filter { $0.parentID == nil }
        if var parent = siteIncident {
            guard !unattached.isEmpty else { return (nil, []) }
            let attached = unattached.map { attach($0, to: parent, now: now) }
            parent.groupedCount = (parent.groupedCount ?? 0) + attached.count
            parent.record(IssueTransition(from: parent.state, to: parent.state, actor: "system", at: now,
                                          note: "\(parent.groupedCount ?? 0) cameras down at \(site)"))
            return (.updated(parent), attached)
        }
        guard siteIncidents.count >= policy.minimumCameras else { return (nil, []) }
        let first = siteIncidents.min { $0.openedAt < $1.openedAt }
        var parent = IssueRecord(
            id: newID(), cameraID: IssueRecord.sitePrefix + site, cameraName: site, address: nil, site: site,
            kind: .line, state: .open, responsible: .lineTeam, responsibleTeam: first?.responsibleTeam,
            reason: "site_line_down", openedAt: now, updatedAt: now, version: 0, groupedCount: siteIncidents.count)
        parent.record(IssueTransition(from: nil, to: .open, actor: "system", at: now,
                                      note: "\(siteIncidents.count) cameras at \(site) lost their line together: likely the site uplink"))
        return (.opened(parent), siteIncidents.map { attach($0, to: parent, now: now) })
    }

    /// After a grouped camera incident resolved: the site incident resolves with its last child.
    public static func onChildResolved(parent: IssueRecord, remainingChildren: Int, now: Date) -> IncidentStateMachine.Effect? {
        var parent = parent
        guard parent.isActive else { return nil }
        if remainingChildren == 0 {
            parent.record(IssueTransition(from: parent.state, to: .resolved, actor: "system", at: now, note: "every camera at the site is back"))
            parent.state = .resolved
            parent.resolvedAt = now
            return .resolved(parent)
        }
        return nil
    }

    static func attach(_ child: IssueRecord, to parent: IssueRecord, now: Date) -> IssueRecord {
        var child = child
        child.parentID = parent.id
        child.record(IssueTransition(from: child.state, to: child.state, actor: "system", at: now, note: "grouped under site incident \(parent.id)"))
        return child
    }
}
