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
        // The browser signs in as this admin; curl uses its API token (bcrypt cost 4: a benchmark account).
        let accounts = try AccountStore(dataDir: dir, bcryptCost: 4)
        let password = MosquittoPasswordFile.randomPassword()
        _ = try accounts.addAccount(name: "bench", password: password, role: .admin)
        let token = try accounts.createToken(name: "bench", role: .admin, createdBy: "bench").secret
        let context = RuntimeContext(configuration: runtime, endpoint: BrokerEndpoint(host: "127.0.0.1", port: broker.port,
                                                                                     servicePasswords: broker.servicePasswords), logger: logger)
        let service = try GatewayService(context: context, configuration: gateway)
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: logger))
        let running = Task { try await group.run() }
        // Definitions as the registry publishes them, statuses as the issues service does (the ACL allows each only its own).
        func client(_ role: BrokerRole) -> MQTTClient {
            let account = ServiceConnection.outbox.clientID(instance: runtime.instance, service: role.rawValue)
            return MQTTClient(configuration: .init(port: broker.port, clientID: account, cleanStart: true, username: account,
                                                   password: broker.servicePasswords[account], sendMaximum: 1000), logger: logger)
        }
        let registry = client(.registry), issues = client(.issues)
        for client in [registry, issues] { client.start(); try await client.waitUntilConnected() }

        let started = ContinuousClock.now
        let now = Date()
        let downCount = Int(Double(cameras) * down)
        let outageSite = "site-0"
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for n in 0..<cameras {
                if inFlight >= 256 { try await group.next(); inFlight -= 1 }
                inFlight += 1
                group.addTask {
                    let id = String(format: "CAM-%06d", n)
                    let site = n < 50 ? outageSite : "site-\(n % 2000)"
                    let camera = CameraDefinition(id: id, name: "카메라 \(n)", address: "10.\(n >> 16 & 255).\(n >> 8 & 255).\(n & 255)", site: site,
                                                  lineTeam: "line-\(n % 50)", vendor: "vendor-\(n % 20)", createdAt: now, updatedAt: now, version: 1)
                    try await registry.publish("cctv/\(id)/config", payload: ContractCodec.encode(Envelope(type: .cameraConfig, source: "bench", data: camera)), retain: true, timeout: nil)
                    let state: CameraState = n < downCount ? (n % 3 == 0 ? .cameraDown : .lineDown) : .ok
                    let health = CameraHealth(cameraID: id, state: state, icmp: state == .lineDown ? .timeout : .success, hls: state == .cameraDown ? .fail : .success,
                                              reason: state == .ok ? "ok" : state == .lineDown ? "no_reply" : "playlist_stale", since: now.addingTimeInterval(-Double(n % 3600)), updatedAt: now)
                    try await issues.publish("cctv/\(id)/status", payload: ContractCodec.encode(Envelope(type: .cameraStatus, source: "bench", data: health)), retain: true, timeout: nil)
                }
            }
            try await group.waitForAll()
        }
        let base = "http://127.0.0.1:\(gateway.port)"
        let deadline = ContinuousClock.now.advanced(by: .seconds(1800))
        while (try? service.store.summary().cameras) != cameras || (try? service.store.summary().byState["OK"] ?? 0) != cameras - downCount {
            guard ContinuousClock.now < deadline else { throw ValidationError("the gateway did not show \(cameras) cameras in 30 minutes") }
            try await Task.sleep(for: .milliseconds(500))
        }
        let loaded = BenchMeasure.seconds(ContinuousClock.now - started)
        print("dashboard benchmark: \(cameras) cameras (\(downCount) down) in the read store after \(BenchMeasure.format(loaded)) s")
        var paints: [Double] = [], interactive: [Double] = []
        for _ in 0..<runs {
            let (status, output) = BenchMeasure.run("/usr/bin/python3", [driver, "timing", "--base", base, "--artifacts", dir + "/shots", "--arg", "cameras=\(cameras)",
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
        for path in ["/api/summary", "/api/problems?limit=100", "/api/cameras?limit=100"] {
            let t = ContinuousClock.now
            _ = BenchMeasure.run("/usr/bin/curl", ["-fs", "-o", "/dev/null", "-H", "Authorization: Bearer \(token)", base + path])
            print("  GET \(path): \(BenchMeasure.format(BenchMeasure.seconds(ContinuousClock.now - t) * 1000, 0)) ms (curl, incl. process start)")
        }
        for client in [registry, issues] { await client.shutdown() }
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}
