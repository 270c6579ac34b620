import CCTVContract
import Foundation
import Installation
import Logging
import MQTTBus
import Testing
import TestSupport

/// Registry and issue commands are typed: what is not a command of the contract is answered with a
/// refusal on the requester's reply topic, never dropped and never applied.
@Suite("typed commands over MQTT: refusals", .serialized, .runsAlone)
struct CommandRefusalTests {
    @Test("an unknown action or a missing field is answered bad_request (a missing field named, under the command's id); a well-formed one is applied")
    func refusals() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let services = try TestInstallation([.registry, .issues], broker: broker)
        var logger = Logger(label: "refusals")
        logger.logLevel = .critical
        let tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true,
                                                   reconnectDelay: (0.1, 0.5)), logger: logger)
        tool.start()
        try await tool.waitUntilConnected()
        let topics = Topics()
        for service in ["registry", "issues"] {
            #expect(await eventually(timeout: .seconds(30)) {
                (try? await tool.retainedMessage(on: topics.availability(service), timeout: .seconds(2)))?.text == "online"
            }, "\(service) online")
        }
        func ask(_ topic: String, type: String, _ json: String, id: String = UUID().uuidString) async throws -> [UInt8] {
            let envelope = #"{"at":"2026-12-01T00:00:00.000Z","data":\#(json),"id":"\#(id)","source":"tool","type":"\#(type)","v":1}"#
            return try await tool.request(topic, payload: Array(envelope.utf8), timeout: .seconds(20)).payload
        }
        func registry(_ json: String, id: String = UUID().uuidString) async throws -> RegistryReply {
            try ContractCodec.decode(try await ask(topics.registryCommands(from: "refusal-test"), type: "registry.command", json, id: id),
                                     as: RegistryReply.self, expecting: [.registryReply]).data
        }

        let unknown = try await registry(#"{"action":"explode","id":"CAM-1"}"#)
        #expect(!unknown.ok && unknown.error?.code == "bad_request", "\(String(describing: unknown.error))")
        let missing = try await registry(#"{"action":"create"}"#, id: "cmd-missing")
        #expect(!missing.ok && missing.error?.code == "bad_request" && missing.error?.field == "camera" && missing.commandID == "cmd-missing",
                "\(String(describing: missing))")
        let created = try await registry(#"{"action":"create","camera":{"id":"CAM-R","address":"127.93.0.9"}}"#)
        #expect(created.ok && created.camera?.id == "CAM-R", "\(String(describing: created.error))")
        let fetched = try await registry(#"{"action":"get","id":"CAM-R"}"#)
        #expect(fetched.camera?.address == "127.93.0.9")

        let issues = topics.issueCommands(from: "refusal-test")
        let strange = try ContractCodec.decode(try await ask(issues, type: "issue.command", #"{"action":"explode","issueID":"I"}"#),
                                               as: IssueReply.self, expecting: [.issueReply]).data
        #expect(!strange.ok && strange.error?.code == "bad_request", "\(String(describing: strange.error))")
        let noIncident = try ContractCodec.decode(try await ask(issues, type: "issue.command", #"{"action":"acknowledge","actor":"kim"}"#),
                                                  as: IssueReply.self, expecting: [.issueReply]).data
        #expect(!noIncident.ok && noIncident.error?.code == "not_found" && noIncident.error?.field == "issueID")
        let listed = try ContractCodec.decode(try await ask(issues, type: "issue.command", #"{"action":"listSilences"}"#),
                                              as: IssueReply.self, expecting: [.issueReply]).data
        #expect(listed.ok && listed.silences == [])

        await tool.shutdown()
        await services.stop()
    }
}
