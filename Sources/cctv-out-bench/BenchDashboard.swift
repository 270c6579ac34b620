import ArgumentParser
import CCTVContract
import Foundation
import Gateway
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime

/// `cctv-out-bench dashboard --cameras 100000`: how fast the dashboard opens for a fleet, in
/// Debian's Chromium: a private broker and the gateway alone, N cameras' retained definitions and
/// statuses published as the registry and the issues service would (a share of them down, one site
/// outage among them), then the browser driver (Playwright, `Tests/DashboardTests/Driver/dashboard.py`)
/// loads the page `--runs` times and reports first contentful paint and time to interactive (the
/// problems list rendered from the server's answer).
struct BenchDashboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dashboard", abstract: "Dashboard first paint and time to interactive in Chromium with N cameras.")

    @Option(help: "Cameras.") var cameras = 2000
    @Option(help: "Share of cameras down (line or camera), 0…1.") var down = 0.02
    @Option(help: "Page loads to time.") var runs = 5
    @Option(help: "The browser driver script (run from the repository's root).") var driver = "Tests/DashboardTests/Driver/dashboard.py"

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        Observability.bootstrapMetrics()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-dash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var runtime = RuntimeConfiguration()
        runtime.dataDir = dir
        runtime.instance = "bench-dash"
        runtime.broker.port = try LoopbackPort.free()
        var gateway = GatewayConfiguration()
        gateway.host = "127.0.0.1"
        gateway.port = try LoopbackPort.free()
        let broker = try await PrivateBroker.start(configuration: runtime.broker, dataDir: dir, topics: Topics(),
                                                   services: BrokerAccount.services(instance: runtime.instance), logger: logger)
        defer { broker.stop() }
        let (password, token) = try Self.benchAccount(dataDir: dir)
        let context = RuntimeContext(configuration: runtime, endpoint: BrokerEndpoint(host: "127.0.0.1", port: broker.port,
                                                                                     servicePasswords: broker.servicePasswords), logger: logger)
        let service = try GatewayService(context: context, configuration: gateway)
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: logger))
        let running = Task { try await group.run() }
        let registry = Self.client(.registry, broker: broker, instance: runtime.instance, logger: logger)
        let issues = Self.client(.issues, broker: broker, instance: runtime.instance, logger: logger)
        for client in [registry, issues] { client.start(); try await client.waitUntilConnected() }

        let started = ContinuousClock.now
        let downCount = Int(Double(cameras) * down)
        try await publishFleet(registry: registry, issues: issues, downCount: downCount)
        try await waitUntilShown(in: service, downCount: downCount)
        let loaded = BenchMeasure.seconds(ContinuousClock.now - started)
        print("dashboard benchmark: \(cameras) cameras (\(downCount) down) in the read store after \(BenchMeasure.format(loaded)) s")
        let base = "http://127.0.0.1:\(gateway.port)"
        try timePageLoads(base: base, artifacts: dir + "/shots", password: password)
        Self.timeAPI(base: base, token: token)
        for client in [registry, issues] { await client.shutdown() }
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }

    /// The admin the browser signs in as (its password) and the API token curl uses (bcrypt cost 4:
    /// a benchmark account).
    private static func benchAccount(dataDir: String) throws -> (password: String, token: String) {
        let accounts = try AccountStore(dataDir: dataDir, bcryptCost: 4)
        let password = MosquittoPasswordFile.randomPassword()
        _ = try accounts.addAccount(name: "bench", password: password, role: .admin)
        let token = try accounts.createToken(name: "bench", role: .admin, createdBy: "bench").secret
        return (password, token)
    }

    /// A broker client signed in as the given service (the ACL lets each publish only its own topics).
    private static func client(_ role: BrokerRole, broker: PrivateBroker, instance: String, logger: Logger) -> MQTTClient {
        let account = ServiceConnection.outbox.clientID(instance: instance, service: role.rawValue)
        return MQTTClient(configuration: .init(port: broker.port, clientID: account, cleanStart: true, username: account,
                                               password: broker.servicePasswords[account], sendMaximum: 1000), logger: logger)
    }

    /// Publishes every camera's retained definition as the registry does and its status as the issues
    /// service does: the first `downCount` down (a third camera, the rest line), the first 50 at one
    /// outage site; at most 256 cameras in flight.
    private func publishFleet(registry: MQTTClient, issues: MQTTClient, downCount: Int) async throws {
        let now = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for n in 0..<cameras {
                if inFlight >= 256 { try await group.next(); inFlight -= 1 }
                inFlight += 1
                group.addTask {
                    let (camera, health) = Self.camera(n, downCount: downCount, now: now)
                    try await registry.publish("cctv/\(camera.id)/config", payload: ContractCodec.encode(Envelope(type: .cameraConfig, source: "bench", data: camera)), retain: true, timeout: nil)
                    try await issues.publish("cctv/\(camera.id)/status", payload: ContractCodec.encode(Envelope(type: .cameraStatus, source: "bench", data: health)), retain: true, timeout: nil)
                }
            }
            try await group.waitForAll()
        }
    }

    /// Camera number `n` of the benchmark fleet: its definition and its status.
    private static func camera(_ n: Int, downCount: Int, now: Date) -> (CameraDefinition, CameraHealth) {
        let id = String(format: "CAM-%06d", n)
        let site = n < 50 ? "site-0" : "site-\(n % 2000)"
        let camera = CameraDefinition(id: id, name: "카메라 \(n)", address: "10.\(n >> 16 & 255).\(n >> 8 & 255).\(n & 255)", site: site,
                                      lineTeam: "line-\(n % 50)", vendor: "vendor-\(n % 20)", createdAt: now, updatedAt: now, version: 1)
        let state: CameraState = n < downCount ? (n % 3 == 0 ? .cameraDown : .lineDown) : .ok
        let health = CameraHealth(cameraID: id, state: state, icmp: state == .lineDown ? .timeout : .success, hls: state == .cameraDown ? .fail : .success,
                                  reason: state == .ok ? "ok" : state == .lineDown ? "no_reply" : "playlist_stale", since: now.addingTimeInterval(-Double(n % 3600)), updatedAt: now)
        return (camera, health)
    }

    /// Waits (at most 30 minutes) until the gateway's read store holds every camera with the expected
    /// number OK.
    private func waitUntilShown(in service: GatewayService, downCount: Int) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(1800))
        while (try? service.store.summary().cameras) != cameras || (try? service.store.summary().byState["OK"] ?? 0) != cameras - downCount {
            guard ContinuousClock.now < deadline else { throw ValidationError("the gateway did not show \(cameras) cameras in 30 minutes") }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Loads the page `runs` times through the browser driver and prints first contentful paint and
    /// time to interactive (median, min, max).
    private func timePageLoads(base: String, artifacts: String, password: String) throws {
        var paints: [Double] = [], interactive: [Double] = []
        for _ in 0..<runs {
            let (status, output) = BenchMeasure.run("/usr/bin/python3", [driver, "timing", "--base", base, "--artifacts", artifacts, "--arg", "cameras=\(cameras)",
                                                                "--arg", "user=bench", "--arg", "password=\(password)"])
            guard status == 0 else { throw ValidationError("driver failed: \(output.suffix(2000))") }
            for line in output.split(separator: "\n") where line.hasPrefix("METRIC ") {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any] {
                    if let fcp = object["firstPaintMs"] as? Double { paints.append(fcp) }
                    if let tti = object["interactiveMs"] as? Double { interactive.append(tti) }
                }
            }
        }
        paints.sort(); interactive.sort()
        print("  first contentful paint: median \(BenchMeasure.format(BenchMeasure.quantile(paints, 0.5), 0)) ms (min \(BenchMeasure.format(paints.first ?? .nan, 0)), max \(BenchMeasure.format(paints.last ?? .nan, 0))) over \(paints.count) loads")
        print("  time to interactive (problems rendered): median \(BenchMeasure.format(BenchMeasure.quantile(interactive, 0.5), 0)) ms (min \(BenchMeasure.format(interactive.first ?? .nan, 0)), max \(BenchMeasure.format(interactive.last ?? .nan, 0)))")
    }

    /// Times one `curl` of each of the dashboard's first API calls (process start included).
    private static func timeAPI(base: String, token: String) {
        for path in ["/api/summary", "/api/problems?limit=100", "/api/cameras?limit=100"] {
            let t = ContinuousClock.now
            _ = BenchMeasure.run("/usr/bin/curl", ["-fs", "-o", "/dev/null", "-H", "Authorization: Bearer \(token)", base + path])
            print("  GET \(path): \(BenchMeasure.format(BenchMeasure.seconds(ContinuousClock.now - t) * 1000, 0)) ms (curl, incl. process start)")
        }
    }
}
