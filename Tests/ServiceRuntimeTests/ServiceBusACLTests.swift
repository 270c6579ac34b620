import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceRuntime
import Testing
import TestSupport

/// A service subscribes only to what its own broker account may read: mosquitto grants any
/// subscription and then silently delivers nothing the ACL forbids.
@Suite("subscriptions stay inside the service's ACL")
struct ServiceBusACLTests {
    @Test("the notifier's account reads the self-watch topics (pulse, every availability) and not the statuses")
    func notifierReads() {
        let topics = Topics()
        let inbox = BrokerAccount.service("notifier", role: .notifier, instance: "cctv-out").first { $0.connection == .inbox }!
        #expect(BrokerACL.mayRead(topics.monitorPulse, account: inbox, topics: topics))
        #expect(BrokerACL.mayRead(topics.allAvailability, account: inbox, topics: topics))
        #expect(BrokerACL.mayRead(topics.allIssues, account: inbox, topics: topics))
        #expect(!BrokerACL.mayRead(topics.allStatuses, account: inbox, topics: topics))
        #expect(!BrokerACL.mayRead("#", account: inbox, topics: topics))
        let outbox = BrokerAccount.service("notifier", role: .notifier, instance: "cctv-out").first { $0.connection == .outbox }!
        #expect(!BrokerACL.mayRead(topics.monitorPulse, account: outbox, topics: topics), "the outbox connection subscribes to nothing but its replies")
    }

    @Test("a service's subscription outside its ACL is refused before it is sent; one inside goes through", .timeLimit(.minutes(1)))
    func refusedOutsideACL() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        var logger = Logger(label: "bus-acl-test")
        logger.logLevel = .critical
        let topics = Topics()
        let instance = "acl-\(UUID().uuidString.prefix(6))"
        let bus = ServiceBus(service: "notifier", endpoint: broker.endpoint, instance: instance, topics: topics, logger: logger)
        await #expect(throws: ServiceBusError.subscriptionNotInACL(account: "\(instance)-notifier", filter: topics.allStatuses)) {
            try await bus.withSubscription(to: topics.allIssues, topics.allStatuses) { _ in }
        }
        bus.start()
        let ok = try await bus.withSubscription(to: topics.monitorPulse, topics.allAvailability) { _ in true }
        #expect(ok)
        await bus.shutdown()
    }
}
