import ArgumentParser
import CCTVContract
import Foundation
import Hummingbird
import Issues
import Logging
import MQTTBus
import Notifier
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// `cctv-out bench pipeline`: the event path from a failing check result to the delivered
/// notification, through a private mosquitto, the issues service and the notifier, into a
/// webhook receiver on loopback. Everything runs on this machine; nothing leaves loopback.
struct PipelineBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Latency (failing result → webhook, p50/p99) and a mass-failure storm through broker, issues and notifier.")

    @Option(help: "Cameras for the latency run (one failure each, spaced so they do not queue).") var latencyCameras = 200
    @Option(help: "Cameras failing at once in the storm run.") var stormCameras = 10_000
    @Option(help: "Cameras per site in the storm run.") var perSite = 100
    @Option(help: "Seconds to wait for the last notification.") var timeout = 300.0

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        Observability.bootstrapMetrics()
        print("pipeline benchmark: \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let latency = try await Harness.run(stormMin: 0, logger: logger) { harness in
            try await harness.latency(cameras: latencyCameras)
        }
        print(latency)
        for stormMin in [0, 5] {
            let line = try await Harness.run(stormMin: stormMin, logger: logger) { harness in
                try await harness.storm(cameras: stormCameras, perSite: perSite, grouping: stormMin > 0, timeout: timeout)
            }
            print(line)
        }
    }
}

/// One private broker, issues and notifier services and a webhook receiver, torn down after use.
struct Harness: Sendable {
    /// Plays the registry (configs), on the registry's account of the locked-down broker.
    let registry: MQTTClient
    /// Plays the prober (results), on the prober's account.
    let prober: MQTTClient
    let received: Received

    final class Received: Sendable {
        let arrivals = Mutex<[String: ContinuousClock.Instant]>([:])
        let count = Atomic<Int>(0)
    }

    static func run(stormMin: Int, logger: Logger, _ body: (Harness) async throws -> String) async throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let received = Received()
        let hookPort = try LoopbackPort.free()
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            if let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
               let issue = object["issue"] as? [String: Any], let camera = issue["cameraID"] as? String, object["event"] as? String == "opened" {
                let now = ContinuousClock.now
                received.arrivals.withLock { if $0[camera] == nil { $0[camera] = now } }
                received.count.add(1, ordering: .relaxed)
            }
            return Response(status: .ok)
        }
        var quiet = logger
        quiet.logLevel = .critical
        let hook = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: hookPort)), logger: quiet)
        let hookTask = Task { try await hook.runService() }
        defer { hookTask.cancel() }

        var runtime = RuntimeConfiguration()
        runtime.dataDir = dir
        runtime.instance = "bench"
        runtime.broker.port = try LoopbackPort.free()
        var issues = IssuesConfiguration()
        issues.policy.openAfter = 1
        issues.storm.minimumCameras = stormMin
        var notifier = NotifierConfiguration()
        notifier.lineTeamWebhook = "http://127.0.0.1:\(hookPort)/hook"
        let broker = try await PrivateBroker.start(configuration: runtime.broker, dataDir: dir, topics: Topics(),
                                                   services: BrokerAccount.services(instance: "bench"), logger: logger)
        defer { broker.stop() }
        let context = RuntimeContext(configuration: runtime, endpoint: BrokerEndpoint(host: "127.0.0.1", port: broker.port,
                                                                                     servicePasswords: broker.servicePasswords), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [
            .init(service: try IssuesService(context: context, configuration: issues)),
            .init(service: try NotifierService(context: context, configuration: notifier)),
        ], logger: logger))
        let services = Task { try await group.run() }
        func client(_ service: String) -> MQTTClient {
            let account = "bench-\(service)"
            return MQTTClient(configuration: .init(port: broker.port, clientID: account, cleanStart: true, username: account,
                                                   password: broker.servicePasswords[account], sendMaximum: 1000), logger: logger)
        }
        let registry = client("registry"), prober = client("prober")
        for client in [registry, prober] { client.start(); try await client.waitUntilConnected() }
        try await Task.sleep(for: .seconds(1))
        let output = try await body(Harness(registry: registry, prober: prober, received: received))
        for client in [registry, prober] { await client.shutdown() }
        await group.triggerGracefulShutdown()
        _ = try? await services.value
        return output
    }

    func publishConfig(_ id: String, site: String) async throws {
        let camera = CameraDefinition(id: id, name: id, address: "127.0.0.1", site: site, lineTeam: "line", createdAt: Date(), updatedAt: Date(), version: 1)
        try await registry.publish("cctv/\(id)/config", payload: ContractCodec.encode(Envelope(type: .cameraConfig, source: "bench", data: camera)), retain: true)
    }

    func publishFailure(_ id: String) async throws {
        let result = ICMPResult(cameraID: id, address: "127.0.0.1", status: .timeout, reason: "no_reply", sent: 3, received: 0,
                                lossPercent: 100, startedAt: Date(), durationMs: 3000, prober: "bench")
        try await prober.publish("cctv/\(id)/icmp", payload: ContractCodec.encode(Envelope(type: .probeICMP, source: "bench", data: result)))
    }

    func latency(cameras: Int) async throws -> String {
        for n in 0..<cameras { try await publishConfig("LAT-\(n)", site: "site-\(n)") }
        try await Task.sleep(for: .seconds(1))
        var sentAt: [String: ContinuousClock.Instant] = [:]
        for n in 0..<cameras {
            let id = "LAT-\(n)"
            sentAt[id] = .now
            try await publishFailure(id)
            try await Task.sleep(for: .milliseconds(25))
        }
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while received.arrivals.withLock({ $0.count }) < cameras && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let arrivals = received.arrivals.withLock { $0 }
        let samples = sentAt.compactMap { id, sent in arrivals[id].map { ($0 - sent).milliseconds } }.sorted()
        guard !samples.isEmpty else { return "latency: no notification arrived" }
        func pct(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        return String(format: "latency, failing result published → webhook received (%d/%d delivered): p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                      samples.count, cameras, pct(0.5), pct(0.99), samples.last!)
    }

    func storm(cameras: Int, perSite: Int, grouping: Bool, timeout: Double) async throws -> String {
        for n in 0..<cameras { try await publishConfig("ST-\(n)", site: "site-\(n / perSite)") }
        try await Task.sleep(for: .seconds(2))
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for n in 0..<cameras {
                if inFlight >= 500 { try await group.next(); inFlight -= 1 }
                group.addTask { try await publishFailure("ST-\(n)") }
                inFlight += 1
            }
            try await group.waitForAll()
        }
        let published = ContinuousClock.now - start
        // Wait until notifications stop arriving (2 s quiet) or the timeout.
        var last = -1
        var quietSince = ContinuousClock.now
        let deadline = ContinuousClock.now.advanced(by: .seconds(timeout))
        while ContinuousClock.now < deadline {
            let now = received.count.load(ordering: .relaxed)
            if now != last { last = now; quietSince = .now }
            if now > 0 && ContinuousClock.now - quietSince > .seconds(2) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let lastArrival = received.arrivals.withLock { $0.values.max() } ?? start
        return String(format: "storm, %d cameras in %d sites failing at once, grouping %@: results published in %.2f s; %d notifications, last delivered %.2f s after the first result",
                      cameras, (cameras + perSite - 1) / perSite, grouping ? "on" : "off", published.seconds, last, (lastArrival - start).seconds)
    }
}

extension Duration {
    var milliseconds: Double { seconds * 1000 }
}
