import CCTVContract
import Foundation
import GRDB
import Logging
import ServiceRuntime
import Testing
import TestSupport
@testable import Notifier

@Suite("notifier: delivery history retention")
struct DeliveryRetentionTests {
    @Test("finished deliveries past their retention are deleted, pending ones never; a resolved incident's record and recipients go after its retention", arguments: StoreEngine.allCases)
    func retention(engine: StoreEngine) async throws {
        let location = try engine.freshLocation()
        defer { location.removeTestFiles() }
        let store = try DeliveryStore(testing: location)
        let routing = NotificationRouting(book: sampleBook)
        let policy = NotificationPolicy(dashboard: "http://x")
        let now = Date()
        func ago(_ days: Double) -> Date { now.addingTimeInterval(-days * 86_400) }
        func issue(_ id: String, _ state: IssueState, days: Double, version: Int) -> IssueRecord {
            IssueRecord(id: id, cameraID: "CAM-\(id)", kind: .line, state: state, responsible: .lineTeam, reason: "no_reply",
                        openedAt: ago(days + 1), updatedAt: ago(days), resolvedAt: state == .resolved ? ago(days) : nil, version: version)
        }
        // An incident of 500 days ago, opened and resolved; its deliveries finished then.
        try store.accept(eventID: "O-OLD", type: .issueOpened, issue: issue("OLD", .open, days: 500, version: 1), routing: routing, policy: policy, topics: Topics(), now: ago(501))
        try store.accept(eventID: "R-OLD", type: .issueResolved, issue: issue("OLD", .resolved, days: 500, version: 2), routing: routing, policy: policy, topics: Topics(), now: ago(500))
        // One still open from 500 days ago, and a recent one.
        try store.accept(eventID: "O-OPEN", type: .issueOpened, issue: issue("OPEN", .open, days: 500, version: 1), routing: routing, policy: policy, topics: Topics(), now: ago(500))
        try store.accept(eventID: "O-NEW", type: .issueOpened, issue: issue("NEW", .open, days: 1, version: 1), routing: routing, policy: policy, topics: Topics(), now: ago(1))
        try await store.database.write { db in
            // The old incident's and the open one's deliveries finished long ago; the recent ones are still pending.
            try db.execute("UPDATE delivery SET state = 'delivered', finishedAt = createdAt WHERE issueID IN ('OLD', 'OPEN')")
        }
        var logger = Logger(label: "t")
        logger.logLevel = .critical
        let sweeper = RetentionSweeper(database: store.database, logger: logger, rules: DeliveryRetention.rules(deliveryDays: 90, incidentDays: 400))
        try await sweeper.sweep(now: now)
        let left = try await store.database.read { db in
            (deliveries: try db.rows("SELECT DISTINCT issueID FROM delivery ORDER BY issueID").compactMap { $0.string("issueID") },
             watched: try db.rows("SELECT issueID FROM watch ORDER BY issueID").compactMap { $0.string("issueID") },
             told: try db.rows("SELECT DISTINCT issueID FROM told ORDER BY issueID").compactMap { $0.string("issueID") },
             pending: try db.row("SELECT COUNT(*) AS n FROM delivery WHERE state = 'pending'")?.int("n") ?? 0)
        }
        #expect(left.deliveries == ["NEW"], "finished deliveries older than 90 days are gone; pending ones stay")
        #expect(left.pending > 0)
        #expect(left.watched == ["NEW", "OPEN"], "an open incident is never forgotten, however old")
        #expect(left.told == ["NEW", "OPEN"], "who was told about an open incident is kept, so its recovery reaches them")
    }
}
