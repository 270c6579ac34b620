import Foundation
import Gateway
import Issues
import Logging
import Notifier
import Prober
import Registry
import ServiceLifecycle
import ServiceRuntime
import UnixSignals

/// Any subset of CCTV Out's services in one process, built from typed configuration against one
/// broker: what `serve` and each service command run, and what tests and benchmarks start on a
/// test mosquitto, so all three wire services the same way.
///
/// ```swift
/// var configuration = InstallationConfiguration()
/// configuration.issues.policy.openAfter = 1
/// let installation = try Installation([.issues, .notifier], configuration: configuration,
///                                     endpoint: BrokerEndpoint(host: "127.0.0.1", port: port), logger: logger)
/// try await installation.run()          // until shutdown() or a signal
/// ```
public final class Installation: Sendable {
    public let context: RuntimeContext
    public let kinds: [ServiceKind]
    public let registry: RegistryService?
    public let prober: ProberService?
    public let issues: IssuesService?
    public let notifier: NotifierService?
    public let gateway: GatewayService?
    let group: ServiceGroup

    /// Builds the services (each opens its store; nothing runs until ``run()``).
    /// - Parameters:
    ///   - kinds: which services, started in ``ServiceKind`` order and stopped in reverse.
    ///   - icmp: the prober's ICMP adapter; by default the fleet engine (raw or datagram sockets).
    ///   - signals: signals that start a graceful shutdown (`serve` passes SIGTERM and SIGINT).
    public init(_ kinds: [ServiceKind], configuration: InstallationConfiguration, endpoint: BrokerEndpoint, logger: Logger,
                icmp: (any ICMPProbing)? = nil, hls: HLSChecker? = nil, signals: [UnixSignal] = []) throws {
        let kinds = ServiceKind.allCases.filter(kinds.contains)
        // Only the registry's store speaks PostgreSQL so far; the others must not silently fall back.
        if configuration.runtime.database != nil, let sqliteOnly = kinds.first(where: { [.issues, .notifier].contains($0) }) {
            throw SettingsError.invalid(key: "database", value: "postgres://…",
                                        expected: "empty for the \(sqliteOnly.rawValue) service: it keeps its data in SQLite only so far (the registry uses PostgreSQL; the gateway's read store and the prober need none)")
        }
        let context = RuntimeContext(configuration: configuration.runtime, endpoint: endpoint, logger: logger)
        self.context = context
        self.kinds = kinds
        registry = kinds.contains(.registry) ? try RegistryService(context: context) : nil
        if kinds.contains(.prober) {
            let probe = try icmp ?? EngineICMPProbe(configuration: configuration.prober, logger: context.logger(for: "prober"))
            prober = ProberService(context: context, configuration: configuration.prober, icmp: probe, hls: hls)
        } else {
            prober = nil
        }
        issues = kinds.contains(.issues) ? try IssuesService(context: context, configuration: configuration.issues) : nil
        notifier = kinds.contains(.notifier) ? try NotifierService(context: context, configuration: configuration.notifier) : nil
        gateway = kinds.contains(.gateway) ? try GatewayService(context: context, configuration: configuration.gateway) : nil
        // The process's health signal (`health.port`): first in, last out, so it answers 503 while
        // the services start and stop.
        let health: (any Service)? = configuration.runtime.healthPort > 0
            ? HealthEndpoint(board: context.health, host: configuration.runtime.healthHost, port: configuration.runtime.healthPort, logger: context.logger(for: "health"))
            : nil
        let all: [(any Service)?] = [health, registry, prober, issues, notifier, gateway]
        let services = all.compactMap { $0 }
        group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: signals, logger: logger))
    }

    /// Runs every service until ``shutdown()``, a configured signal, or one of them fails.
    public func run() async throws {
        try await group.run()
    }

    /// Stops every service gracefully, in reverse start order.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }
}
