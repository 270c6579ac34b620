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
package final class Installation: Sendable {
    package let context: RuntimeContext
    package let kinds: [ServiceKind]
    package let registry: RegistryService?
    package let prober: ProberService?
    package let issues: IssuesService?
    package let notifier: NotifierService?
    package let gateway: GatewayService?
    let group: ServiceGroup

    /// Builds the services (each opens its store; nothing runs until ``run()``).
    /// - Parameters:
    ///   - kinds: which services, started in ``ServiceKind`` order and stopped in reverse.
    ///   - icmp: the prober's ICMP adapter; by default the fleet engine (raw or datagram sockets).
    ///   - signals: signals that start a graceful shutdown (`serve` passes SIGTERM and SIGINT).
    ///   - broker: the private broker to supervise (restarted when it dies); it is started before
    ///     and stopped after every service, so each can still say `offline`.
    ///   - shutdownBudget: with a value, a ``ShutdownWatchdog`` ends the process when a graceful
    ///     shutdown takes longer (the commands pass 4.5 s: Docker sends SIGKILL at 10 s).
    package init(_ kinds: [ServiceKind], configuration: InstallationConfiguration, endpoint: BrokerEndpoint, logger: Logger,
                icmp: (any ICMPProbing)? = nil, hls: HLSChecker? = nil, signals: [UnixSignal] = [],
                supervising broker: PrivateBroker? = nil, shutdownBudget: Duration? = nil) throws {
        let kinds = ServiceKind.allCases.filter(kinds.contains)
        // Every store that keeps data speaks PostgreSQL too (registry, issues, notifier); the gateway's read
        // store and the prober need none.
        var runtime = configuration.runtime
        // "No result for two intervals" follows the prober's own interval.
        runtime.selfWatch.proberInterval = configuration.prober.interval
        let context = RuntimeContext(configuration: runtime, endpoint: endpoint, logger: logger)
        self.context = context
        self.kinds = kinds
        registry = kinds.contains(.registry) ? try RegistryService(context: context, configuration: configuration.registry) : nil
        if kinds.contains(.prober) {
            let probe = try icmp ?? EngineICMPProbe(configuration: configuration.prober, logger: context.logger(for: "prober"))
            prober = ProberService(context: context, configuration: configuration.prober, icmp: probe, hls: hls)
        } else {
            prober = nil
        }
        issues = kinds.contains(.issues) ? try IssuesService(context: context, configuration: configuration.issues) : nil
        notifier = kinds.contains(.notifier) ? try NotifierService(context: context, configuration: configuration.notifier) : nil
        gateway = kinds.contains(.gateway) ? try GatewayService(context: context, configuration: configuration.gateway) : nil
        // Every step of a shutdown is logged ("stopping gateway", "gateway stopped after_s=0.26").
        let named: [(String, (any Service)?)] = [("registry", registry), ("prober", prober), ("issues", issues), ("notifier", notifier), ("gateway", gateway)]
        var services: [any Service] = named.compactMap { name, service in service.map { LoggedService(name, $0, logger: logger) } }
        if let broker { services.insert(LoggedService("private mosquitto supervisor", broker, logger: logger), at: 0) }
        // The process's health signal (`health.port`): first in, last out, so it answers 503 while
        // the services start and stop.
        if configuration.runtime.healthPort > 0 {
            services.insert(HealthEndpoint(board: context.health, host: configuration.runtime.healthHost, port: configuration.runtime.healthPort,
                                           logger: context.logger(for: "health")), at: 0)
        }
        // Returns freed heap to the system after bursts (imports, storms); see HeapTrim for the numbers.
        services.append(HeapTrim())
        // Last, so it is the first to hear of a shutdown.
        if let shutdownBudget { services.append(ShutdownWatchdog(budget: shutdownBudget, logger: logger)) }
        group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: signals, logger: logger))
    }

    /// Runs every service until ``shutdown()``, a configured signal, or one of them fails.
    package func run() async throws {
        try await group.run()
    }

    /// Stops every service gracefully, in reverse start order.
    package func shutdown() async {
        await group.triggerGracefulShutdown()
    }
}
