import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceRuntime
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The real `cctv-out prober` process, SIGKILLed and started again (a new member with a new
/// session: it must ask for every retained definition again, and wait out nobody's heartbeat).
@Suite("prober killed and restarted", .serialized, .runsAlone)
struct ProberRestartTests {
    @Test("a prober restarted after SIGKILL gets every camera definition again and checks the whole fleet")
    func restartedProberChecksWholeFleet() async throws {
        try #require(ProductBinary.isBuilt, "build cctv-out first (swift build --build-tests): \(ProductBinary.path)")
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("prober-restart-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var logger = Logger(label: "prober-restart")
        logger.logLevel = .critical
        let tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
        let results = try await Collector.subscribing(tool, to: "cctv/+/icmp")
        tool.start()
        try await tool.waitUntilConnected()
        // The registry's side: retained definitions, loopback addresses of this test's range.
        let fleet = (1...40).map { "CAM-R\($0)" }
        for (index, id) in fleet.enumerated() {
            let camera = CameraDefinition(id: id, name: id, address: "127.81.1.\(index + 1)", intervalSeconds: 2,
                                          createdAt: Date(), updatedAt: Date(), version: 1)
            try await tool.publish("cctv/\(id)/config", payload: ContractCodec.encode(Envelope(type: .cameraConfig, source: "test", data: camera)),
                                   retain: true, timeout: .seconds(5))
        }
        let arguments = ["prober", "--broker-url", "mqtt://127.0.0.1:\(broker.port)", "--data-dir", dir,
                         "--instance", "restart-\(UUID().uuidString.prefix(6))", "--prober-interval", "2",
                         "--prober-icmp-count", "1", "--prober-icmp-timeout", "0.5", "--log-level", "warning"]
        /// Cameras with a check that started after `instant`.
        @Sendable func checked(since instant: Date) -> Set<String> {
            Set(results.all.compactMap { message in
                guard let result = try? ContractCodec.decode(message.payload, as: ICMPResult.self, expecting: [.probeICMP]).data,
                      result.startedAt > instant else { return nil }
                return result.cameraID
            })
        }
        func checkedEveryCamera(since instant: Date) async -> Set<String> {
            _ = await eventually(timeout: .seconds(30)) { checked(since: instant).isSuperset(of: fleet) }
            return checked(since: instant)
        }

        var prober = try ChildProcess.dyingWithTests(executable: ProductBinary.path, arguments: arguments, logFile: dir + "/prober.log")
        defer { prober.stop() }
        #expect(await checkedEveryCamera(since: .distantPast).isSuperset(of: fleet), "the first run checks the fleet")

        prober.send(SIGKILL)
        #expect(prober.waitForExit(timeout: 10))
        let restarted = Date()
        prober = try ChildProcess.dyingWithTests(executable: ProductBinary.path, arguments: arguments, logFile: dir + "/prober.log")
        let afterRestart = await checkedEveryCamera(since: restarted)
        #expect(afterRestart.isSuperset(of: fleet), "after the restart \(afterRestart.count) of \(fleet.count) cameras were checked")
        await tool.shutdown()
    }
}
