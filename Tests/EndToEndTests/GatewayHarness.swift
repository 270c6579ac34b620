import AsyncHTTPClient
import CCTVContract
import Foundation
import Gateway
import Installation
import Issues
import Logging
import MQTTBus
import NIOSSL
import Prober
import ServiceRuntime
import TestSupport

/// The registry, the issues service and the gateway (and optionally the prober) wired as `serve`
/// wires them (``TestInstallation``) on a real mosquitto, with every log line captured: what the
/// REST security tests drive.
final class GatewayHarness: @unchecked Sendable {
    let running: TestInstallation
    let rest: RESTCaller
    let http: HTTPClient
    let tool: MQTTClient
    let logs: CapturedLogs

    var broker: MosquittoFixture { running.broker }
    var dataDir: String { running.dataDir }
    var issues: IssuesService { running.installation.issues! }

    /// - Parameters:
    ///   - prober: also run the prober (HLS checks of the cameras' streams, real ICMP).
    ///   - notifier: also run the notifier (who is told: the console's notification setup).
    ///   - configure: changes to the configuration (incidents open and resolve on one result).
    init(prober: Bool = false, notifier: Bool = false, configure: (inout InstallationConfiguration) -> Void = { _ in }) async throws {
        let logs = CapturedLogs()
        self.logs = logs
        var logger = Logger(label: "harness") { label in logs.handler(label: label) }
        logger.logLevel = .debug
        running = try TestInstallation([.registry, .issues, .gateway] + (prober ? [.prober] : []) + (notifier ? [.notifier] : []), logger: logger) { configuration in
            configuration.issues.policy.openAfter = 1
            configuration.issues.policy.recoverAfter = 1
            configuration.prober.interval = 1
            configuration.prober.hlsTimeout = 3
            configure(&configuration)
        }
        let gateway = running.configuration.gateway
        // Its own client: no redirects followed (the tests look at them), and closed before the
        // gateway stops, which otherwise waits for idle keep-alive connections to drain.
        var client = HTTPClient.Configuration(redirectConfiguration: .disallow)
        if let certificate = gateway.tlsCertificate {
            // HTTPS: trust the test certificate (its own CA), nothing else.
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(certificate)
            client.tlsConfiguration = tls
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: client)
        rest = RESTCaller(base: "\(gateway.https ? "https" : "http")://127.0.0.1:\(gateway.port)", http: http)
        tool = MQTTClient(configuration: .init(port: running.broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
        // Commands sent before a service subscribed would be lost: wait for their retained availability.
        let availability = try await Collector.subscribing(tool, to: "services/+/availability")
        tool.start()
        try await tool.waitUntilConnected()
        let expected = ["registry", "issues", "gateway"] + (prober ? ["prober"] : []) + (notifier ? ["notifier"] : [])
        guard await eventually(timeout: .seconds(20), {
            let online = Set(availability.all.filter { $0.text == "online" }.compactMap { $0.topic.split(separator: "/").dropFirst().first.map(String.init) })
            return online.isSuperset(of: expected)
        }) else { throw FixtureError("the services did not come online") }
        let rest = self.rest
        guard await eventually(timeout: .seconds(20), { (try? await rest.call(.GET, "/healthz").status) == 200 }) else {
            throw FixtureError("the gateway did not come up")
        }
    }

    /// Publishes one ICMP result for `camera` as the prober would (this test broker has no ACL).
    func publishICMP(_ camera: String, _ status: ICMPStatus) async throws {
        let result = ICMPResult(cameraID: camera, address: "127.0.0.1", status: status, reason: status == .success ? "ok" : "no_reply",
                                sent: 1, received: status == .success ? 1 : 0, lossPercent: status == .success ? 0 : 100,
                                startedAt: Date(), durationMs: 1, prober: "test")
        try await tool.publish("cctv/\(camera)/icmp", payload: ContractCodec.encode(Envelope(type: .probeICMP, source: "prober", data: result)))
    }

    /// Stops everything; the data folder is removed unless `keepData` (the caller removes it).
    func stop(keepData: Bool = false) async {
        try? await http.shutdown()
        await tool.shutdown()
        await running.stop(keepData: keepData)
    }
}

/// Every log line the services write during a test, kept in memory so a test can search them.
final class CapturedLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var all: [String] { lock.withLock { lines } }

    func handler(label: String) -> any LogHandler {
        CapturingHandler(label: label, sink: self)
    }

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    struct CapturingHandler: LogHandler {
        let label: String
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
            sink.append("\(event.level) \(label): \(event.message) \(all.map { "\($0)=\($1)" }.sorted().joined(separator: " "))\(event.error.map { " error=\($0)" } ?? "")")
        }
    }
}
