import Foundation

/// One configuration key: its flag, environment variable, default and meaning.
/// The table ``Settings/keys`` is the single source for `--help`, `cctv-out config` and the README.
public struct SettingKey: Sendable, Hashable {
    /// Dotted name, also the key in the JSON config file (e.g. `broker.url`).
    public let name: String
    public let defaultValue: String
    public let help: String

    /// `--broker-url`
    public var flag: String { "--" + name.replacingOccurrences(of: ".", with: "-") }
    /// `CCTVOUT_BROKER_URL`
    public var environment: String {
        "CCTVOUT_" + name.uppercased().replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
    }
}

/// Resolved configuration: defaults, overridden by the config file, by `CCTVOUT_*` environment
/// variables, then by command-line flags (`--key value` or `--key=value`).
public struct Settings: Sendable {
    private var values: [String: String]
    /// Where each value came from, for `cctv-out config`.
    public private(set) var origins: [String: String]

    /// Every supported key.
    public static let keys: [SettingKey] = [
        .init(name: "config", defaultValue: "", help: "JSON config file with any of these keys (e.g. {\"http.port\": \"8080\"})"),
        .init(name: "data-dir", defaultValue: "./data", help: "folder for every service's SQLite database and the private broker's store"),
        .init(name: "broker.url", defaultValue: "", help: "external broker mqtt://host:port (mqtts:// for TLS); empty with `serve` = start a private mosquitto"),
        .init(name: "broker.port", defaultValue: "1883", help: "port of the private mosquitto started by `serve` (loopback only)"),
        .init(name: "broker.username", defaultValue: "", help: "MQTT username"),
        .init(name: "broker.password", defaultValue: "", help: "MQTT password"),
        .init(name: "broker.ca-file", defaultValue: "", help: "CA file for mqtts://"),
        .init(name: "broker.insecure", defaultValue: "false", help: "skip TLS host-name verification (tests only)"),
        .init(name: "mosquitto.config", defaultValue: "mosquitto/private.conf", help: "template for the private broker's config ({{PORT}}, {{DATA}})"),
        .init(name: "mosquitto.binary", defaultValue: "", help: "mosquitto executable; empty = search PATH and /usr/sbin"),
        .init(name: "topic-root", defaultValue: "", help: "optional prefix before every topic, so installations can share a broker"),
        .init(name: "instance", defaultValue: "cctv-out", help: "instance name: MQTT client ids are {instance}-{service}"),
        .init(name: "log.level", defaultValue: "info", help: "trace, debug, info, notice, warning, error, critical"),
        .init(name: "http.host", defaultValue: "0.0.0.0", help: "gateway listen address"),
        .init(name: "http.port", defaultValue: "8080", help: "gateway port (dashboard, REST, /metrics)"),
        .init(name: "health.host", defaultValue: "127.0.0.1", help: "address of this process's health endpoint (GET /healthz); 0.0.0.0 for a load balancer or orchestrator outside the host"),
        .init(name: "health.port", defaultValue: "0", help: "port of this process's health endpoint: 200 when every service it runs is connected, 503 otherwise; 0 = none (`cctv-out health` asks it)"),
        .init(name: "http.public-url", defaultValue: "http://localhost:8080", help: "dashboard link put into notifications"),
        .init(name: "prober.interval", defaultValue: "60", help: "default check interval per camera, seconds"),
        .init(name: "prober.icmp-count", defaultValue: "3", help: "echoes per ICMP check"),
        .init(name: "prober.icmp-timeout", defaultValue: "1", help: "seconds to wait for each echo reply"),
        .init(name: "prober.icmp-spacing", defaultValue: "0.2", help: "seconds between the echoes of one check"),
        .init(name: "prober.concurrency", defaultValue: "256", help: "checks running at once"),
        .init(name: "prober.deep-check-every", defaultValue: "0", help: "run the ffprobe deep check after every Nth successful HLS check of a camera (0 = off)"),
        .init(name: "prober.deep-check-timeout", defaultValue: "15", help: "seconds before a deep check (ffprobe) is killed"),
        .init(name: "prober.deep-check-concurrency", defaultValue: "2", help: "deep checks running at once (more are skipped, not queued)"),
        .init(name: "prober.shard", defaultValue: "", help: "i/n: this prober checks only cameras whose id hashes to shard i of n"),
        .init(name: "prober.site", defaultValue: "", help: "only check cameras of this site (a remote probe inside a closed network)"),
        .init(name: "prober.hls-concurrency", defaultValue: "64", help: "HLS checks running at once (separate from the ICMP checks)"),
        .init(name: "prober.hls-timeout", defaultValue: "10", help: "time budget of one HLS check (every playlist and the segment), seconds"),
        .init(name: "prober.hls-segment-bytes", defaultValue: "2097152", help: "bytes of the newest segment downloaded per HLS check"),
        .init(name: "prober.backoff-after", defaultValue: "5", help: "consecutive failed checks after which a dead camera is checked every 2x its interval (at most 5 min)"),
        .init(name: "issues.open-after", defaultValue: "3", help: "consecutive failed checks before an incident opens"),
        .init(name: "issues.recover-after", defaultValue: "2", help: "consecutive good checks before it resolves"),
        .init(name: "issues.loss-threshold", defaultValue: "20", help: "ICMP loss % at or above which LOSS counts as a degraded line"),
        .init(name: "issues.flap-count", defaultValue: "3", help: "incidents opened within issues.flap-window that mark a camera as flapping (held open until stable)"),
        .init(name: "issues.flap-window", defaultValue: "1800", help: "seconds over which openings are counted for flapping"),
        .init(name: "issues.storm-min", defaultValue: "5", help: "cameras of one site with a line incident at once that become one site-wide incident (0 = no grouping)"),
        .init(name: "issues.ack-timeout", defaultValue: "30", help: "seconds to wait for the notifier's acknowledgement before re-publishing an issue event"),
        .init(name: "notifier.webhook.line-team", defaultValue: "", help: "webhook URL for the network line team"),
        .init(name: "notifier.webhook.vendor", defaultValue: "", help: "webhook URL for the camera vendor"),
        .init(name: "notifier.webhook.operators", defaultValue: "", help: "webhook URL for control-room operators (told of every opening and recovery)"),
        .init(name: "notifier.max-attempts", defaultValue: "12", help: "delivery attempts before a notification is marked failed"),
        .init(name: "notifier.timeout", defaultValue: "10", help: "seconds per delivery attempt"),
        .init(name: "notifier.contacts", defaultValue: "", help: "contacts file (JSON): teams with role, language and channels (webhook, slack, teams, telegram, discord, email); see README"),
        .init(name: "notifier.escalate-after", defaultValue: "0", help: "seconds an incident may stay unacknowledged before the team's escalation contact is told; 0 = off"),
        .init(name: "notifier.remind-every", defaultValue: "0", help: "seconds between reminders while an incident stays open and unacknowledged; 0 = off"),
        .init(name: "notifier.breaker-failures", defaultValue: "5", help: "consecutive failures that open a channel's circuit breaker"),
        .init(name: "notifier.breaker-cooldown", defaultValue: "30", help: "seconds an open breaker waits before one probe delivery"),
        .init(name: "notifier.time-zone", defaultValue: "Asia/Seoul", help: "time zone of the times shown in notifications"),
    ]

    /// Resolves settings from `arguments` (flags), `environment` and the config file they name.
    /// - Throws: ``SettingsError`` for unknown flags, unreadable files or bad JSON.
    public init(arguments: [String] = [], environment: [String: String] = ProcessInfo.processInfo.environment) throws(SettingsError) {
        var values: [String: String] = [:]
        var origins: [String: String] = [:]
        for key in Self.keys { values[key.name] = key.defaultValue; origins[key.name] = "default" }
        let flags = try Self.parseFlags(arguments)
        let configPath = flags["config"] ?? environment[SettingKey(name: "config", defaultValue: "", help: "").environment] ?? ""
        if !configPath.isEmpty {
            for (name, value) in try Self.readFile(configPath) { values[name] = value; origins[name] = "file \(configPath)" }
        }
        for key in Self.keys {
            if let value = environment[key.environment] { values[key.name] = value; origins[key.name] = "env \(key.environment)" }
        }
        for (name, value) in flags { values[name] = value; origins[name] = "flag" }
        self.values = values
        self.origins = origins
    }

    /// The raw value of a key (its default when unset).
    public subscript(_ name: String) -> String {
        values[name] ?? ""
    }

    /// Sets a value programmatically (tests, embedding).
    public mutating func set(_ name: String, _ value: String) {
        values[name] = value
        origins[name] = "code"
    }

    /// A string value, `nil` when empty.
    public func string(_ name: String) -> String? {
        let value = self[name]
        return value.isEmpty ? nil : value
    }

    /// An integer value within `range`.
    public func int(_ name: String, in range: ClosedRange<Int>) throws(SettingsError) -> Int {
        guard let value = Int(self[name].trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw .invalid(key: name, value: self[name], expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A number value within `range`.
    public func double(_ name: String, in range: ClosedRange<Double>) throws(SettingsError) -> Double {
        guard let value = Double(self[name].trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw .invalid(key: name, value: self[name], expected: "a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A boolean value (`true/false/1/0/yes/no`).
    public func bool(_ name: String) throws(SettingsError) -> Bool {
        switch self[name].lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off", "": return false
        default: throw .invalid(key: name, value: self[name], expected: "true or false")
        }
    }

    /// Short spellings accepted besides each key's own flag.
    static let aliases = ["--broker": "broker.url"]

    static func parseFlags(_ arguments: [String]) throws(SettingsError) -> [String: String] {
        let byFlag = Dictionary(uniqueKeysWithValues: keys.map { ($0.flag, $0.name) }).merging(aliases) { own, _ in own }
        var result: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let flag: String
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            } else {
                flag = argument
            }
            guard let name = byFlag[flag] else { throw .unknownFlag(argument) }
            if value == nil {
                guard index + 1 < arguments.count else { throw .missingValue(flag) }
                index += 1
                value = arguments[index]
            }
            result[name] = value
            index += 1
        }
        return result
    }

    static func readFile(_ path: String) throws(SettingsError) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadableFile(path) }
        guard data.count < 1_000_000, let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .invalidFile(path, "expected a JSON object of \"key\": value")
        }
        let known = Set(keys.map(\.name))
        var result: [String: String] = [:]
        for (name, value) in object {
            guard known.contains(name) else { throw .invalidFile(path, "unknown key \(name.debugDescription)") }
            switch value {
            case let text as String: result[name] = text
            case let number as NSNumber: result[name] = number.stringValue
            default: throw .invalidFile(path, "value of \(name) must be a string, number or boolean")
            }
        }
        return result
    }
}

/// A configuration problem, naming the key and what is expected.
public enum SettingsError: Error, Sendable, CustomStringConvertible {
    case unknownFlag(String)
    case missingValue(String)
    case unreadableFile(String)
    case invalidFile(String, String)
    case invalid(key: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .unknownFlag(flag): "unknown option \(flag) (see `cctv-out config` for the list)"
        case let .missingValue(flag): "option \(flag) needs a value"
        case let .unreadableFile(path): "cannot read config file \(path)"
        case let .invalidFile(path, why): "config file \(path): \(why)"
        case let .invalid(key, value, expected): "\(key) = \(value.debugDescription) is invalid: expected \(expected)"
        }
    }
}
