import CCTVContract
import Foundation
import Installation
import Logging
import MQTTBus
import Prober
import ServiceRuntime
import Testing
import TestSupport

/// An ICMP port that answers instantly: every address replies except those in `down`.
private struct InstantICMP: ICMPProbing {
    let down: Set<String>
    func check(address: String) async -> ICMPVerdict {
        down.contains(address)
            ? ICMPVerdict(status: .timeout, reason: "no_reply", sent: 1, received: 0)
            : ICMPVerdict(status: .success, reason: "ok", sent: 1, received: 1, rttMinMs: 0.1, rttAvgMs: 0.1, rttMaxMs: 0.1, replyFrom: address)
    }
}

@Suite("the broker loses its recent state (SIGKILL after changes since its last autosave)", .serialized, .runsAlone)
struct BrokerStateLossTests {
    @Test("a camera created just before a broker crash is checked again, and the statuses the broker lost are published again")
    func freshCreateSurvivesBrokerCrash() async throws {
        // Saved only when the test says so (clean stop): a SIGKILL returns to that save.
        let broker = try MosquittoFixture(autosaveInterval: 3_600)
        defer { broker.stop() }
        let icmp = InstantICMP(down: ["127.81.0.2"])
        // The restarted prober is a new fleet member (new session): it asks for every retained definition again.
        let instance = "loss-\(UUID().uuidString.prefix(6))"
        func configure(_ configuration: inout InstallationConfiguration) {
            configuration.runtime.instance = instance
            configuration.prober.interval = 1
            configuration.issues.policy.openAfter = 2
        }
        let steady = try TestInstallation([.registry, .issues], broker: broker, configure: configure)
        var prober = try TestInstallation([.prober], broker: broker, icmp: icmp, configure: configure)
        var toolLogger = Logger(label: "loss")
        toolLogger.logLevel = .critical
        let tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true,
                                                   reconnectDelay: (0.1, 0.5)), logger: toolLogger)
        let results = try await Collector.subscribing(tool, to: "cctv/+/icmp")
        tool.start()
        try await tool.waitUntilConnected()
        func create(_ id: String, address: String) async throws {
            let command = Envelope(type: .registryCommand, source: "test",
                                   data: RegistryCommand(.create(CameraInput(id: id, address: address))))
            let answer = try await tool.request(Topics().registryCommands(from: "loss-test"), payload: ContractCodec.encode(command), timeout: .seconds(20))
            let reply = try ContractCodec.decode(answer.payload, as: RegistryReply.self, expecting: [.registryReply]).data
            try #require(reply.ok, "create \(id): \(String(describing: reply.error))")
        }
        func checked(_ id: String, after index: Int) async -> Bool {
            await eventually(timeout: .seconds(30)) { results.all.dropFirst(index).contains { $0.topic == "cctv/\(id)/icmp" } }
        }
        @Sendable func retainedState(_ id: String) async -> CameraState? {
            guard let message = try? await tool.retainedMessage(on: "cctv/\(id)/status") else { return nil }
            return (try? ContractCodec.decode(message.payload, as: CameraHealth.self, expecting: [.cameraStatus]))?.data.state
        }

        // Whatever fails below, the services stop before the broker does (a prober left running on a
        // stopped broker warned every second for the rest of a CI run and hid which test failed).
        do {
            try await create("CAM-OLD", address: "127.81.0.1")
            #expect(await checked("CAM-OLD", after: 0))
            // A clean stop saves the store: the "older autosave" the crash will return to.
            broker.terminate()
            try broker.startAgain()
            // Subscribed, not only connected: the tool's reply subscription is sent again after the
            // CONNACK, and a request sent before it is acknowledged may have its answer dropped.
            try await tool.waitUntilSubscribed(timeout: .seconds(15))

            try await create("CAM-NEW", address: "127.81.0.2")
            #expect(await checked("CAM-NEW", after: 0), "the new camera is checked before the crash")
            #expect(await eventually(timeout: .seconds(30)) { await retainedState("CAM-NEW") == .lineDown },
                    "its LINE_DOWN status is retained before the crash")

            // The whole box loses power: the broker returns to its save (without CAM-NEW's definition
            // and status, with every persistent session), the prober restarts with an empty schedule.
            broker.kill()
            await prober.stop()
            try broker.startAgain()
            try await tool.waitUntilSubscribed(timeout: .seconds(15))
            let mark = results.all.count
            prober = try TestInstallation([.prober], broker: broker, icmp: icmp, configure: configure)
            #expect(await checked("CAM-NEW", after: mark), "the camera created before the crash is checked again")
            #expect(await checked("CAM-OLD", after: mark), "and so is the rest of the fleet")
            #expect(await eventually(timeout: .seconds(30)) { await retainedState("CAM-NEW") == .lineDown },
                    "the issues service published the status the broker lost")
        } catch {
            Issue.record("failed: \(error); broker log (end):\n\(broker.log.suffix(4_000))")
        }

        await prober.stop()
        await steady.stop()
        await tool.shutdown()
    }
}
