import ArgumentParser
import Foundation
import Gateway
import Issues
import Logging
import Notifier
import Prober
import Registry
import ServiceLifecycle
import ServiceRuntime

/// Options shared by every service command: passed straight to ``Settings``.
struct SettingsOptions: ParsableArguments {
    @Argument(parsing: .allUnrecognized, help: "Any configuration option, e.g. --broker-url mqtt://host:1883 --data-dir /var/lib/cctv-out (see `cctv-out config`).")
    var options: [String] = []

    func resolve() throws -> Settings {
        do { return try Settings(arguments: options) } catch { throw ValidationError(error.description) }
    }
}

/// Which services a command runs.
enum ServiceKind: String, CaseIterable {
    case registry, prober, issues, notifier, gateway
}

/// Starts the chosen services in one process with graceful shutdown on SIGTERM/SIGINT: every
/// step logged, the private broker (with `serve`) supervised and stopped last, and the whole
/// shutdown bounded by a ``ShutdownWatchdog``.
enum Launcher {
    static func run(_ kinds: [ServiceKind], settings: Settings, privateBroker: Bool) async throws {
        Observability.bootstrap(logLevel: settings["log.level"])
        var logger = Logger(label: "cctv-out")
        logger[metadataKey: "instance"] = .string(settings["instance"])
        let began = ContinuousClock.now
        raiseOpenFileLimit(logger: logger)
        var broker: PrivateBroker?
        let endpoint: BrokerEndpoint
        if let url = settings.string("broker.url") {
            var parsed = try BrokerEndpoint.parse(url)
            parsed.username = settings.string("broker.username") ?? parsed.username
            parsed.password = settings.string("broker.password") ?? parsed.password
            parsed.caFile = settings.string("broker.ca-file")
            parsed.insecure = try settings.bool("broker.insecure")
            endpoint = parsed
        } else if privateBroker {
            let started = try await PrivateBroker.start(settings: settings, logger: logger)
            broker = started
            endpoint = BrokerEndpoint(host: "127.0.0.1", port: started.port)
        } else {
            endpoint = BrokerEndpoint(host: "127.0.0.1", port: try settings.int("broker.port", in: 1...65_535))
        }
        let context = RuntimeContext(settings: settings, endpoint: endpoint, logger: logger)
        // Started in this order and stopped in the reverse one: the broker last, so every service
        // can still say `offline`; the watchdog first, so it hears of the shutdown at once.
        var services: [any Service] = []
        if let broker { services.append(LoggedService("private mosquitto supervisor", broker, logger: logger)) }
        do {
            for kind in kinds {
                let service: any Service = switch kind {
                case .registry: try RegistryService(context: context)
                case .prober: try ProberService(context: context, icmp: try EngineICMPProbe(settings: settings, logger: context.logger(for: "prober")))
                case .issues: try IssuesService(context: context)
                case .notifier: try NotifierService(context: context)
                case .gateway: try GatewayService(context: context)
                }
                services.append(LoggedService(kind.rawValue, service, logger: logger))
            }
        } catch {
            broker?.stop()
            throw error
        }
        services.append(ShutdownWatchdog(logger: logger))
        logger.info("starting", metadata: ["services": "\(kinds.map(\.rawValue).joined(separator: ","))", "broker": "\(endpoint.host):\(endpoint.port)",
                                           "data": "\(settings["data-dir"])"])
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            broker?.stop()
            throw error
        }
        broker?.stop()
        logger.info("stopped", metadata: ["uptime_s": "\(Int((ContinuousClock.now - began).seconds))"])
    }

    /// Raises the soft open-file limit to the hard one: the gateway holds one descriptor per
    /// browser or API connection and each service a few SQLite files (the default soft limit on
    /// many systems is 1,024).
    static func raiseOpenFileLimit(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        let previous = limit.rlim_cur
        limit.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            logger.debug("raised the open-file limit", metadata: ["from": "\(previous)", "to": "\(limit.rlim_max)"])
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "All in one: a private mosquitto on loopback plus all five services; dashboard on http://localhost:8080.")
    @OptionGroup var settings: SettingsOptions
    func run() async throws {
        try await Launcher.run(ServiceKind.allCases, settings: settings.resolve(), privateBroker: true)
    }
}

struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "registry", abstract: "Run the camera registry service.")
    @OptionGroup var settings: SettingsOptions
    func run() async throws { try await Launcher.run([.registry], settings: settings.resolve(), privateBroker: false) }
}

struct ProberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prober", abstract: "Run a prober (use --prober-shard i/n or --prober-site to split the fleet).")
    @OptionGroup var settings: SettingsOptions
    func run() async throws { try await Launcher.run([.prober], settings: settings.resolve(), privateBroker: false) }
}

struct IssuesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "issues", abstract: "Run the issues (incident) service.")
    @OptionGroup var settings: SettingsOptions
    func run() async throws { try await Launcher.run([.issues], settings: settings.resolve(), privateBroker: false) }
}

struct NotifierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "notifier", abstract: "Run the notifier service.")
    @OptionGroup var settings: SettingsOptions
    func run() async throws { try await Launcher.run([.notifier], settings: settings.resolve(), privateBroker: false) }
}

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gateway", abstract: "Run the gateway (REST API, dashboard, /metrics).")
    @OptionGroup var settings: SettingsOptions
    func run() async throws { try await Launcher.run([.gateway], settings: settings.resolve(), privateBroker: false) }
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Print every configuration option with its flag, environment variable, value and origin.")
    @OptionGroup var settings: SettingsOptions
    @Flag(help: "Print the table as Markdown (for the README).") var markdown = false
    func run() async throws {
        let resolved = try settings.resolve()
        if markdown {
            print("| flag | environment | default | meaning |\n|---|---|---|---|")
            for key in Settings.keys {
                print("| `\(key.flag)` | `\(key.environment)` | \(key.defaultValue.isEmpty ? "" : "`\(key.defaultValue)`") | \(key.help) |")
            }
            return
        }
        for key in Settings.keys {
            let value = key.name.contains("password") && !resolved[key.name].isEmpty ? "******" : resolved[key.name]
            print("\(key.flag) = \(value.debugDescription)  [\(resolved.origins[key.name] ?? "default")]  \(key.environment)")
        }
    }
}
