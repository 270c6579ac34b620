import CCTVContract
import Foundation
import Logging
import ServiceRuntime
import Testing
import TestSupport
import AsyncHTTPClient
@testable import Notifier

/// The delivery loop against real HTTP endpoints on loopback: a failing endpoint is retried and
/// broken off by its circuit breaker while the others carry on; everything arrives once it recovers.
@Suite("delivery: retries, circuit breakers, isolation", .runsAlone)
struct DeliveryReliabilityTests {
    @Test("an endpoint answering 500 for a while gets everything after it recovers; the other endpoint is unaffected meanwhile", arguments: StoreEngine.allCases)
    func failingEndpointRecovers(engine: StoreEngine) async throws {
        let bad = try await HTTPSink()
        let good = try await HTTPSink()
        bad.respond(with: 500)
        let location = try engine.freshLocation()
        defer { location.removeTestFiles() }
        let store = try DeliveryStore(testing: location)
        let book = ContactBook(teams: [
            Team(id: "LINE", name: "line", role: .lineTeam, channels: [.init(id: "bad", type: .webhook, url: bad.url("/bad"))]),
            Team(id: "OPS", name: "ops", role: .operators, channels: [.init(id: "good", type: .webhook, url: good.url("/good"))]),
        ])
        let routing = NotificationRouting(book: book)
        let incidents = 20
        for index in 0..<incidents {
            try store.accept(eventID: "E\(index)", type: .issueOpened, issue: sampleIssue(kind: .line, id: "I-\(index)"), routing: routing,
                             policy: NotificationPolicy(dashboard: "http://dash"), topics: Topics())
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let breakers = EndpointBreakers(threshold: 3, coolDown: 1)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let dispatcher = DeliveryDispatcher(store: store, contacts: ContactsHolder(book), channels: NotifierService.channels(http: http, timeoutSeconds: 5),
                                            breakers: breakers, maxAttempts: 100, topics: Topics(), logger: logger)
        let running = Task { await dispatcher.run() }

        // While "bad" fails, "good" receives everything.
        #expect(await eventually(timeout: .seconds(30)) { good.all.count >= incidents })
        let badHistory = try store.history(limit: 1000).filter { $0.target == "bad" }
        #expect(badHistory.allSatisfy { $0.state == "pending" })
        #expect(badHistory.contains { $0.attempts == 0 }, "an open breaker holds deliveries back without using their attempts")
        // Read after the history: a request the sink has answered may not be recorded yet, never the reverse.
        #expect(bad.all.count >= badHistory.map(\.attempts).reduce(0, +), "every attempt counted was a real request")
        #expect(await eventually(timeout: .seconds(10)) { if case .closed = breakers.state("bad") { false } else { true } }, "the breaker opened")

        // It recovers: everything arrives, once each.
        bad.respond(with: 200)
        #expect(await eventually(timeout: .seconds(60)) { ((try? store.counts()) ?? [:])["delivered"] == 2 * incidents })
        let delivered = bad.all.filter { $0.headers["x-cctvout-delivery"] != nil }
        let ids = delivered.compactMap { $0.json?["deliveryID"] as? String }
        let lastAnswers = Set(ids)
        #expect(lastAnswers.count == incidents)
        #expect(Set(good.all.compactMap { $0.json?["deliveryID"] as? String }).count == incidents)
        #expect(good.all.count == incidents, "the healthy endpoint got nothing twice")
        #expect(try store.counts()["failed"] == nil)
        running.cancel()
        await running.value
        try await http.shutdown()
    }

    @Test("the breaker opens after K failures, lets one probe through after the cool-down, and closes on success")
    func breakerStates() {
        var breaker = CircuitBreaker(threshold: 2, coolDown: 10)
        let t0 = Date(timeIntervalSince1970: 1_000)
        let failure = DeliveryOutcome.failed(status: 500, error: "HTTP 500", permanent: false)
        var admission = breaker.admit(now: t0)
        #expect(admission == .allow)
        var opened = breaker.record(failure, now: t0)
        #expect(!opened)
        opened = breaker.record(failure, now: t0)
        #expect(opened, "the second consecutive failure opens it")
        admission = breaker.admit(now: t0.addingTimeInterval(5))
        #expect(admission == .wait(until: t0.addingTimeInterval(10)))
        admission = breaker.admit(now: t0.addingTimeInterval(10))
        #expect(admission == .probe)
        admission = breaker.admit(now: t0.addingTimeInterval(10))
        if case .wait = admission {} else { Issue.record("a second probe went through") }
        opened = breaker.record(failure, now: t0.addingTimeInterval(11))
        #expect(opened, "a failed probe opens it again")
        admission = breaker.admit(now: t0.addingTimeInterval(21))
        #expect(admission == .probe)
        breaker.record(.delivered(status: 200), now: t0.addingTimeInterval(21))
        #expect(breaker.state == .closed(failures: 0))
        opened = breaker.record(.failed(status: 404, error: "HTTP 404", permanent: true), now: t0)
        #expect(!opened, "a 404 proves the endpoint answers")
        #expect(breaker.state == .closed(failures: 0))
    }
}

@Suite("delivery waits for the event backlog", .runsAlone)
struct BacklogTests {
    @Test("a notice is not sent while issue events received before it was due are still being applied", arguments: StoreEngine.allCases)
    func waitsForBacklog(engine: StoreEngine) async throws {
        let sink = try await HTTPSink()
        let location = try engine.freshLocation()
        defer { location.removeTestFiles() }
        let store = try DeliveryStore(testing: location)
        let book = ContactBook(teams: [Team(id: "LINE", name: "line", role: .lineTeam, channels: [.init(id: "hook", type: .webhook, url: sink.url("/hook"))])])
        let progress = InboxProgress()
        let received = progress.begin() // a batch taken before the notice was due is still being applied
        try await Task.sleep(for: .milliseconds(5)) // the notice is due strictly after that batch was taken
        try store.accept(eventID: "E1", type: .issueOpened, issue: sampleIssue(kind: .line), routing: NotificationRouting(book: book),
                         policy: NotificationPolicy(dashboard: ""), topics: Topics())
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let dispatcher = DeliveryDispatcher(store: store, contacts: ContactsHolder(book), channels: NotifierService.channels(http: http, timeoutSeconds: 5),
                                            breakers: EndpointBreakers(threshold: 3, coolDown: 1), maxAttempts: 3, topics: Topics(), logger: logger,
                                            caughtUp: { progress.caughtUp(idle: true) })
        let running = Task { await dispatcher.run() }
        #expect(await eventually(timeout: .seconds(2)) { !sink.all.isEmpty } == false, "sent before the backlog was applied")
        progress.applied(upTo: received.addingTimeInterval(5))
        dispatcher.kick()
        #expect(await eventually(timeout: .seconds(30)) { sink.all.count == 1 }, "sent once the backlog was applied")
        running.cancel()
        await running.value
        try await http.shutdown()
    }
}

@Suite("escalation and reminders", .runsAlone)
struct EscalationTests {
    @Test("an unacknowledged incident escalates once, reminds on schedule, survives a restart, and stops when acknowledged", arguments: StoreEngine.allCases)
    func timers(engine: StoreEngine) async throws {
        let location = try engine.freshLocation()
        defer { location.removeTestFiles() }
        let routing = NotificationRouting(book: sampleBook)
        let policy = NotificationPolicy(dashboard: "http://dash", escalateAfter: 60, remindEvery: 300)
        let opened = Date(timeIntervalSince1970: 1_800_000_000)
        var store = try DeliveryStore(testing: location)
        let issue = sampleIssue(kind: .line, id: "I-9", team: "KT-1")
        #expect(try store.accept(eventID: "E1", type: .issueOpened, issue: issue, routing: routing, policy: policy, topics: Topics(), now: opened) == 2)
        #expect(try await store.fireTimers(routing: routing, policy: policy, topics: Topics(), now: opened.addingTimeInterval(30)) == 0)
        #expect(try store.nextTimer() == opened.addingTimeInterval(60))

        store = try DeliveryStore(testing: location) // a restart keeps the timers
        #expect(try await store.fireTimers(routing: routing, policy: policy, topics: Topics(), now: opened.addingTimeInterval(61)) == 1)
        #expect(try store.history(issueID: "I-9").first?.target == "lead-hook", "KT-1 escalates to NOC-LEAD")
        #expect(try await store.fireTimers(routing: routing, policy: policy, topics: Topics(), now: opened.addingTimeInterval(62)) == 0, "escalates once")
        #expect(try await store.fireTimers(routing: routing, policy: policy, topics: Topics(), now: opened.addingTimeInterval(301)) == 1)
        #expect(try store.history(issueID: "I-9").first.map { ($0.event, $0.target) } ?? ("", "") == ("reminder", "kt1-hook"))
        #expect(try await store.fireTimers(routing: routing, policy: policy, topics: Topics(), now: opened.addingTimeInterval(400)) == 0)
        #expect(try await store.fireTimers(routing: routing, policy: policy, topics: Topics(), now: opened.addingTimeInterval(602)) == 1)

        var acknowledged = issue
        acknowledged.state = .acknowledged
        acknowledged.version = 2
        #expect(try store.accept(eventID: "E2", type: .issueUpdated, issue: acknowledged, routing: routing, policy: policy, topics: Topics(), now: opened.addingTimeInterval(700)) == 0)
        #expect(try await store.fireTimers(routing: routing, policy: policy, topics: Topics(), now: opened.addingTimeInterval(100_000)) == 0, "acknowledged: no more reminders")
        #expect(try store.nextTimer() == nil)

        var resolved = acknowledged
        resolved.state = .resolved
        resolved.version = 3
        try store.accept(eventID: "E3", type: .issueResolved, issue: resolved, routing: routing, policy: policy, topics: Topics(), now: opened.addingTimeInterval(800))
        let recovery = try store.history(issueID: "I-9").filter { $0.event == "resolved" }.map(\.target)
        #expect(Set(recovery) == ["kt1-hook", "ops-hook", "lead-hook"], "the escalation contact that was told 'down' is told 'up'")
    }
}
