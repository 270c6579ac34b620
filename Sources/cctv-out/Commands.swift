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

/// Starts the chosen services in one process with graceful shutdown on SIGTERM/SIGINT.
enum Launcher {
    static func run(_ kinds: [ServiceKind], settings: Settings, privateBroker: Bool) async throws {
        Observability.bootstrap(logLevel: settings["log.level"])
        var logger = Logger(label: "cctv-out")
        logger[metadataKey: "instance"] = .string(settings["instance"])
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
            broker = try PrivateBroker(settings: settings, logger: logger)
            endpoint = BrokerEndpoint(host: "127.0.0.1", port: broker!.port)
        } else {
            endpoint = BrokerEndpoint(host: "127.0.0.1", port: try settings.int("broker.port", in: 1...65_535))
        }
        defer { broker?.stop() }
        let context = RuntimeContext(settings: settings, endpoint: endpoint, logger: logger)
        var services: [any Service] = []
        let healthPort = try settings.int("health.port", in: 0...65_535)
        if healthPort > 0 {
            services.append(HealthEndpoint(board: context.health, host: settings["health.host"], port: healthPort, logger: context.logger(for: "health")))
        }
        for kind in kinds {
            switch kind {
            case .registry: services.append(try RegistryService(context: context))
            case .prober: services.append(try ProberService(context: context, icmp: try EngineICMPProbe(settings: settings, logger: context.logger(for: "prober"))))
            case .issues: services.append(try IssuesService(context: context))
            case .notifier: services.append(try NotifierService(context: context))
            case .gateway: services.append(try GatewayService(context: context))
            }
        }
        logger.info("starting", metadata: ["services": "\(kinds.map(\.rawValue).joined(separator: ","))", "broker": "\(endpoint.host):\(endpoint.port)",
                                           "data": "\(settings["data-dir"])"])
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
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

struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Asks the running process's health endpoint (health.port, same settings) and exits 0 when it is healthy, 1 otherwise.",
        discussion: "For container healthchecks: CCTVOUT_HEALTH_PORT=9100 in the environment of both the service and the check.")
    @OptionGroup var settings: SettingsOptions
    func run() async throws {
        let resolved = try settings.resolve()
        let port = try resolved.int("health.port", in: 0...65_535)
        guard port > 0 else { throw CLIError("health.port is 0: this process has no health endpoint (set --health-port or CCTVOUT_HEALTH_PORT)") }
        let host = ["0.0.0.0", "::", ""].contains(resolved["health.host"]) ? "127.0.0.1" : resolved["health.host"]
        let answer = try await CamerasAPIClient(api: "http://\(host.contains(":") ? "[\(host)]" : host):\(port)").call(.GET, "/healthz", timeout: .seconds(5))
        print(String(decoding: answer.body.prefix(2000), as: UTF8.self))
        if answer.status != 200 { throw ExitCode(1) }
    }
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
