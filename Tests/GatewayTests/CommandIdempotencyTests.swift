import AsyncHTTPClient
import CCTVContract
import Foundation
import Installation
@testable import Gateway
import Logging
import MQTTBus
@testable import Registry
import ServiceRuntime
import Testing
import TestSupport

/// A REST change the registry answers late is reported as pending with its id, applied once,
/// and never answered "503" and then applied anyway.
@Suite("gateway: REST changes with a registry that answers late", .serialized, .runsAlone)
struct CommandIdempotencyTests {
    @Test("a create the registry answers late is 202 pending with its id, completes when the registry comes back, and a retry is not applied twice")
    func lateRegistry() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let instance = "late-\(UUID().uuidString.prefix(6))"
        let registryData = FileManager.default.temporaryDirectory.appendingPathComponent("late-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: registryData) }
        @Sendable func registry() throws -> TestInstallation {
            try TestInstallation([.registry], broker: broker) { $0.runtime.instance = instance; $0.runtime.dataDir = registryData }
        }
        // The registry's persistent session exists (it answered a command), then the registry is away.
        let watcher = MQTTClient(configuration: .init(port: broker.port, clientID: "watch-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: Logger(label: "watch"))
        watcher.start()
        try await watcher.waitUntilConnected()
        var registryRun = try registry()
        let list = try ContractCodec.encode(Envelope(type: .registryCommand, source: "test", data: RegistryCommand(.list(CameraListQuery()))))
        #expect(await eventually(timeout: .seconds(20)) { (try? await watcher.request("registry/commands/test-watcher", payload: list, timeout: .seconds(2))) != nil })
        await registryRun.stop()

        let gatewayOnline = try await Collector.subscribing(watcher, to: "services/gateway/availability")
        let gateway = try TestInstallation([.gateway], broker: broker) { $0.runtime.instance = instance; $0.gateway.commandTimeout = 1 }
        #expect(await gatewayOnline.first(timeout: .seconds(20)) { $0.text == "online" } != nil)
        // The shared client needs no shutdown, so a failing `try` cannot leave one to crash in deinit.
        let client = HTTPClient.shared
        let token = try TestAccounts.adminToken(dataDir: gateway.dataDir)
        let api = gateway.baseURL + "/api"
        #expect(await eventually(timeout: .seconds(20)) { (try? await http(client, .GET, "\(api)/summary", token: token).status) == 200 })

        let key = UUID().uuidString
        let body = #"{"id":"CAM-LATE","name":"후문","address":"127.0.6.1"}"#
        let first = try await http(client, .POST, "\(api)/cameras", body: body, headers: ["Idempotency-Key": key], token: token)
        #expect(first.status == 202, "\(first.status) \(first.body)")
        #expect(first.json?["commandID"] as? String == key)
        #expect(first.json?["state"] as? String == "pending")
        #expect(first.headers["location"] == "/api/commands/\(key)")
        let polled = try await http(client, .GET, "\(api)/commands/\(key)", token: token)
        #expect(polled.json?["state"] as? String == "pending")

        // The registry comes back, finds the command waiting in its session, applies it and answers late.
        registryRun = try registry()
        #expect(await eventually(timeout: .seconds(20)) {
            (try? await http(client, .GET, "\(api)/commands/\(key)", token: token))?.json?["state"] as? String == "done"
        }, "the late reply completes the pending command")
        let done = try await http(client, .GET, "\(api)/commands/\(key)", token: token)
        #expect(done.json?["httpStatus"] as? Int == 201)
        #expect(((done.json?["reply"] as? [String: Any])?["camera"] as? [String: Any])?["id"] as? String == "CAM-LATE")

        // The client retries with the same key: the first outcome, not a second camera nor a 409.
        let retry = try await http(client, .POST, "\(api)/cameras", body: body, headers: ["Idempotency-Key": key], token: token)
        #expect(retry.status == 201, "\(retry.body)")
        #expect(retry.json?["id"] as? String == "CAM-LATE")
        // The same key for a different change is refused.
        let reused = try await http(client, .POST, "\(api)/cameras", body: #"{"address":"127.0.6.2"}"#, headers: ["Idempotency-Key": key], token: token)
        #expect(reused.status == 422)
        #expect(reused.body.contains("idempotency_key_reused"))
        // A tool re-sending its own command (same envelope id) straight to the registry: answered
        // with the first outcome, not applied again.
        let tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: Logger(label: "tool"))
        tool.start()
        try await tool.waitUntilConnected()
        let toolKey = UUID().uuidString
        let command = RegistryCommand(.create(CameraInput(id: "CAM-TOOL", name: "정문", address: "127.0.6.4")))
        var replies: [RegistryReply] = []
        for _ in 0..<2 {
            let answer = try await tool.request("registry/commands/test-tool", payload: ContractCodec.encode(Envelope(type: .registryCommand, id: toolKey, source: "test", data: command)))
            replies.append(try ContractCodec.decode(answer.payload, as: RegistryReply.self, expecting: [.registryReply]).data)
        }
        #expect(replies.allSatisfy { $0.ok && $0.camera?.id == "CAM-TOOL" }, "\(replies)")
        // But an id reused for another command is applied (tools that number their commands).
        let other = RegistryCommand(.create(CameraInput(id: "CAM-OTHER", address: "127.0.6.3")))
        let otherAnswer = try await tool.request("registry/commands/test-tool", payload: ContractCodec.encode(Envelope(type: .registryCommand, id: toolKey, source: "test", data: other)))
        #expect(try ContractCodec.decode(otherAnswer.payload, as: RegistryReply.self, expecting: [.registryReply]).data.camera?.id == "CAM-OTHER")

        let store = try CameraStore(dataDir: registryData)
        #expect(try store.snapshot().cameras.map(\.id).sorted() == ["CAM-LATE", "CAM-OTHER", "CAM-TOOL"], "each applied exactly once")

        // An invalid key is refused before anything is sent.
        let bad = try await http(client, .POST, "\(api)/cameras", body: body, headers: ["Idempotency-Key": "spaces are not allowed"], token: token)
        #expect(bad.status == 400)

        await tool.shutdown()
        await watcher.shutdown()
        await gateway.stop()
        await registryRun.stop()
    }
}
