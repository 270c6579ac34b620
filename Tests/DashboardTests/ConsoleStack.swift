import AsyncHTTPClient
import CCTVContract
import Foundation
import Gateway
import Issues
import Logging
import NIOCore
import Notifier
import Prober
import Registry
import ServiceLifecycle
import ServiceRuntime
import TestSupport

/// The whole product on loopback for the browser tests: a real mosquitto, the five services (real
/// ICMP against 127.86.x.y addresses), webhooks answered by an `HTTPSink`, and a REST client.
final class ConsoleStack: @unchecked Sendable {
    let broker: MosquittoFixture
    let sink: HTTPSink
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    let dataDir: String
    let port: Int
    let group: ServiceGroup
    let running: Task<Void, any Error>
    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts every service; `configure` may change the settings first.
    init(configure: (inout Settings) -> Void = { _ in }) async throws {
        broker = try MosquittoFixture()
        sink = try await HTTPSink()
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("console-\(UUID().uuidString)").path
        port = try FreePort.find()
        var settings = try Settings(arguments: [], environment: [:])
        settings.set("data-dir", dataDir)
        settings.set("http.host", "127.0.0.1")
        settings.set("http.port", "\(port)")
        settings.set("prober.interval", "10")
        settings.set("prober.icmp-count", "1")
        settings.set("prober.icmp-timeout", "0.5")
        settings.set("prober.hls-timeout", "3")
        settings.set("issues.open-after", "2")
        settings.set("issues.recover-after", "2")
        settings.set("notifier.webhook.line-team", sink.url("/line-team"))
        settings.set("notifier.webhook.vendor", sink.url("/vendor"))
        settings.set("instance", "console-\(UUID().uuidString.prefix(6))")
        configure(&settings)
        var logger = Logger(label: "console-e2e")
        logger.logLevel = .warning
        Observability.bootstrapMetrics()
        let context = RuntimeContext(settings: settings, endpoint: BrokerEndpoint(host: "127.0.0.1", port: broker.port), logger: logger)
        let services: [any Service] = [
            try RegistryService(context: context),
            try ProberService(context: context, icmp: try EngineICMPProbe(settings: settings, logger: logger)),
            try IssuesService(context: context),
            try NotifierService(context: context),
            try GatewayService(context: context),
        ]
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
        self.group = group
        running = Task { try await group.run() }
        let http = http, base = "http://127.0.0.1:\(port)"
        guard await eventually(timeout: .seconds(30), { (try? await Self.call(http, "GET", base + "/api/summary").status) == 200 }) else {
            throw FixtureError("the gateway did not come up on \(base)")
        }
    }

    /// Stops everything (the HTTP client first: the gateway drains open connections on shutdown).
    func stop() async {
        try? await http.shutdown()
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        sink.stop()
        broker.stop()
        try? FileManager.default.removeItem(atPath: dataDir)
    }

    /// One REST call; returns status and body.
    func call(_ method: String, _ path: String, body: Data? = nil, contentType: String = "application/json") async throws -> (status: Int, body: String) {
        try await Self.call(http, method, base + path, body: body, contentType: contentType)
    }

    static func call(_ http: HTTPClient, _ method: String, _ url: String, body: Data? = nil, contentType: String = "application/json") async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 24)))
    }

    /// A JSON object from `GET path`.
    func json(_ path: String) async throws -> [String: Any] {
        let answer = try await call("GET", path)
        guard answer.status == 200, let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any] else {
            throw FixtureError("GET \(path) → \(answer.status): \(answer.body.prefix(300))")
        }
        return object
    }

    /// Imports `csv` (applied) and waits until the read side has `expected` cameras.
    func importFleet(_ csv: String, expected: Int) async throws {
        let started = try await call("POST", "/api/imports?mode=apply&format=csv", body: Data(csv.utf8), contentType: "text/csv")
        guard started.status == 202 else { throw FixtureError("import refused: \(started.status) \(started.body.prefix(500))") }
        let done = await eventually(timeout: .seconds(120), every: .milliseconds(250)) {
            ((try? await self.json("/api/cameras?limit=1"))?["total"] as? Int) == expected
        }
        guard done else { throw FixtureError("the read side never showed \(expected) cameras") }
    }
}
