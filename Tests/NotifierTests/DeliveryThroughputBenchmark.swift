import AsyncHTTPClient
import CCTVContract
import Foundation
import Logging
import Testing
import TestSupport
@testable import Notifier

/// Delivery throughput to a loopback webhook. Off unless asked for, since it measures, not checks:
///
///     CCTVOUT_BENCH_NOTIFICATIONS=10000 CCTVOUT_BENCH_ENDPOINTS=1 swift test --skip-build --filter DeliveryThroughputBenchmark
///
/// Queues the notifications the way the service does (one `accept` transaction per batch of up to
/// 500 issue events, each also queueing its ack), then starts the delivery loop and reports the
/// time until the last delivery is recorded as delivered in SQLite.
@Suite("delivery throughput benchmark", .runsAlone)
struct DeliveryThroughputBenchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CCTVOUT_BENCH_NOTIFICATIONS"] != nil))
    func throughput() async throws {
        let environment = ProcessInfo.processInfo.environment
        let total = Int(environment["CCTVOUT_BENCH_NOTIFICATIONS"] ?? "") ?? 10_000
        let endpoints = max(1, Int(environment["CCTVOUT_BENCH_ENDPOINTS"] ?? "") ?? 1)
        let sink = try await HTTPSink()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try DeliveryStore(dataDir: dir)
        // One team with `endpoints` webhook channels: each incident is one notification per endpoint.
        let book = ContactBook(teams: [Team(id: "LINE", name: "line", role: .lineTeam,
                                            channels: (0..<endpoints).map { .init(id: "hook-\($0)", type: .webhook, url: sink.url("/hook/\($0)"), secret: "bench") })])
        let routing = NotificationRouting(book: book)
        let policy = NotificationPolicy(dashboard: "http://dash")
        let incidents = total / endpoints
        let queueStart = ContinuousClock.now
        for start in stride(from: 0, to: incidents, by: 500) {
            let events = (start..<min(start + 500, incidents)).map {
                DeliveryStore.IssueEvent(eventID: "E\($0)", type: .issueOpened, issue: sampleIssue(kind: .line, id: "I-\($0)"))
            }
            try await store.accept(events, routing: routing, policy: policy, topics: Topics())
        }
        let queued = ContinuousClock.now - queueStart

        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let dispatcher = DeliveryDispatcher(store: store, contacts: ContactsHolder(book), channels: NotifierService.channels(http: http, timeoutSeconds: 10),
                                            breakers: EndpointBreakers(threshold: 5, coolDown: 30), maxAttempts: 12, topics: Topics(), logger: logger)
        let deliverStart = ContinuousClock.now
        let running = Task { await dispatcher.run() }
        let expected = incidents * endpoints
        let done = await eventually(timeout: .seconds(1200), every: .milliseconds(10)) { ((try? store.counts()) ?? [:])["delivered"] == expected }
        let delivered = ContinuousClock.now - deliverStart
        running.cancel()
        await running.value
        try await http.shutdown()
        #expect(done)
        #expect(Set(sink.all.compactMap { $0.headers["x-cctvout-delivery"] }).count == expected)
        func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }
        print(String(format: "notifier throughput: %d notifications to %d loopback webhook endpoint(s): queued in %.2f s (%.0f/s, one transaction per 500 events), all delivered in %.2f s (%.0f/s), %d requests received",
                     expected, endpoints, seconds(queued), Double(incidents) / seconds(queued), seconds(delivered), Double(expected) / seconds(delivered), sink.all.count))
    }
}
