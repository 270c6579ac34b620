import Foundation
import Logging
import Testing
@testable import MQTTBus
import TestSupport

private func makeClient(_ broker: MosquittoFixture, id: String = "t-\(UUID().uuidString.prefix(8))", will: MQTTConfiguration.Will? = nil, cleanStart: Bool = false) -> MQTTClient {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    return MQTTClient(
        configuration: .init(host: "127.0.0.1", port: broker.port, clientID: id, cleanStart: cleanStart, will: will, reconnectDelay: (0.1, 0.5)),
        logger: logger)
}

@Suite("MQTT client against a real mosquitto", .serialized, .runsAlone)
struct MQTTClientTests {
    @Test("a QoS 1 publish reaches a subscriber and completes on the broker's acknowledgement")
    func publishSubscribe() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let sub = makeClient(broker)
        let pub = makeClient(broker)
        sub.start(); pub.start()
        try await sub.waitUntilConnected()
        try await pub.waitUntilConnected()
        let messages = try await Collector.subscribing(sub, to: "cctv/+/icmp")
        try await pub.publish("cctv/CAM-1/icmp", payload: Array("hello".utf8))
        let got = await messages.first { $0.topic == "cctv/CAM-1/icmp" }
        #expect(got?.text == "hello")
        #expect(got?.qos == .atLeastOnce)
        await sub.shutdown(); await pub.shutdown()
    }

    @Test("wildcards route only matching topics to each subscription")
    func wildcards() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let client = makeClient(broker)
        client.start()
        try await client.waitUntilConnected()
        let plus = try await Collector.subscribing(client, to: "cctv/+/hls")
        let hash = try await Collector.subscribing(client, to: "issues/#")
        for topic in ["cctv/A/hls", "cctv/A/icmp", "issues/opened", "issues/x/y", "cctv/A/B/hls"] {
            try await client.publish(topic, payload: Array(topic.utf8))
        }
        _ = await hash.wait(forCount: 2)
        _ = await plus.wait(forCount: 1)
        try await Task.sleep(for: .milliseconds(200))
        #expect(plus.all.map(\.topic) == ["cctv/A/hls"])
        #expect(Set(hash.all.map(\.topic)) == ["issues/opened", "issues/x/y"])
        await client.shutdown()
    }

    @Test("a retained message is delivered to a late subscriber and an empty retained payload deletes it")
    func retainedAndTombstone() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let client = makeClient(broker)
        client.start()
        try await client.waitUntilConnected()
        try await client.publish("cctv/CAM-9/config", payload: Array("{}".utf8), retain: true)
        let late = makeClient(broker)
        late.start()
        try await late.waitUntilConnected()
        let first = try await Collector.subscribing(late, to: "cctv/+/config")
        let retained = await first.first { $0.topic == "cctv/CAM-9/config" }
        #expect(retained?.retain == true)

        try await client.publish("cctv/CAM-9/config", payload: [], retain: true)
        let later = makeClient(broker)
        later.start()
        try await later.waitUntilConnected()
        let second = try await Collector.subscribing(later, to: "cctv/+/config")
        try await Task.sleep(for: .milliseconds(500))
        #expect(second.all.isEmpty, "tombstone must remove the retained definition")
        await client.shutdown(); await late.shutdown(); await later.shutdown()
    }

    @Test("MQTT v5 request/response carries response topic and correlation data")
    func requestResponse() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let server = makeClient(broker)
        let caller = makeClient(broker)
        server.start(); caller.start()
        try await server.waitUntilConnected(); try await caller.waitUntilConnected()
        let answer = try await server.withSubscription(to: "registry/commands") { requests in
            let responder = Task {
                for await request in requests {
                    try? await server.reply(to: request, payload: Array("echo:\(request.text ?? "")".utf8))
                }
            }
            defer { responder.cancel() }
            return try await caller.request("registry/commands", payload: Array("ping".utf8), timeout: .seconds(5))
        }
        #expect(answer.text == "echo:ping")
        await server.shutdown(); await caller.shutdown()
    }

    @Test("user properties survive the round trip")
    func userProperties() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let client = makeClient(broker)
        client.start()
        try await client.waitUntilConnected()
        let seen = try await Collector.subscribing(client, to: "t/props")
        try await client.publish("t/props", payload: [1], properties: .init(contentType: "application/json", userProperties: [("k", "v"), ("k", "w")]))
        let got = await seen.first { _ in true }
        #expect(got?.properties.contentType == "application/json")
        #expect(got?.properties.userProperties.map { "\($0.0)=\($0.1)" } == ["k=v", "k=w"])
        await client.shutdown()
    }

    @Test("the client reconnects after the broker is killed and re-subscribes")
    func reconnectAfterKill() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let sub = makeClient(broker, cleanStart: true)
        sub.start()
        try await sub.waitUntilConnected()
        let messages = try await Collector.subscribing(sub, to: "after/restart")
        broker.kill()
        #expect(await eventually { !sub.isConnected })
        try broker.startAgain()
        try await sub.waitUntilConnected(timeout: .seconds(15))
        // cleanStart: the broker forgot the subscription; only our re-subscribe brings messages.
        let pub = makeClient(broker)
        pub.start()
        try await pub.waitUntilConnected()
        let delivered = await eventually(timeout: .seconds(10)) {
            try? await pub.publish("after/restart", payload: [42])
            return messages.all.contains { $0.payload == [42] }
        }
        #expect(delivered)
        await sub.shutdown(); await pub.shutdown()
    }

    @Test("QoS 1 messages for an offline persistent session survive a broker restart")
    func persistentSessionAcrossBrokerRestart() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let id = "persistent-\(UUID().uuidString.prefix(6))"
        do {
            let first = makeClient(broker, id: id)
            first.start()
            try await first.waitUntilConnected()
            // Shut down inside the subscription's scope: ending the scope first would unsubscribe.
            try await first.withSubscription(to: "queue/t") { _ in await first.shutdown() }
        }
        let pub = makeClient(broker)
        pub.start()
        try await pub.waitUntilConnected()
        for i in 0..<50 { try await pub.publish("queue/t", payload: Array("m\(i)".utf8)) }
        await pub.shutdown()
        try broker.restart()  // SIGTERM saves the store; the queued messages must come back
        let again = makeClient(broker, id: id)
        // Subscribe before start so that queued messages arriving right after CONNACK have a home.
        let messages = try await Collector.subscribing(again, to: "queue/t")
        again.start()
        let all = await messages.wait(forCount: 50, timeout: .seconds(15))
        #expect(Set(all.compactMap(\.text)) == Set((0..<50).map { "m\($0)" }), "broker log:\n\(broker.log)")
        await again.shutdown()
    }

    @Test("a publish made while the broker is down is delivered after it comes back")
    func publishWhileDisconnected() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let sub = makeClient(broker, id: "sub-\(UUID().uuidString.prefix(6))")
        let messages = try await Collector.subscribing(sub, to: "late/t")
        sub.start()
        try await sub.waitUntilConnected()
        let pub = makeClient(broker)
        pub.start()
        try await pub.waitUntilConnected()
        // Stopped cleanly (it saves the subscriber's session); a crash is the persistent-session test's job.
        broker.terminate()
        #expect(await eventually { !pub.isConnected })
        let sending = Task { try await pub.publish("late/t", payload: [7]) }
        try broker.startAgain()
        try await sending.value
        #expect(await messages.first { $0.payload == [7] } != nil)
        await sub.shutdown(); await pub.shutdown()
    }

    @Test("the last will is published when a client dies without disconnecting")
    func lastWill() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let watcher = makeClient(broker)
        watcher.start()
        try await watcher.waitUntilConnected()
        let availability = try await Collector.subscribing(watcher, to: "services/+/availability")
        let dying = makeClient(broker, will: .init(topic: "services/victim/availability", payload: Array("offline".utf8)))
        dying.start()
        try await dying.waitUntilConnected()
        try await dying.publish("services/victim/availability", payload: Array("online".utf8), retain: true)
        #expect(await availability.first { $0.text == "online" } != nil)
        await dying.shutdown(graceful: false)
        #expect(await availability.first { $0.text == "offline" } != nil)
        await watcher.shutdown()
    }

    @Test("garbage and oversize payloads do not hurt the subscriber")
    func garbageDoesNotHurt() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let sub = MQTTClient(configuration: .init(port: broker.port, clientID: "small", maxIncomingPayload: 1024), logger: logger)
        sub.start()
        try await sub.waitUntilConnected()
        let messages = try await Collector.subscribing(sub, to: "g/#")
        let pub = makeClient(broker)
        pub.start()
        try await pub.waitUntilConnected()
        try await pub.publish("g/a", payload: (0..<512).map { _ in UInt8.random(in: 0...255) })
        try await pub.publish("g/big", payload: [UInt8](repeating: 0xFF, count: 64 * 1024))
        try await pub.publish("g/b", payload: Array("still here".utf8))
        #expect(await messages.first { $0.text == "still here" } != nil)
        #expect(!messages.all.contains { $0.topic == "g/big" })
        #expect(sub.isConnected)
        await sub.shutdown(); await pub.shutdown()
    }

    @Test("invalid topics are refused before reaching the library")
    func invalidTopics() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let client = makeClient(broker)
        client.start()
        try await client.waitUntilConnected()
        await #expect(throws: MQTTError.self) { try await client.publish("a/+/b", payload: []) }
        await #expect(throws: MQTTError.self) { try await client.withSubscription(to: "a/#/b") { _ in } }
        await client.shutdown()
    }
}

@Suite("topic filter matching", .runsAlone)
struct TopicFilterTests {
    @Test("plus matches exactly one level, hash the rest", arguments: [
        ("cctv/1/icmp", "cctv/+/icmp", true),
        ("cctv/1/2/icmp", "cctv/+/icmp", false),
        ("issues/opened", "issues/#", true),
        ("issues", "issues/#", true),
        ("cctv/1/icmp", "#", true),
        ("$SYS/broker", "#", false),
        ("cctv/1/icmp", "$share/probers/cctv/+/icmp", true),
        ("a/b", "a/b/c", false),
        ("a/b/c", "a/b", false),
        ("a/", "a/+", true),
        ("a/", "a/#", true),
        ("a", "a/+", false),
        ("/a", "+/a", true),
        ("/a", "#", true),
        ("$SYS/broker", "$SYS/+", true),
        ("$SYS/broker", "+/broker", false),
        ("cctv/1/icmp", "cctv/12/icmp", false),
        ("cctv/12/icmp", "cctv/1/icmp", false),
        ("", "+", true),
        ("", "a", false),
        ("a//b", "a/+/b", true),
        ("a/b", "+", false),
        ("cctv/10/icmp", "cctv/1/icmp", false),
        ("cctv/1/icmp", "cctv/1/icmp", true),
        ("$SYS/x", "+/x", false),
        ("$SYS/x", "$SYS/#", true),
        ("", "#", true),
    ])
    func matching(topic: String, filter: String, expected: Bool) {
        #expect(TopicFilter.matches(topic, filter: filter) == expected)
    }

    @Test("a filter lies within another when every topic it matches matches the other", arguments: [
        ("cctv/+/icmp", "cctv/+/icmp", true),
        ("cctv/+/icmp", "cctv/#", true),
        ("cctv/+/icmp", "cctv/+/+", true),
        ("cctv/+/icmp", "#", true),
        ("cctv/+/icmp", "cctv/+/hls", false),
        ("cctv/#", "cctv/+/icmp", false),
        ("cctv/+/icmp", "cctv/CAM-1/icmp", false),
        ("cctv/CAM-1/icmp", "cctv/+/icmp", true),
        ("monitor/pulse", "monitor/checked", false),
        ("monitor/pulse", "monitor/pulse/#", true),
        ("monitor", "monitor/+", false),
        ("monitor/pulse/x", "monitor/pulse", false),
        ("$share/registry/registry/commands/+", "registry/commands/+", true),
        ("services/+/availability", "services/notifier/availability", false),
    ])
    func lying(filter: String, outer: String, expected: Bool) {
        #expect(TopicFilter.lies(filter, within: outer) == expected)
    }

    @Test("the level-walking matcher agrees with splitting both into levels, for 20,000 random topics and filters")
    func agreesWithSplitting() {
        // The matcher as it was (split both, compare level by level): the reference.
        func reference(_ topic: String, _ filter: String) -> Bool {
            let t = topic.split(separator: "/", omittingEmptySubsequences: false)
            let f = TopicFilter.stripShare(filter).split(separator: "/", omittingEmptySubsequences: false)
            if topic.hasPrefix("$"), let first = f.first, first == "#" || first == "+" { return false }
            var i = 0
            while i < f.count {
                if f[i] == "#" { return true }
                if i >= t.count { return false }
                if f[i] != "+" && f[i] != t[i] { return false }
                i += 1
            }
            return i == t.count
        }
        var generator = SystemRandomNumberGenerator()
        let topicLevels = ["a", "b", "", "$SYS", "cctv", "CAM-1", "카메라"], filterLevels = topicLevels + ["+", "+", "#"]
        func path(_ levels: [String]) -> String {
            (0..<Int.random(in: 1...4, using: &generator)).map { _ in levels.randomElement(using: &generator)! }.joined(separator: "/")
        }
        for _ in 0..<20_000 {
            let topic = path(topicLevels), filter = path(filterLevels)
            #expect(TopicFilter.matches(topic, filter: filter) == reference(topic, filter), "\(topic) vs \(filter)")
        }
    }

    @Test("filters with misplaced wildcards are invalid")
    func validity() {
        #expect(TopicFilter.isValidFilter("a/+/#"))
        #expect(!TopicFilter.isValidFilter("a/#/b"))
        #expect(!TopicFilter.isValidFilter("a/b+"))
        #expect(!TopicFilter.isValidTopic("a/+"))
        #expect(TopicFilter.isValidTopic("cctv/CAM-1/config"))
    }
}
