import CCTVContract
import Foundation
import Testing
@testable import Notifier

private func issue(kind: IssueKind, id: String = "I-1") -> IssueRecord {
    IssueRecord(id: id, cameraID: "CAM-1", cameraName: "정문", address: "10.0.0.1", site: "본관", kind: kind, state: .open,
                responsible: kind.responsible, reason: "no_reply", openedAt: Date(), updatedAt: Date(), version: 1)
}

@Suite("notification routing and outbox")
struct NotifierTests {
    let routing = NotificationRouting(lineTeam: "http://line", vendor: "http://vendor", operators: "http://ops")

    @Test("a line problem goes to the line team and operators, a camera problem to the vendor")
    func routingByKind() {
        #expect(routing.targets(for: "opened", issue: issue(kind: .line), alreadyTold: []) == ["http://line", "http://ops"])
        #expect(routing.targets(for: "opened", issue: issue(kind: .camera), alreadyTold: []) == ["http://vendor", "http://ops"])
    }

    @Test("a recovery reaches everyone who was told, even after re-routing")
    func recoveryToEveryoneTold() {
        let targets = routing.targets(for: "resolved", issue: issue(kind: .camera), alreadyTold: ["http://line", "http://vendor"])
        #expect(Set(targets) == ["http://line", "http://vendor", "http://ops"])
    }

    @Test("a redelivered issue event queues nothing twice; recovery goes to all told")
    func dedup() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ntf-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try DeliveryStore(dataDir: dir)
        #expect(try store.enqueue(eventID: "E1", event: "opened", issue: issue(kind: .camera), routing: routing, dashboard: "http://x") == 2)
        #expect(try store.enqueue(eventID: "E1", event: "opened", issue: issue(kind: .camera), routing: routing, dashboard: "http://x") == 0)
        #expect(try store.enqueue(eventID: "E2", event: "updated", issue: issue(kind: .line), routing: routing, dashboard: "http://x") == 2)
        #expect(try store.enqueue(eventID: "E3", event: "resolved", issue: issue(kind: .line), routing: routing, dashboard: "http://x") == 3)
    }

    @Test("failed attempts back off and give up after the limit; 4xx is permanent")
    func retries() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ntf-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try DeliveryStore(dataDir: dir)
        try store.enqueue(eventID: "E1", event: "opened", issue: issue(kind: .line), routing: NotificationRouting(lineTeam: "http://line"), dashboard: "")
        var pending = try #require(try store.due().first)
        #expect(try store.record(pending, outcome: .failed(status: 500, error: "HTTP 500", permanent: false), maxAttempts: 2, topics: Topics()) == nil)
        #expect(try store.due().isEmpty, "retry is scheduled later, not now")
        pending.attempts = 1
        let record = try store.record(pending, outcome: .failed(status: 500, error: "HTTP 500", permanent: false), maxAttempts: 2, topics: Topics())
        #expect(record?.delivered == false)
        #expect(record?.attempts == 2)
    }

    @Test("messages are in Korean and English")
    func messages() {
        #expect(NotificationMessage.korean("opened", issue(kind: .line)).contains("회선 장애"))
        #expect(NotificationMessage.korean("resolved", issue(kind: .camera)).contains("정상화"))
        #expect(NotificationMessage.english("opened", issue(kind: .camera)).contains("camera vendor"))
    }
}

@Suite("notification policy")
struct NotificationPolicyTests {
    @Test("a grouped camera incident is not announced on its own, but its recovery reaches whoever was told")
    func grouped() {
        var child = issue(kind: .line)
        child.parentID = "SITE-1"
        #expect(!NotificationPolicy.shouldNotify(event: "opened", issue: child, alreadyTold: false))
        #expect(!NotificationPolicy.shouldNotify(event: "resolved", issue: child, alreadyTold: false))
        #expect(NotificationPolicy.shouldNotify(event: "resolved", issue: child, alreadyTold: true))
    }

    @Test("a silenced incident is held, a recovery never is for those told")
    func silenced() {
        var held = issue(kind: .camera)
        held.silenced = true
        #expect(!NotificationPolicy.shouldNotify(event: "opened", issue: held, alreadyTold: false))
        #expect(NotificationPolicy.shouldNotify(event: "resolved", issue: held, alreadyTold: true))
        held.silenced = false
        #expect(NotificationPolicy.shouldNotify(event: "updated", issue: held, alreadyTold: false), "maintenance over: announced then")
    }

    @Test("a grouped child's recovery goes only to those told, not to operators")
    func groupedRecoveryTargets() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ntf-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try DeliveryStore(dataDir: dir)
        let routing = NotificationRouting(lineTeam: "http://line", operators: "http://ops")
        var child = issue(kind: .line)
        #expect(try store.enqueue(eventID: "E1", event: "opened", issue: child, routing: routing, dashboard: "") == 2)
        child.parentID = "SITE-1"
        #expect(try store.enqueue(eventID: "E2", event: "updated", issue: child, routing: routing, dashboard: "") == 0)
        #expect(try store.enqueue(eventID: "E3", event: "resolved", issue: child, routing: routing, dashboard: "") == 2, "both were told")
    }
}
