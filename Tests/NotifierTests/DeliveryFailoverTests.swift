import CCTVContract
import Foundation
import ServiceRuntime
import Testing
import TestSupport
@testable import Notifier

/// What the store does for a failover: a delivery handed to its channel is marked `sending` first,
/// so the next leader (another instance on the same database, or this one restarted) sends it
/// again with the same delivery id; a replayed issue event queues nothing twice, whichever
/// instance takes it.
@Suite("notifier failover: in-flight deliveries and replayed events")
struct DeliveryFailoverTests {
    let book = ContactBook(teams: [Team(id: "T", name: "t", role: .lineTeam, channels: [.init(id: "hook", type: .webhook, url: "http://line"),
                                                                                      .init(id: "hook-2", type: .webhook, url: "http://line2")])])
    var routing: NotificationRouting { NotificationRouting(book: book) }

    @Test("a delivery marked sending when its leader stopped is due again for the next one, with the same id; nothing else is", arguments: StoreEngine.allCases)
    func inFlightResumed(engine: StoreEngine) async throws {
        let location = try engine.freshLocation()
        defer { location.removeTestFiles() }
        let old = try DeliveryStore(testing: location)
        #expect(try old.accept(eventID: "E1", type: .issueOpened, issue: sampleIssue(kind: .line), routing: routing,
                               policy: NotificationPolicy(dashboard: ""), topics: Topics()) == 2)
        let due = try old.due()
        #expect(due.count == 2)
        let sending = try #require(due.first { $0.target == "hook" })
        #expect(try await old.markSending([sending.id]) == [sending.id])
        #expect(try await old.markSending([sending.id]).isEmpty, "marked once: a second dispatcher round cannot take it again")
        #expect(try old.due().map(\.id) == due.filter { $0.target == "hook-2" }.map(\.id), "a delivery being sent is not due")
        #expect(try old.counts()["sending"] == 1)

        // The leader dies here, its attempt's outcome unknown. The next one opens the same store.
        let next = try DeliveryStore(testing: location)
        #expect(try next.resumeInFlight() == 1)
        #expect(Set(try next.due().map(\.id)) == Set(due.map(\.id)), "the same delivery ids: the same Idempotency-Key goes out again")
        let again = try #require(try next.due().first { $0.target == "hook" })
        #expect(try next.record(again, outcome: .delivered(status: 200), maxAttempts: 3, topics: Topics())?.delivered == true)
        #expect(try next.resumeInFlight() == 0)
        #expect(try next.history(issueID: "I-1").first { $0.target == "hook" }?.state == "delivered")
    }

    @Test("an issue event replayed to another instance on the same database queues nothing new and is acknowledged again", arguments: StoreEngine.allCases)
    func replayAcrossInstances(engine: StoreEngine) async throws {
        let location = try engine.freshLocation()
        defer { location.removeTestFiles() }
        let first = try DeliveryStore(testing: location)
        let second = try DeliveryStore(testing: location)
        let event = DeliveryStore.IssueEvent(eventID: "E1", type: .issueOpened, issue: sampleIssue(kind: .line))
        #expect(try await first.accept([event], routing: routing, policy: NotificationPolicy(dashboard: ""), topics: Topics()) == 2)
        #expect(try await second.accept([event], routing: routing, policy: NotificationPolicy(dashboard: ""), topics: Topics()) == 0)
        #expect(try second.history(issueID: "I-1").count == 2, "one delivery per event and channel")
        let acks = try await second.database.read { db in
            try db.row("SELECT COUNT(*) AS n FROM outbox WHERE topic = ?", Topics().notificationAcks)?.int("n")
        }
        #expect(acks == 2, "each instance acknowledges what it took")
    }
}
