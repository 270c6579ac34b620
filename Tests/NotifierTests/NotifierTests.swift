import CCTVContract
import Foundation
import ServiceRuntime
import Testing
import TestSupport
@testable import Notifier

func sampleIssue(kind: IssueKind, id: String = "I-1", team: String? = nil, state: IssueState = .open, version: Int = 1) -> IssueRecord {
    IssueRecord(id: id, cameraID: "CAM-1", cameraName: "정문", address: "10.0.0.1", site: "본관", kind: kind, state: state,
                responsible: kind.responsible, responsibleTeam: team, reason: "no_reply",
                openedAt: Date(timeIntervalSince1970: 1_800_000_000), updatedAt: Date(timeIntervalSince1970: 1_800_000_000), version: version)
}

func temporaryDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ntf-\(UUID().uuidString)").path
}

/// Line team KT-1 (default) and KT-2, vendor HANWHA, operators OPS; KT-1 escalates to NOC-LEAD.
let sampleBook = ContactBook(teams: [
    Team(id: "KT-1", name: "KT 회선팀", role: .lineTeam, channels: [.init(id: "kt1-hook", type: .webhook, url: "http://line1")], escalateTo: "NOC-LEAD"),
    Team(id: "KT-2", name: "KT 2팀", role: .lineTeam, language: .en, channels: [.init(id: "kt2-hook", type: .webhook, url: "http://line2")]),
    Team(id: "HANWHA", name: "한화 업체", role: .vendor, channels: [.init(id: "vendor-hook", type: .webhook, url: "http://vendor")]),
    Team(id: "OPS", name: "관제실", role: .operators, channels: [.init(id: "ops-hook", type: .webhook, url: "http://ops", kinds: [.line, .camera])]),
    Team(id: "NOC-LEAD", name: "NOC 팀장", role: .operators, channels: [.init(id: "lead-hook", type: .webhook, url: "http://lead", kinds: [.camera])]),
], defaults: ["line-team": "KT-1", "operators": "OPS"])

@Suite("notification routing and outbox")
struct NotifierTests {
    let routing = NotificationRouting(book: sampleBook)

    @Test("a redelivered issue event queues nothing twice, is acknowledged each time; recovery goes to all told", arguments: StoreEngine.allCases)
    func dedupAndAck(engine: StoreEngine) throws {
        let location = try engine.freshLocation()
        defer { location.removeTestFiles() }
        let store = try DeliveryStore(testing: location)
        let policy = NotificationPolicy(dashboard: "http://x")
        #expect(try store.accept(eventID: "E1", type: .issueOpened, issue: sampleIssue(kind: .camera), routing: routing, policy: policy, topics: Topics()) == 3)
        #expect(try store.accept(eventID: "E1", type: .issueOpened, issue: sampleIssue(kind: .camera), routing: routing, policy: policy, topics: Topics()) == 0)
        // CAMERA → LINE: the newly responsible line team is told, and the operators of the change.
        #expect(try store.accept(eventID: "E2", type: .issueUpdated, issue: sampleIssue(kind: .line, version: 2), routing: routing, policy: policy, topics: Topics()) == 2)
        // Only the lifecycle moved: nobody new to tell.
        #expect(try store.accept(eventID: "E3", type: .issueUpdated, issue: sampleIssue(kind: .line, state: .acknowledged, version: 3), routing: routing, policy: policy, topics: Topics()) == 0)
        #expect(try store.accept(eventID: "E4", type: .issueResolved, issue: sampleIssue(kind: .line, state: .resolved, version: 4), routing: routing, policy: policy, topics: Topics()) == 4)
        // A late, older "opened" after the recovery tells nobody.
        #expect(try store.accept(eventID: "E0", type: .issueOpened, issue: sampleIssue(kind: .line, version: 1), routing: routing, policy: policy, topics: Topics()) == 0)
        let acks = try store.database.read { db in try db.rows("SELECT payload FROM outbox WHERE topic = 'notifications/acks' ORDER BY seq").compactMap { $0.data("payload") } }
        let ids = try acks.map { try ContractCodec.decode(Array($0), as: NotificationAck.self, expecting: [.notificationAck]).data.eventID }
        #expect(ids == ["E1", "E1", "E2", "E3", "E4", "E0"], "every event is acknowledged once its rows are committed, duplicates too")
        #expect(try store.history(issueID: "I-1").count == 9)
    }

    @Test("failed attempts back off and give up after the limit; 4xx is permanent", arguments: StoreEngine.allCases)
    func retries(engine: StoreEngine) throws {
        let location = try engine.freshLocation()
        defer { location.removeTestFiles() }
        let store = try DeliveryStore(testing: location)
        let book = ContactBook(teams: [Team(id: "T", name: "t", role: .lineTeam, channels: [.init(id: "hook", type: .webhook, url: "http://line")])])
        try store.accept(eventID: "E1", type: .issueOpened, issue: sampleIssue(kind: .line), routing: NotificationRouting(book: book),
                         policy: NotificationPolicy(dashboard: ""), topics: Topics())
        var pending = try #require(try store.due().first)
        #expect(try store.record(pending, outcome: .failed(status: 500, error: "HTTP 500", permanent: false), maxAttempts: 2, topics: Topics()) == nil)
        #expect(try store.due().isEmpty, "retry is scheduled later, not now")
        pending.attempts = 1
        let record = try store.record(pending, outcome: .failed(status: 500, error: "HTTP 500", permanent: false), maxAttempts: 2, topics: Topics())
        #expect(record?.delivered == false)
        #expect(record?.attempts == 2)
        #expect(try store.history(cameraID: "CAM-1").first?.state == "failed")
        #expect(try store.counts()["failed"] == 1)
    }

    @Test("back-off doubles with jitter and is capped")
    func backoff() {
        for attempt in 1...20 {
            let delay = DeliveryStore.backoff(attempt: attempt)
            let base = min(300, pow(2, Double(attempt)))
            #expect(delay >= base * 0.8 && delay <= base * 1.2)
        }
    }

    @Test("messages are in Korean and English with camera, site, diagnosis, since when and the dashboard link")
    func messages() {
        let korean = NotificationMessage.render(.opened, sampleIssue(kind: .line), language: .ko, dashboard: "http://dash:8080/")
        #expect(korean.summary.contains("회선 장애"))
        #expect(korean.plainText.contains("현장: 본관"))
        #expect(korean.plainText.contains("발생 시각: 2027-01-15 17:00:00 KST"))
        #expect(korean.link == "http://dash:8080/#camera=CAM-1&incident=I-1", "the link opens the camera with its incident")
        #expect(NotificationMessage.render(.resolved, sampleIssue(kind: .camera), language: .ko, dashboard: "").summary.contains("정상화"))
        let english = NotificationMessage.render(.opened, sampleIssue(kind: .camera), language: .en, dashboard: "", timeZone: .gmt)
        #expect(english.summary.contains("camera vendor"))
        #expect(english.plainText.contains("Since: 2027-01-15 08:00:00 GMT"))
    }
}

@Suite("announcement: grouped and silenced incidents through the store")
struct AnnouncementTests {
    let routing = NotificationRouting(book: sampleBook)
    let policy = NotificationPolicy(dashboard: "http://x")

    @Test("a held incident is announced when maintenance ends; a grouped child's recovery goes only to those told", arguments: StoreEngine.allCases)
    func releaseAndGroupedRecovery(engine: StoreEngine) throws {
        let location = try engine.freshLocation()
        defer { location.removeTestFiles() }
        let store = try DeliveryStore(testing: location)
        var held = sampleIssue(kind: .line, id: "H-1")
        held.silenced = true
        #expect(try store.accept(eventID: "H1", type: .issueOpened, issue: held, routing: routing, policy: policy, topics: Topics()) == 0)
        held.silenced = false
        held.version = 2
        #expect(try store.accept(eventID: "H2", type: .issueUpdated, issue: held, routing: routing, policy: policy, topics: Topics()) == 2, "maintenance over: announced now")

        var child = sampleIssue(kind: .line, id: "C-1")
        #expect(try store.accept(eventID: "C1", type: .issueOpened, issue: child, routing: routing, policy: policy, topics: Topics()) == 2)
        child.parentID = "SITE-1"
        child.version = 2
        #expect(try store.accept(eventID: "C2", type: .issueUpdated, issue: child, routing: routing, policy: policy, topics: Topics()) == 0)
        child.state = .resolved
        child.version = 3
        #expect(try store.accept(eventID: "C3", type: .issueResolved, issue: child, routing: routing, policy: policy, topics: Topics()) == 2, "both channels told, no one else")
    }

    @Test("held notices wait for their hold, are withdrawn when the camera joins a site outage, and the site notice goes out with the latest count", arguments: StoreEngine.allCases)
    func heldNotices(engine: StoreEngine) async throws {
        let location = try engine.freshLocation()
        defer { location.removeTestFiles() }
        let store = try DeliveryStore(testing: location)
        let now = Date()
        let hold = now.addingTimeInterval(60)
        var camera = sampleIssue(kind: .line, id: "C-1")
        camera.holdUntil = hold
        #expect(try await store.accept([.init(eventID: "C1", type: .issueOpened, issue: camera)], routing: routing, policy: policy, topics: Topics(), now: now) == 2)
        #expect(try store.due(now: now).isEmpty, "held until the hold ends")
        #expect(try store.due(now: hold).count == 2)

        var site = sampleIssue(kind: .line, id: "S-1")
        site.cameraID = "SITE:본관"; site.cameraName = "본관"; site.groupedCount = 5; site.members = ["정문"]; site.holdUntil = hold
        camera.parentID = "S-1"
        camera.version = 2
        #expect(try await store.accept([.init(eventID: "S1", type: .issueOpened, issue: site), .init(eventID: "C2", type: .issueUpdated, issue: camera)],
                                       routing: routing, policy: policy, topics: Topics(), now: now) == 2)
        #expect(try store.history(issueID: "C-1").map(\.state) == ["withdrawn", "withdrawn"], "the camera is announced through its site, not alone")
        site.groupedCount = 40
        site.version = 2
        #expect(try await store.accept([.init(eventID: "S2", type: .issueUpdated, issue: site)], routing: routing, policy: policy, topics: Topics(), now: now) == 0)
        let due = try store.due(now: hold)
        #expect(due.map(\.issueID) == ["S-1", "S-1"])
        let body = try #require(try store.body(of: due[0].id))
        #expect(String(decoding: body, as: UTF8.self).contains("40"), "re-rendered with the count at the time it goes out")

        camera.state = .resolved
        camera.version = 3
        #expect(try await store.accept([.init(eventID: "C3", type: .issueResolved, issue: camera)], routing: routing, policy: policy, topics: Topics(), now: now) == 0,
                "nobody was told about the camera, so nobody hears it is over")
    }
}

@Suite("dashboard links in notices")
struct DashboardLinkTests {
    @Test("a site incident links to the incident, a camera incident to the camera with the incident marked")
    func exactTarget() {
        var site = sampleIssue(kind: .line, id: "SITE-INC-1")
        site.cameraID = "SITE:본관"
        #expect(NotificationMessage.render(.opened, site, language: .en, dashboard: "http://d:1").link == "http://d:1/#incident=SITE-INC-1")
        #expect(NotificationMessage.render(.opened, sampleIssue(kind: .camera, id: "I 2"), language: .en, dashboard: "http://d:1").link == "http://d:1/#camera=CAM-1&incident=I%202")
    }

    @Test("a PICTURE notice links its evidence, the camera's newest kept frame; CAMERA, LINE and a recovery do not")
    func snapshotEvidence() {
        let picture = sampleIssue(kind: .picture)
        let english = NotificationMessage.render(.opened, picture, language: .en, dashboard: "http://d:1/")
        #expect(english.facts.contains { $0.label == "Snapshot" && $0.value == "http://d:1/api/cameras/CAM-1/snapshot" }, "\(english.facts)")
        #expect(english.plainText.contains("Snapshot: http://d:1/api/cameras/CAM-1/snapshot"))
        let korean = NotificationMessage.render(.opened, picture, language: .ko, dashboard: "http://d:1")
        #expect(korean.facts.contains { $0.label == "화면 스냅샷" && $0.value == "http://d:1/api/cameras/CAM-1/snapshot" })
        let recipient = Recipient(team: Team(id: "VENDOR", name: "업체", role: .vendor, channels: []), channel: .init(id: "hook", type: .webhook, url: "http://hook"))
        let body = try? ContractCodec.decodeValue(WebhookChannel.Body.self, from: WebhookChannel.payload(
            event: .opened, issue: picture, change: nil, message: english, recipient: recipient, dashboard: "http://d:1", deliveryID: "D-1"))
        #expect(body?.snapshot == "http://d:1/api/cameras/CAM-1/snapshot", "the webhook carries it as a field too")
        for (event, kind) in [(NotificationEvent.opened, IssueKind.camera), (.opened, .line), (.resolved, .picture)] {
            let facts = NotificationMessage.render(event, sampleIssue(kind: kind), language: .en, dashboard: "http://d:1").facts
            #expect(!facts.contains { $0.label == "Snapshot" }, "\(event) \(kind)")
        }
    }
}
