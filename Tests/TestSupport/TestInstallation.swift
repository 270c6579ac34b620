import Foundation
import Installation
import Logging
import Prober
import ServiceRuntime

/// Any subset of the services running in this test process on a test mosquitto, wired exactly as
/// `serve` wires them (``Installation``), with a fresh data folder and a unique instance name so
/// tests can run side by side. Stop it with ``stop()`` (tests call it in `defer`-like cleanup).
///
/// ```swift
/// let running = try TestInstallation([.issues]) { $0.issues.policy.openAfter = 2 }
/// defer { Task { await running.stop() } }
/// ```
package final class TestInstallation: Sendable {
    package let broker: MosquittoFixture
    package let installation: Installation
    package let configuration: InstallationConfiguration
    package let dataDir: String
    private let ownsBroker: Bool
    private let running: Task<Void, any Error>

    /// Builds and starts the services.
    /// - Parameters:
    ///   - kinds: the services to run.
    ///   - broker: a broker to share (e.g. to restart it in the test); by default a new one this fixture owns.
    ///   - logger: defaults to a quiet logger (warnings and worse).
    ///   - icmp, hls: replacements for the prober's adapters.
    ///   - configure: changes to the default configuration (the data folder and instance are already set).
    package init(_ kinds: [ServiceKind], broker: MosquittoFixture? = nil, logger: Logger? = nil,
                icmp: (any ICMPProbing)? = nil, hls: HLSChecker? = nil,
                configure: (inout InstallationConfiguration) throws -> Void = { _ in }) throws {
        ownsBroker = broker == nil
        let broker = try broker ?? MosquittoFixture()
        self.broker = broker
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("inst-\(UUID().uuidString)").path
        var configuration = InstallationConfiguration()
        configuration.runtime.dataDir = dataDir
        configuration.runtime.instance = "t-\(UUID().uuidString.prefix(8))"
        configuration.gateway.host = "127.0.0.1"
        configuration.gateway.port = try FreePort.find()
        // No reference address: tests send packets only to loopback (a test sets its own).
        configuration.prober.reference = "none"
        try configure(&configuration)
        self.configuration = configuration
        var quiet = Logger(label: "test-installation")
        quiet.logLevel = .warning
        Observability.bootstrapMetrics()
        let installation = try Installation(kinds, configuration: configuration, endpoint: broker.endpoint, logger: logger ?? quiet, icmp: icmp, hls: hls)
        self.installation = installation
        running = Task { try await installation.run() }
    }

    /// The gateway's base URL, `http://127.0.0.1:PORT`.
    package var baseURL: String { "http://127.0.0.1:\(configuration.gateway.port)" }

    /// Stops every service gracefully, then the broker if this fixture started it, and removes the
    /// data folder unless `keepData` (a test that reads the files afterwards removes it itself).
    package func stop(keepData: Bool = false) async {
        await installation.shutdown()
        _ = try? await running.value
        if ownsBroker { broker.stop() }
        if !keepData { try? FileManager.default.removeItem(atPath: dataDir) }
    }
}

extension MosquittoFixture {
    /// Where services connect to this broker.
    package var endpoint: BrokerEndpoint { BrokerEndpoint(host: "127.0.0.1", port: port) }
}
