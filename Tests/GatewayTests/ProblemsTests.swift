import CCTVContract
import Foundation
@testable import Gateway
import Testing
import TestSupport

/// The problems view's query: what needs a person, worst first, a storm as one line, filters over
/// every field, stalled cameras, and the cameras of one site incident.
@Suite("problems first", .runsAlone)
struct ProblemsTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("problems-\(UUID().uuidString)").path
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    func store() async throws -> ReadStore {
        let store = try ReadStore(dataDir: dir)
        let created = Self.now.addingTimeInterval(-86_400)
        func camera(_ id: String, site: String, team: String, vendor: String, state: CameraState?, since: TimeInterval = 600, issue: IssueRecord? = nil) async throws {
            try await store.apply(camera: CameraDefinition(id: id, name: "이름 \(id)", address: "10.0.0.\(id.count)", site: site, lineTeam: team, vendor: vendor,
                                                     createdAt: created, updatedAt: created, version: 1))
            if let state {
                try await store.apply(status: CameraHealth(cameraID: id, state: state, reason: state == .ok ? "ok" : "no_reply", issueID: issue?.id,
                                                     since: Self.now.addingTimeInterval(-since), updatedAt: Self.now))
            }
            if let issue { try await store.apply(issue: issue) }
        }
        func issue(_ id: String, camera: String, kind: IssueKind = .line, parent: String? = nil, state: IssueState = .open) -> IssueRecord {
            IssueRecord(id: id, cameraID: camera, site: "본관", kind: kind, state: state, responsible: kind.responsible, reason: "no_reply",
                        openedAt: Self.now.addingTimeInterval(-600), updatedAt: Self.now, version: 1, parentID: parent)
        }
        let site = IssueRecord(id: "SITE-1", cameraID: "SITE:본관", site: "본관", kind: .line, state: .open, responsible: .lineTeam, reason: "site_line_down",
                               openedAt: Self.now.addingTimeInterval(-500), updatedAt: Self.now, version: 1, groupedCount: 3)
        try await store.apply(issue: site)
        for n in 1...3 { try await camera("S\(n)", site: "본관", team: "KT-1", vendor: "HANWHA", state: .lineDown, issue: issue("I-S\(n)", camera: "S\(n)", parent: "SITE-1")) }
        try await camera("L1", site: "별관", team: "SKB", vendor: "HANWHA", state: .lineDown, since: 60, issue: issue("I-L1", camera: "L1"))
        try await camera("C1", site: "별관", team: "KT-1", vendor: "AXIS", state: .cameraDown, since: 3000, issue: issue("I-C1", camera: "C1", kind: .camera, state: .acknowledged))
        try await camera("D1", site: "별관", team: "KT-1", vendor: "AXIS", state: .degraded)
        try await camera("OK1", site: "별관", team: "KT-1", vendor: "AXIS", state: .ok)
        try await camera("QUIET", site: "별관", team: "KT-1", vendor: "AXIS", state: .ok)
        try await camera("NEW", site: "별관", team: "KT-1", vendor: "AXIS", state: nil)
        try store.recordActivity([("OK1", Self.now.addingTimeInterval(-30)), ("QUIET", Self.now.addingTimeInterval(-7200))])
        return store
    }

    func query(_ change: (inout ReadStore.ProblemQuery) -> Void = { _ in }) -> ReadStore.ProblemQuery {
        var q = ReadStore.ProblemQuery()
        q.now = Self.now
        q.defaultInterval = 60
        q.activitySlack = 300
        change(&q)
        return q
    }

    @Test("worst first, a storm is one line with its counts, stalled cameras last")
    func worstFirst() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let page = try await store().problems(query())
        #expect(page.total == 6 && page.cameras == 8)
        #expect(page.items.map { $0.kind == "site" ? "site:\($0.incident?.id ?? "")" : $0.camera?.id ?? "" } == ["site:SITE-1", "L1", "C1", "D1", "NEW", "QUIET"],
                "line down (the storm first: it has been down longest), camera down, degraded, stalled (never checked, then silent)")
        #expect(page.items[0].count == 3 && page.items[0].byState == ["LINE_DOWN": 3])
        #expect(page.items[2].issue?.state == .acknowledged)
        #expect(page.items[4].stalled == true, "registered a day ago, never checked")
        #expect(page.items[5].stalled == true, "no result for longer than 3 intervals plus the write delay")
        let children = try await store().problems(query { $0.parent = "SITE-1" })
        #expect(children.items.compactMap { $0.camera?.id } == ["S1", "S2", "S3"])
    }

    @Test("filters: a team, a vendor, text over every field, the incident's state, stalled only")
    func filters() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try await store()
        #expect(try store.problems(query { $0.team = "SKB" }).items.compactMap { $0.camera?.id } == ["L1"])
        #expect(try store.problems(query { $0.vendor = "AXIS" }).cameras == 4)
        #expect(try store.problems(query { $0.text = "skb" }).items.compactMap { $0.camera?.id } == ["L1"], "the search reaches the team")
        #expect(try store.problems(query { $0.issueState = "ACKNOWLEDGED" }).items.compactMap { $0.camera?.id } == ["C1"])
        #expect(try store.problems(query { $0.issueState = "NONE" }).items.compactMap { $0.camera?.id } == ["D1", "NEW", "QUIET"])
        #expect(try store.problems(query { $0.state = "STALLED" }).items.compactMap { $0.camera?.id } == ["NEW", "QUIET"])
        #expect(try store.problems(query { $0.state = "LINE_DOWN" }).cameras == 4)
        #expect(try store.problems(query { $0.sort = "-since" }).items.first?.camera?.id == "L1", "most recent first")
        #expect(throws: ContractError.self) { try store.problems(query { $0.sort = "address; DROP TABLE camera" }) }
    }
}
