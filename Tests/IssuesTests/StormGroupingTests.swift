import CCTVContract
import Foundation
import Testing
@testable import Issues

private func lineIncident(_ n: Int, site: String = "본관") -> IssueRecord {
    IssueRecord(id: "I-\(n)", cameraID: "CAM-\(n)", cameraName: "카메라 \(n)", site: site, kind: .line, state: .open, responsible: .lineTeam, responsibleTeam: "KT-1",
                reason: "no_reply", openedAt: Date(timeIntervalSince1970: Double(n)), updatedAt: Date(), version: 1)
}

private func cameraIncident(_ n: Int, server: String = "http://10.0.0.5:8080") -> IssueRecord {
    IssueRecord(id: "C-\(n)", cameraID: "CAM-\(n)", site: "본관", kind: .camera, state: .open, responsible: .cameraVendor, responsibleTeam: "HANWHA",
                reason: "http_503", openedAt: Date(timeIntervalSince1970: Double(n)), updatedAt: Date(), version: 1, streamServer: server)
}

@Suite("storm grouping")
struct StormGroupingTests {
    let policy = StormGrouping.Policy(minimumCameras: 5, minimumPerServer: 3)
    let site = StormGrouping.Group.site("본관")

    @Test("below the threshold nothing is grouped")
    func belowThreshold() {
        let (group, attached) = StormGrouping.onOpened(group: site, failing: 4, unattached: (1...4).map { lineIncident($0) }, parent: nil,
                                                       policy: policy, now: Date(), hold: nil, newID: { "S" })
        #expect(group == nil)
        #expect(attached.isEmpty)
    }

    @Test("at the threshold one site incident opens, names its cameras, and every camera incident is attached to it")
    func atThreshold() {
        let hold = Date(timeIntervalSince1970: 100)
        let (group, attached) = StormGrouping.onOpened(group: site, failing: 5, unattached: (1...5).map { lineIncident($0) }, parent: nil,
                                                       policy: policy, now: Date(), hold: hold, newID: { "S-1" })
        guard case let .opened(parent)? = group else { Issue.record("no site incident"); return }
        #expect(parent.cameraID == "SITE:본관")
        #expect(parent.isSiteIncident)
        #expect(parent.groupedCount == 5)
        #expect(parent.members == (1...5).map { "카메라 \($0)" })
        #expect(parent.responsibleTeam == "KT-1")
        #expect(parent.holdUntil == hold, "the site notice is held too, so it names the cameras that join meanwhile")
        #expect(attached.count == 5)
        #expect(attached.allSatisfy { $0.parentID == "S-1" })
    }

    @Test("a site whose cameras are failing groups at the first opening: no camera is announced alone")
    func failingCamerasCount() {
        let (group, attached) = StormGrouping.onOpened(group: site, failing: 40, unattached: [lineIncident(1)], parent: nil,
                                                       policy: policy, now: Date(), hold: nil, newID: { "S-1" })
        guard case .opened? = group else { Issue.record("not grouped at the first opening"); return }
        #expect(attached.map(\.id) == ["I-1"])
    }

    @Test("later cameras join the existing site incident; the names stop at the listed maximum, the count goes on")
    func joins() {
        var parent = lineIncident(0)
        parent.id = "S-1"; parent.cameraID = "SITE:본관"; parent.groupedCount = 20; parent.members = (1...20).map { "카메라 \($0)" }
        let (group, attached) = StormGrouping.onOpened(group: site, failing: 21, unattached: [lineIncident(21)], parent: parent,
                                                       policy: policy, now: Date(), hold: nil, newID: { "X" })
        guard case let .updated(updated)? = group else { Issue.record("not updated"); return }
        #expect(updated.groupedCount == 21)
        #expect(updated.members?.count == IssueRecord.maxMembersListed)
        #expect(attached.map(\.parentID) == ["S-1"])
    }

    @Test("cameras of one stream server failing together become one STREAM_SERVER incident for operators")
    func streamServer() {
        let server = StormGrouping.Group.streamServer("http://10.0.0.5:8080")
        #expect(StormGrouping.Group.of(cameraIncident(1)) == server)
        let (group, attached) = StormGrouping.onOpened(group: server, failing: 3, unattached: (1...3).map { cameraIncident($0) }, parent: nil,
                                                       policy: policy, now: Date(), hold: nil, newID: { "V-1" })
        guard case let .opened(parent)? = group else { Issue.record("no server incident"); return }
        #expect(parent.cameraID == "SERVER:http://10.0.0.5:8080")
        #expect(parent.kind == .streamServer)
        #expect(parent.responsible == .operators)
        #expect(parent.streamServer == "http://10.0.0.5:8080")
        #expect(parent.site == "본관", "all its cameras are at one site")
        #expect(attached.count == 3)
        #expect(StormGrouping.Group.of(parent: parent) == server)
    }

    @Test("a grouped camera re-diagnosed out of its group's kind leaves the group")
    func leavesGroup() {
        var parent = lineIncident(0)
        parent.id = "S-1"; parent.cameraID = "SITE:본관"
        var child = lineIncident(1)
        child.parentID = "S-1"
        #expect(!StormGrouping.leavesGroup(child, parent: parent))
        child.kind = .camera
        #expect(StormGrouping.leavesGroup(child, parent: parent))
        #expect(StormGrouping.detach(child, now: Date()).parentID == nil)
    }

    @Test("the group incident resolves with its last camera")
    func resolvesWithLastChild() {
        var parent = lineIncident(0)
        parent.id = "S-1"; parent.cameraID = "SITE:본관"
        #expect(StormGrouping.onChildResolved(parent: parent, remainingChildren: 2, now: Date()) == nil)
        guard case let .resolved(done)? = StormGrouping.onChildResolved(parent: parent, remainingChildren: 0, now: Date()) else { Issue.record("not resolved"); return }
        #expect(done.state == .resolved)
    }

    @Test("grouping off means never grouped")
    func off() {
        let (group, attached) = StormGrouping.onOpened(group: site, failing: 50, unattached: (1...50).map { lineIncident($0) }, parent: nil,
                                                       policy: .init(minimumCameras: 0, minimumPerServer: 0), now: Date(), hold: nil, newID: { "S" })
        #expect(group == nil && attached.isEmpty)
    }
}
