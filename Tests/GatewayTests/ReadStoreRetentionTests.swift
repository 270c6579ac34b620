import CCTVContract
import Foundation
import GRDB
@testable import Gateway
import Logging
import ServiceRuntime
import Testing

@Suite("gateway: read-model retention")
struct ReadStoreRetentionTests {
    @Test("the read store forgets resolved incidents and deliveries past their retention, and day-old REST commands; open incidents stay")
    func retention() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gw-ret-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try ReadStore(dataDir: dir)
        let now = Date()
        func ago(_ days: Double) -> Date { now.addingTimeInterval(-days * 86_400) }
        func incident(_ id: String, _ state: IssueState, opened: Double, resolved: Double?) -> IssueRecord {
            IssueRecord(id: id, cameraID: "CAM-1", kind: .line, state: state, responsible: .lineTeam, reason: "no_reply",
                        openedAt: ago(opened), updatedAt: ago(resolved ?? 0), resolvedAt: resolved.map(ago), version: 1)
        }
        _ = try await store.apply([.issue(event: "opened", incident("old", .resolved, opened: 500, resolved: 450))])
        _ = try await store.apply([.issue(event: "opened", incident("open", .open, opened: 500, resolved: nil))])
        _ = try await store.apply([.issue(event: "opened", incident("fresh", .resolved, opened: 3, resolved: 2))])
        for (id, days) in [("n-old", 100.0), ("n-new", 5.0)] {
            _ = try await store.apply([.notification(NotificationRecord(id: id, issueID: "old", cameraID: "CAM-1", event: "opened", channel: "webhook",
                                                                        target: "x", delivered: true, attempts: 1, at: ago(days)))])
        }
        _ = try store.commands.begin(id: "cmd-old", command: RegistryCommand(.delete(id: "CAM-1", expectedVersion: nil)), success: 204, now: ago(2))
        _ = try store.commands.begin(id: "cmd-new", command: RegistryCommand(.delete(id: "CAM-2", expectedVersion: nil)), success: 204, now: now)

        var logger = Logger(label: "t")
        logger.logLevel = .critical
        let sweeper = RetentionSweeper(database: store.database, logger: logger, rules: ReadStore.retentionRules(incidentDays: 400, deliveryDays: 90))
        try await sweeper.sweep(now: now)
        #expect(try store.issues(openOnly: false, limit: 10).map(\.id).sorted() == ["fresh", "open"])
        #expect(try store.notifications(cameraID: "CAM-1", limit: 10).map(\.id) == ["n-new"])
        #expect(try store.commands.entry("cmd-old") == nil)
        #expect(try store.commands.entry("cmd-new") != nil)
    }
}
