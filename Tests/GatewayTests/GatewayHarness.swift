import AsyncHTTPClient
import Foundation
import Gateway
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import ServiceRuntime
import TestSupport

/// A service of the product (gateway, registry…) on a real broker with its own data folder and
/// HTTP port, started in its own service group and stopped by `stop()`.
final class ServiceHarness: @unchecked Sendable {
    let settings: Settings
    let dataDir: String
    let httpPort: Int
    let logger: Logger
    private var group: ServiceGroup?
    private var running: Task<Void, any Error>?

    init(brokerPort: Int, _ overrides: [String: String] = [:], dataDir: String? = nil, instance: String? = nil) throws {
        self.dataDir = dataDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("gw-\(UUID().uuidString)").path
        httpPort = try FreePort.find()
        var settings = try Settings(arguments: [], environment: [:])
        settings.set("data-dir", self.dataDir)
        settings.set("instance", instance ?? "gt-\(UUID().uuidString.prefix(6))")
        settings.set("http.host", "127.0.0.1")
        settings.set("http.port", "\(httpPort)")
        for (key, value) in overrides { settings.set(key, value) }
        self.settings = settings
        var logger = Logger(label: "gateway-test")
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG"] == nil ? .critical : .debug
        self.logger = logger
        self.brokerPort = brokerPort
    }
    let brokerPort: Int

    var context: RuntimeContext { RuntimeContext(settings: settings, endpoint: BrokerEndpoint(host: "127.0.0.1", port: brokerPort), logger: logger) }

    /// Starts `service` (made from this harness's context).
    func start(_ service: any Service) {
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: logger))
        self.group = group
        running = Task { try await group.run() }
    }

    func stop() async {
        await group?.triggerGracefulShutdown()
        _ = try? await running?.value
        group = nil
        running = nil
    }

    func removeData() { try? FileManager.default.removeItem(atPath: dataDir) }

    var api: String { "http://127.0.0.1:\(httpPort)/api" }
}

struct HTTPAnswer {
    var status: Int
    var body: String
    var headers: [String: String]
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }
}

func http(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, body: String? = nil, headers: [String: String] = [:]) async throws -> HTTPAnswer {
    var request = HTTPClientRequest(url: url)
    request.method = method
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
    }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    let response = try await client.execute(request, timeout: .seconds(20))
    let collected = try await response.body.collect(upTo: 1 << 22)
    var fields: [String: String] = [:]
    for header in response.headers { fields[header.name.lowercased()] = header.value }
    return HTTPAnswer(status: Int(response.status.code), body: String(buffer: collected), headers: fields)
}
