import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceRuntime
import Testing
import TestSupport

/// `ServiceBus.answer` through a real mosquitto: one service answers `notifier.command`s with a
/// typed reply, another asks with `ServiceBus.request`, and a raw MQTT tool sends what no typed
/// client could.
@Suite("typed request answering on the bus", .serialized)
struct ServiceBusAnswerTests {
    /// A broker, an answering bus `echo` (commands on `{root}/cmd/#`, fire-and-forget replies on
    /// `{root}/answers`), an asking bus and a raw tool client; all stopped after `body`.
    static func withAnswering(_ body: (_ asker: ServiceBus, _ tool: MQTTClient, _ topics: Topics) async throws -> Void) async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        var logger = Logger(label: "bus-answer-test")
        logger.logLevel = .critical
        let topics = Topics(root: "t\(UUID().uuidString.prefix(6))")
        let instance = "it-\(UUID().uuidString.prefix(6))"
        let echo = ServiceBus(service: "echo", endpoint: broker.endpoint, instance: instance, topics: topics, logger: logger)
        let asker = ServiceBus(service: "asker", endpoint: broker.endpoint, instance: instance, topics: topics, logger: logger)
        let tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", reconnectDelay: (0.1, 0.5)), logger: logger)
        let answering = Task {
            try await echo.withSubscription(to: "\(topics.root)/cmd/#") { messages in
                echo.start()
                for await message in messages {
                    await echo.answer(message, as: NotifierCommand.self, expecting: .notifierCommand, reply: .notifierReply,
                                      refusing: { error, _ in NotifierReply(ok: false, error: error) }, orPublishTo: "\(topics.root)/answers") { envelope in
                        NotifierReply(ok: true, contactsJSON: "\(envelope.data.action.rawValue) from \(envelope.source)")
                    }
                }
            }
        }
        asker.start()
        tool.start()
        // `online` is published once the answering bus's subscription is acknowledged.
        let online = await eventually(timeout: .seconds(30)) {
            (try? await tool.retainedMessage(on: topics.availability("echo"), timeout: .seconds(2)))?.text == "online"
        }
        #expect(online, "the answering bus came online")
        do {
            try await body(asker, tool, topics)
        } catch {
            await echo.shutdown()
            _ = try? await answering.value
            await asker.shutdown()
            await tool.shutdown()
            throw error
        }
        await echo.shutdown()
        _ = try await answering.value
        await asker.shutdown()
        await tool.shutdown()
    }

    @Test("a well-formed command gets the handler's typed reply on the requester's reply topic")
    func typedReply() async throws {
        try await Self.withAnswering { asker, _, topics in
            let reply = try await asker.request("\(topics.root)/cmd/asker", type: .notifierCommand, NotifierCommand(action: .health),
                                                reply: .notifierReply, as: NotifierReply.self, timeout: .seconds(20))
            #expect(reply == NotifierReply(ok: true, contactsJSON: "health from asker"))
        }
    }

    @Test("a payload that is not an envelope, or an envelope of another type, is answered with the error reply, not a timeout")
    func malformedGetsErrorReply() async throws {
        try await Self.withAnswering { asker, tool, topics in
            let garbage = try await tool.request("\(topics.root)/cmd/tool", payload: Array("not json".utf8), replyPrefix: topics.replies, timeout: .seconds(20))
            let refused = try ContractCodec.decode(garbage.payload, as: NotifierReply.self, expecting: [.notifierReply])
            #expect(refused.source == "echo")
            #expect(refused.data.ok == false)
            #expect(refused.data.error?.code == "bad_request")

            let wrongType = try await asker.request("\(topics.root)/cmd/asker", type: .issueCommand, IssueCommand(.acknowledge(issueID: "x", note: nil)),
                                                    reply: .notifierReply, as: NotifierReply.self, timeout: .seconds(20))
            #expect(wrongType.ok == false)
            #expect(wrongType.error?.code == "bad_request")

            // The service still answers afterwards.
            let reply = try await asker.request("\(topics.root)/cmd/asker", type: .notifierCommand, NotifierCommand(action: .getContacts),
                                                reply: .notifierReply, as: NotifierReply.self, timeout: .seconds(20))
            #expect(reply.ok)
        }
    }

    @Test("a command without a response topic is answered on the fallback topic")
    func fireAndForgetAnsweredOnFallback() async throws {
        try await Self.withAnswering { asker, tool, topics in
            let answers = try await Collector.subscribing(tool, to: "\(topics.root)/answers")
            try await asker.publish("\(topics.root)/cmd/asker", type: .notifierCommand, data: NotifierCommand(action: .health), id: "fire-1")
            let message = await answers.first(timeout: .seconds(20)) { _ in true }
            let reply = try #require(message.map { try ContractCodec.decode($0.payload, as: NotifierReply.self, expecting: [.notifierReply]) })
            #expect(reply.data == NotifierReply(ok: true, contactsJSON: "health from asker"))
        }
    }
}
