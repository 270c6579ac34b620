import CCTVContract
import Foundation
import Testing
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

    func channelIDs(_ event: NotificationEvent, _ issue: IssueRecord, told: Set<String> = []) -> [String] {
        routing.recipients(for: event, issue: issue, alreadyTold: told).recipients.map(\.channel.id)
    }

    @Test("a line problem goes to the camera's line team and operators, a camera problem to the vendor")
    func routingByKindAndTeam() {
        #expect(channelIDs(.opened, sampleIssue(kind: .line, team: "KT-2")) == ["kt2-hook", "ops-hook"])
        #expect(channelIDs(.opened, sampleIssue(kind: .camera, team: "HANWHA")) == ["vendor-hook", "ops-hook", "lead-hook"])
    }

    @Test("an unknown or missing team falls back to the role's default team; kind filters apply")
    func defaults() {
        #expect(channelIDs(.opened, sampleIssue(kind: .line, team: "NOPE")) == ["kt1-hook", "ops-hook"])
        #expect(channelIDs(.opened, sampleIssue(kind: .lineDegraded)) == ["kt1-hook"], "operators filtered LINE_DEGRADED out")
    }

    @Test("a recovery reaches every channel that was told, even after re-routing; removed ones are reported")
    func recoveryToEveryoneTold() {
        let result = routing.recipients(for: .resolved, issue: sampleIssue(kind: .camera), alreadyTold: ["kt2-hook", "vendor-hook", "gone-hook"])
        #expect(Set(result.recipients.map(\.channel.id)) == ["kt2-hook", "vendor-hook", "ops-hook", "lead-hook"])
        #expect(result.missing == ["gone-hook"])
    }

    @Test("escalation goes to the responsible team's escalation contact; reminders to the team")
    func escalationRouting() {
        #expect(channelIDs(.escalated, sampleIssue(kind: .line, team: "KT-1")) == ["lead-hook"])
        #expect(channelIDs(.escalated, sampleIssue(kind: .line, team: "KT-2")).isEmpty)
        #expect(channelIDs(.reminder, sampleIssue(kind: .line, team: "KT-2")) == ["kt2-hook"])
    }

    @Test("a redelivered issue event queues nothing twice, is acknowledged each time; recovery goes to all told")
    func dedupAndAck() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try DeliveryStore(dataDir: dir)
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
        let acks = try store.database.read { db in try Data.fetchAll(db, sql: "SELECT payload FROM outbox WHERE topic = 'notifications/acks'") }
        let ids = try acks.map { try ContractCodec.decode(Array($0), as: NotificationAck.self, expecting: [.notificationAck]).data.eventID }
        #expect(ids == ["E1", "E1", "E2", "E3", "E4", "E0"], "every event is acknowledged once its rows are committed, duplicates too")
        #expect(try store.history(issueID: "I-1").count == 9)
    }

    @Test("failed attempts back off and give up after the limit; 4xx is permanent")
    func retries() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try DeliveryStore(dataDir: dir)
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

@Suite("announcement rule: grouped and silenced incidents")
struct AnnouncementRuleTests {
    let routing = NotificationRouting(book: sampleBook)
    let policy = NotificationPolicy(dashboard: "http://x")

    @Test("a grouped camera incident is not announced on its own, but its recovery reaches whoever was told")
    func grouped() {
        var child = sampleIssue(kind: .line)
        child.parentID = "SITE-1"
        #expect(!AnnouncementRule.shouldNotify(event: "opened", issue: child, alreadyTold: false))
        #expect(!AnnouncementRule.shouldNotify(event: "reminder", issue: child, alreadyTold: true), "no reminders for a grouped child")
        #expect(!AnnouncementRule.shouldNotify(event: "resolved", issue: child, alreadyTold: false))
        #expect(AnnouncementRule.shouldNotify(event: "resolved", issue: child, alreadyTold: true))
    }

    @Test("a silenced incident is held; a recovery never is for those told")
    func silenced() {
        var held = sampleIssue(kind: .camera)
        held.silenced = true
        #expect(!AnnouncementRule.shouldNotify(event: "opened", issue: held, alreadyTold: false))
        #expect(AnnouncementRule.shouldNotify(event: "resolved", issue: held, alreadyTold: true))
    }

    @Test("a held incident is announced when maintenance ends; a grouped child's recovery goes only to those told")
    func releaseAndGroupedRecovery() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try DeliveryStore(dataDir: dir)
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
}
