import ArgumentParser
import CCTVContract
import Foundation
import Gateway
import Issues
import Notifier
import Prober
import Registry
import Installation
import Logging
import ServiceRuntime

/// The options a service command reads, for its `--help`: flag, value, default, environment and meaning.
enum OptionsHelp {
    static func text(_ keys: [SettingKey]) -> String {
        var lines = ["OPTIONS (each also as a CCTVOUT_* environment variable or a key of the --config JSON file; `cctv-out config` shows the values in force):"]
        for key in [Settings.configFile] + keys {
            let value = key.accepted.map { " <\($0)>" } ?? " <value>"
            let defaultText = key.defaultValue.isEmpty ? "" : " (default: \(key.defaultValue))"
            lines.append("  \(key.flag)\(value)\(defaultText)")
            lines.append("      \(key.help) [\(key.environment)]")
        }
        return lines.joined(separator: "\n")
    }
}

/// Options shared by every service command: parsed by ``Settings`` against every service's keys.
struct SettingsOptions: ParsableArguments {
    @Argument(parsing: .allUnrecognized, help: "Any configuration option, e.g. --broker-url mqtt://host:1883 --data-dir /var/lib/cctv-out (see `cctv-out config`).")
    var options: [String] = []

    /// The raw settings (for `cctv-out config`, which shows origins).
    func settings() throws -> Settings {
        do { return try Settings(arguments: options, keys: InstallationConfiguration.keys) } catch { throw ValidationError(error.description) }
    }

    /// Every service's typed configuration.
    func resolve() throws -> InstallationConfiguration {
        do { return try InstallationConfiguration(settings: settings()) } catch let error as SettingsError { throw ValidationError(error.description) }
    }
}

/// Starts the chosen services in one process with graceful shutdown on SIGTERM/SIGINT: every
/// step logged, the private broker (with `serve`) supervised and stopped last, and the whole
/// shutdown bounded by a ``ShutdownWatchdog``.
enum Launcher {
    static func run(_ kinds: [ServiceKind], configuration: InstallationConfiguration, privateBroker: Bool) async throws {
        DataFolder.restrictNewFiles()
        let runtime = configuration.runtime
        Observability.bootstrap(logLevel: runtime.logLevel)
        var logger = Logger(label: "cctv-out")
        logger[metadataKey: "instance"] = .string(runtime.instance)
        let began = ContinuousClock.now
        raiseOpenFileLimit(logger: logger)
        var broker: PrivateBroker?
        var endpoint = try runtime.broker.endpoint()
        if runtime.broker.url == nil && privateBroker {
            // Two accounts per service (one per connection, named after its client id), each with exactly its topics.
            let accounts = kinds.flatMap { kind -> [BrokerAccount] in
                BrokerAccount.service(kind.rawValue, role: BrokerRole(rawValue: kind.rawValue)!, instance: runtime.instance)
            }
            let started = try await PrivateBroker.start(configuration: runtime.broker, dataDir: runtime.dataDir, topics: Topics(root: runtime.topicRoot),
                                                        services: accounts, logger: logger)
            broker = started
            endpoint = BrokerEndpoint(host: "127.0.0.1", port: started.port, servicePasswords: started.servicePasswords)
        }
        do {
            // The broker runs beside the services (supervised, reloading the tools' accounts) and stops after them.
            let installation = try Installation(kinds, configuration: configuration, endpoint: endpoint, logger: logger, signals: [.sigterm, .sigint],
                                                supervising: broker, shutdownBudget: .milliseconds(4500))
            logger.info("starting", metadata: ["services": "\(installation.kinds.map(\.rawValue).joined(separator: ","))", "broker": "\(endpoint.host):\(endpoint.port)",
                                               "data": "\(runtime.dataDir)", "allocator": "\(HeapAllocator.name)"])
            try await installation.run()
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
        abstract: "All in one: a private mosquitto on loopback plus all five services; dashboard on http://localhost:8080.",
        discussion: OptionsHelp.text(InstallationConfiguration.keys))
    @OptionGroup var settings: SettingsOptions
    func run() async throws {
        try await Launcher.run(ServiceKind.allCases, configuration: settings.resolve(), privateBroker: true)
    }
}

struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "registry", abstract: "Run the camera registry service (several replicas on one PostgreSQL: --registry-replica NAME).", discussion: OptionsHelp.text(RuntimeConfiguration.keys + RegistryConfiguration.keys))
    @OptionGroup var settings: SettingsOptions
    func run() async throws { try await Launcher.run([.registry], configuration: settings.resolve(), privateBroker: false) }
}

struct ProberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prober", abstract: "Run a prober: any number of them split the fleet by themselves (--prober-site pins one to a site).", discussion: OptionsHelp.text(RuntimeConfiguration.keys + ProberConfiguration.keys))
    @OptionGroup var settings: SettingsOptions
    func run() async throws { try await Launcher.run([.prober], configuration: settings.resolve(), privateBroker: false) }
}

struct IssuesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "issues", abstract: "Run the issues (incident) service.", discussion: OptionsHelp.text(RuntimeConfiguration.keys + IssuesConfiguration.keys))
    @OptionGroup var settings: SettingsOptions
    func run() async throws { try await Launcher.run([.issues], configuration: settings.resolve(), privateBroker: false) }
}

struct NotifierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "notifier", abstract: "Run the notifier service.", discussion: OptionsHelp.text(RuntimeConfiguration.keys + NotifierConfiguration.keys))
    @OptionGroup var settings: SettingsOptions
    func run() async throws { try await Launcher.run([.notifier], configuration: settings.resolve(), privateBroker: false) }
}

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gateway", abstract: "Run the gateway (REST API, dashboard, /metrics).", discussion: OptionsHelp.text(RuntimeConfiguration.keys + GatewayConfiguration.keys))
    @OptionGroup var settings: SettingsOptions
    func run() async throws { try await Launcher.run([.gateway], configuration: settings.resolve(), privateBroker: false) }
}

struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Asks the running process's health endpoint (health.port, same settings) and exits 0 when it is healthy, 1 otherwise.",
        discussion: "For container healthchecks: CCTVOUT_HEALTH_PORT=9100 in the environment of both the service and the check.")
    @OptionGroup var settings: SettingsOptions
    func run() async throws {
        let runtime = try settings.resolve().runtime
        let port = runtime.healthPort
        guard port > 0 else { throw CLIError("health.port is 0: this process has no health endpoint (set --health-port or CCTVOUT_HEALTH_PORT)") }
        let host = ["0.0.0.0", "::", ""].contains(runtime.healthHost) ? "127.0.0.1" : runtime.healthHost
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
        let resolved = try settings.settings()
        if markdown {
            print(resolved.keys.markdownTable)
            return
        }
        for key in resolved.keys {
            print("\(key.flag) = \(resolved.display(key).debugDescription)  [\(resolved.origins[key.name] ?? "default")]  \(key.environment)")
        }
        _ = try settings.resolve()  // names a value no service would accept
    }
}
