import CCTVContract
import Foundation
import Testing
@testable import Issues

private func lineIncident(_ n: Int, site: String = "본관") -> IssueRecord {
    IssueRecord(id: "I-\(n)", cameraID: "CAM-\(n)", site: site, kind: .line, state: .open, responsible: .lineTeam, responsibleTeam: "KT-1",
                reason: "no_reply", openedAt: Date(timeIntervalSince1970: Double(n)), updatedAt: Date(), version: 1)
}

@Suite("storm grouping")
struct StormGroupingTests {
    let policy = StormGrouping.Policy(minimumCameras: 5)

    @Test("below the threshold nothing is grouped")
    func belowThreshold() {
        let (site, attached) = StormGrouping.onLineOpened(site: "본관", siteIncidents: (1...4).map { lineIncident($0) }, siteIncident: nil, policy: policy, now: Date(), newID: { "S" })
        #expect(site == nil)
        #expect(attached.isEmpty)
    }

    @Test("at the threshold one site incident opens and every camera incident is attached to it")
    func atThreshold() {
        let (site, attached) = StormGrouping.onLineOpened(site: "본관", siteIncidents: (1...5).map { lineIncident($0) }, siteIncident: nil, policy: policy, now: Date(), newID: { "S-1" })
        guard case let .opened(parent)? = site else { Issue.record("no site incident"); return }
        #expect(parent.cameraID == "SITE:본관")
        #expect(parent.isSiteIncident)
        #expect(parent.groupedCount == 5)
        #expect(parent.responsibleTeam == "KT-1")
        #expect(attached.count == 5)
        #expect(attached.allSatisfy { $0.parentID == "S-1" })
    }

    @Test("later cameras join the existing site incident")
    func joins() {
        var parent = lineIncident(0)
        parent.id = "S-1"; parent.cameraID = "SITE:본관"; parent.groupedCount = 5
        let (site, attached) = StormGrouping.onLineOpened(site: "본관", siteIncidents: [lineIncident(6)], siteIncident: parent, policy: policy, now: Date(), newID: { "X" })
        guard case let .updated(updated)? = site else { Issue.record("not updated"); return }
        #expect(updated.groupedCount == 6)
        #expect(attached.map(\.parentID) == ["S-1"])
    }

    @Test("the site incident resolves with its last camera")
    func resolvesWithLastChild() {
        var parent = lineIncident(0)
        parent.id = "S-1"; parent.cameraID = "SITE:본관"
        #expect(StormGrouping.onChildResolved(parent: parent, remainingChildren: 2, now: Date()) == nil)
        guard case let .resolved(done)? = StormGrouping.onChildResolved(parent: parent, remainingChildren: 0, now: Date()) else { Issue.record("not resolved"); return }
        #expect(done.state == .resolved)
    }

    @Test("grouping off means never grouped")
    func off() {
        let (site, attached) = StormGrouping.onLineOpened(site: "본관", siteIncidents: (1...50).map { lineIncident($0) }, siteIncident: nil, policy: .init(minimumCameras: 0), now: Date(), newID: { "S" })
        #expect(site == nil && attached.isEmpty)
    }
}
