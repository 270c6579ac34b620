import AsyncHTTPClient
import CCTVContract
import Foundation
import Gateway
import Logging
import MQTTBus
import NIOCore
import ServiceRuntime
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The product as separate `cctv-out` processes (registry, issues, notifier, gateway) around a
/// real mosquitto with persistence, the test playing the prober. While 2,000 cameras fail in four
/// waves, the issues service, the notifier, the gateway and mosquitto are each SIGKILLed and
/// restarted, one per wave, right after that wave's first notice.
@Suite("chaos: every part SIGKILLed mid-storm", .serialized, .runsAlone)
struct ChaosTests {
    static let cameras = 2_000
    static let waves = 4

    @Test("2,000 failing cameras while issues, notifier, gateway and mosquitto are SIGKILLed in turn: every incident announced exactly once per channel")
    func killEveryPartMidStorm() async throws {
        try #require(ProductBinary.isBuilt, "build cctv-out first (swift build --build-tests): \(ProductBinary.path)")
        // mosquitto saves every 2 s: its SIGKILL loses what arrived since (results, issue events,
        // acknowledgements, retained statuses), which the owners must publish again.
        let broker = try MosquittoFixture(autosaveInterval: 2)
        defer { broker.stop() }
        let sink = try await HTTPSink()
        defer { sink.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let httpPort = try FreePort.find()
        let common = ["--broker-url", "mqtt://127.0.0.1:\(broker.port)", "--data-dir", dir, "--instance", "chaos-\(UUID().uuidString.prefix(6))",
                      "--log-level", "warning"]
        let arguments: [String: [String]] = [
            "registry": ["registry"] + common,
            "issues": ["issues"] + common + ["--issues-open-after", "2", "--issues-ack-timeout", "2", "--issues-storm-min", "0"],
            "notifier": ["notifier"] + common + ["--notifier-webhook-line-team", sink.url("/line"), "--notifier-webhook-operators", sink.url("/ops")],
            "gateway": ["gateway"] + common + ["--http-host", "127.0.0.1", "--http-port", "\(httpPort)"],
        ]
        let processes = Processes(directory: dir, arguments: arguments)
        defer { processes.stopAll() }
        for name in ["registry", "issues", "notifier", "gateway"] { try processes.start(name) }

        var logger = Logger(label: "chaos")
        logger.logLevel = .critical
        let prober = MQTTClient(configuration: .init(port: broker.port, clientID: "chaos-prober-\(UUID().uuidString.prefix(6))",
                                                     reconnectDelay: (0.2, 1)), logger: logger)
        let availability = try await Collector.subscribing(prober, to: "services/+/availability")
        prober.start()
        try await prober.waitUntilConnected()
        for name in ["registry", "issues", "notifier", "gateway"] {
            #expect(await availability.first(timeout: .seconds(60)) { $0.topic == "services/\(name)/availability" && $0.text == "online" } != nil,
                    "\(name) came up")
        }

        // The fleet, through the registry's bulk import.
        let ids = (0..<Self.cameras).map { String(format: "CAM-C%04d", $0) }
        try await importFleet(ids, through: prober)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = http.shutdown() }
        let api = SummaryEndpoint(base: "http://127.0.0.1:\(httpPort)/api", token: try TestAccounts.token(dataDir: dir, role: .viewer))
        #expect(await eventually(timeout: .seconds(60)) { (try? await summary(http, api))?.cameras == Self.cameras }, "the gateway has the fleet")

        // The storm: wave k fails from its start on; each part is killed right after its wave's first notice.
        let announced = Announcements(sink: sink)
        let failing = FailingCameras()
        let publishing = Task { await publishResults(ids, failing: failing, announced: announced, prober: prober) }
        defer { publishing.cancel() }
        let victims: [(String, () throws -> Void)] = [
            ("issues", { try processes.kill("issues", restart: true) }),
            ("notifier", { try processes.kill("notifier", restart: true) }),
            ("gateway", { try processes.kill("gateway", restart: true) }),
            ("mosquitto", { broker.kill(); try broker.startAgain() }),
        ]
        let perWave = Self.cameras / Self.waves
        let stormStart = ContinuousClock.now
        for (wave, victim) in victims.enumerated() {
            let waveIDs = Set(ids[(wave * perWave)..<((wave + 1) * perWave)])
            failing.count.store((wave + 1) * perWave, ordering: .releasing)
            #expect(await eventually(timeout: .seconds(60)) { !announced.cameras(on: "/line").isDisjoint(with: waveIDs) },
                    "wave \(wave + 1) is being announced")
            try victim.1()
            print("chaos: \(BenchClock.since(stormStart)) s: wave \(wave + 1) announcing, \(victim.0) SIGKILLed and restarted (\(announced.cameras(on: "/line").count) cameras announced so far)")
        }

        // Everything announced on both channels …
        let all = Set(ids)
        #expect(await eventually(timeout: .seconds(90)) { announced.cameras(on: "/line") == all && announced.cameras(on: "/ops") == all },
                "line team told of \(announced.cameras(on: "/line").count), operators of \(announced.cameras(on: "/ops").count) of \(Self.cameras)")
        // … and nothing more: republished events (same ids) and the prober still seeing every camera
        // down must not become second notices.
        publishing.cancel()
        await publishFailures(ids, prober: prober)
        try await Task.sleep(for: .seconds(6)) // three acknowledgement time-outs for a late duplicate to show up
        let duplicates = announced.duplicates()
        #expect(duplicates.isEmpty, "announced more than once: \(duplicates.prefix(10))")
        let incidents = announced.incidentsPerCamera()
        #expect(incidents.values.allSatisfy { $0 == 1 }, "cameras with more than one incident: \(incidents.filter { $0.value > 1 }.count)")
        let allDown = await eventually(timeout: .seconds(60)) { (try? await summary(http, api))?.byState["LINE_DOWN"] == Self.cameras }
        let shown = try? await summary(http, api)
        #expect(allDown, "the restarted gateway shows every camera down: \(String(describing: shown))")
        print("chaos: \(BenchClock.since(stormStart)) s: \(Self.cameras) incidents, \(sink.all.count) webhook requests for \(2 * Self.cameras) notices "
              + "(\(sink.all.count - 2 * Self.cameras) resent with the same delivery id), gateway open incidents: "
              + "\(shown?.openIssues ?? -1)")
        await prober.shutdown()
    }

    /// Creates the fleet with the registry's import commands (1,000 rows per batch).
    private func importFleet(_ ids: [String], through client: MQTTClient) async throws {
        func send(_ command: RegistryCommand) async throws -> RegistryReply {
            let answer = try await client.request(Topics().registryCommands(from: "chaos-test"), payload: ContractCodec.encode(Envelope(type: .registryCommand, source: "chaos", data: command)),
                                                  timeout: .seconds(60))
            return try ContractCodec.decode(answer.payload, as: RegistryReply.self, expecting: [.registryReply]).data
        }
        let importID = "chaos-\(UUID().uuidString.prefix(8))"
        _ = try await send(RegistryCommand(.importBegin(importID: importID, columns: [.id, .address])))
        for start in stride(from: 0, to: ids.count, by: 1_000) {
            let rows = ids[start..<min(ids.count, start + 1_000)].enumerated().map { offset, id in
                let n = start + offset
                return ImportRow(row: n + 2, camera: CameraInput(id: id, address: "127.81.\(10 + n / 250).\(n % 250 + 1)"))
            }
            let reply = try await send(RegistryCommand(.importRows(importID: importID, rows: rows)))
            try #require(reply.ok, "import rows: \(String(describing: reply.error))")
        }
        let committed = try await send(RegistryCommand(.importCommit(importID: importID, skipInvalid: false)))
        try #require(committed.ok, "import commit: \(String(describing: committed.error))")
    }
}

/// The cctv-out processes of the run, by service name.
private final class Processes: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [String: ChildProcess] = [:]
    let directory: String
    let arguments: [String: [String]]

    init(directory: String, arguments: [String: [String]]) {
        self.directory = directory
        self.arguments = arguments
    }

    func start(_ name: String) throws {
        let process = try ChildProcess.dyingWithTests(executable: ProductBinary.path, arguments: arguments[name]!, logFile: "\(directory)/\(name).log")
        lock.withLock { running[name] = process }
    }

    func kill(_ name: String, restart: Bool) throws {
        guard let process = lock.withLock({ running[name] }) else { return }
        process.send(SIGKILL)
        _ = process.waitForExit(timeout: 10)
        if restart { try start(name) }
    }

    func stopAll() {
        for process in lock.withLock({ Array(running.values) }) { process.stop() }
    }
}

/// What the webhook receiver got, read as notices: (channel path, incident, event) → delivery ids.
private struct Announcements: Sendable {
    let sink: HTTPSink

    private struct Notice: Hashable { var path: String; var issue: String; var camera: String; var event: String; var delivery: String }

    private var notices: [Notice] {
        sink.all.compactMap { request in
            guard let json = request.json, let delivery = json["deliveryID"] as? String, let issue = json["issue"] as? [String: Any],
                  let issueID = issue["id"] as? String, let camera = issue["cameraID"] as? String else { return nil }
            return Notice(path: request.path, issue: issueID, camera: camera, event: (json["event"] as? String) ?? "?", delivery: delivery)
        }
    }

    /// Cameras announced on `path` so far.
    func cameras(on path: String) -> Set<String> { Set(notices.filter { $0.path == path }.map(\.camera)) }

    /// Notices sent under more than one delivery id (a resend of one delivery keeps its id).
    func duplicates() -> [String] {
        Dictionary(grouping: Set(notices), by: { "\($0.path) \($0.issue) \($0.event)" }).filter { $0.value.count > 1 }.map(\.key)
    }

    /// Distinct incidents announced per camera.
    func incidentsPerCamera() -> [String: Int] {
        Dictionary(grouping: notices, by: \.camera).mapValues { Set($0.map(\.issue)).count }
    }
}

/// How many cameras fail so far: a prefix of the fleet.
private final class FailingCameras: Sendable {
    let count = Atomic<Int>(0)
}

/// The simulated prober: every 2 s (the cameras' interval) a TIMEOUT result for each failing
/// camera not yet announced on both channels (results lost with a killed process or broker are
/// simply followed by the next ones, as with a real prober).
private func publishResults(_ ids: [String], failing: FailingCameras, announced: Announcements, prober: MQTTClient) async {
    while !Task.isCancelled {
        let count = failing.count.load(ordering: .acquiring)
        let done = announced.cameras(on: "/line").intersection(announced.cameras(on: "/ops"))
        await publishFailures(ids.prefix(count).filter { !done.contains($0) }, prober: prober)
        try? await Task.sleep(for: .seconds(2))
    }
}

/// One TIMEOUT result per camera, QoS 1, 64 in flight.
private func publishFailures(_ ids: [String], prober: MQTTClient) async {
    await withTaskGroup(of: Void.self) { group in
        var inFlight = 0
        for id in ids {
            if inFlight >= 64 { await group.next(); inFlight -= 1 }
            group.addTask {
                let result = ICMPResult(cameraID: id, address: "127.81.0.1", status: .timeout, reason: "no_reply", sent: 1, received: 0,
                                        lossPercent: 100, startedAt: Date(), durationMs: 1000, prober: "chaos")
                try? await prober.publish("cctv/\(id)/icmp", payload: ContractCodec.encode(Envelope(type: .probeICMP, source: "prober", data: result)),
                                          timeout: .seconds(5))
            }
            inFlight += 1
        }
    }
}

private enum BenchClock {
    static func since(_ start: ContinuousClock.Instant) -> String {
        let elapsed = ContinuousClock.now - start
        return String(format: "%.1f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

private struct Summary: Decodable { var cameras: Int; var byState: [String: Int]; var openIssues: Int }

/// Where the gateway answers and the token it is asked with.
private struct SummaryEndpoint {
    var base: String
    var token: String
}

private func summary(_ http: HTTPClient, _ api: SummaryEndpoint) async throws -> Summary {
    var request = HTTPClientRequest(url: "\(api.base)/summary")
    request.headers.add(name: "Authorization", value: "Bearer \(api.token)")
    let response = try await http.execute(request, timeout: .seconds(10))
    guard response.status == .ok else { throw FixtureError("GET /api/summary answered \(response.status)") }
    let body = try await response.body.collect(upTo: 1 << 20)
    return try JSONDecoder().decode(Summary.self, from: Data(body.readableBytesView))
}
