import Foundation

/// Resolved configuration: defaults, overridden by the config file, by `CCTVOUT_*` environment
/// variables, then by command-line flags (`--key value` or `--key=value`).
///
/// Only the edge reads it: each service's configuration type turns it into typed values once
/// (`ProberConfiguration(settings:)`), and the services get those through their `init`.
package struct Settings: Sendable {
    /// The keys this parse knows: every service's table, joined by the command line.
    package let keys: [SettingKey]
    private var values: [String: String]
    /// Where each value came from, for `cctv-out config`.
    package private(set) var origins: [String: String]

    /// Resolves settings from `arguments` (flags), `environment` and the config file they name.
    /// - Throws: ``SettingsError`` for unknown flags, unreadable files or bad JSON.
    /// - Parameter keys: every key accepted; `config` (the file) is always accepted.
    package init(arguments: [String] = [], environment: [String: String] = ProcessInfo.processInfo.environment,
                keys: [SettingKey]) throws(SettingsError) {
        let keys = keys.contains { $0.name == Self.configFile.name } ? keys : [Self.configFile] + keys
        self.keys = keys
        var values: [String: String] = [:]
        var origins: [String: String] = [:]
        for key in keys { values[key.name] = key.defaultValue; origins[key.name] = "default" }
        let flags = try Self.parseFlags(arguments, keys: keys)
        let configPath = flags[Self.configFile.name] ?? environment[Self.configFile.environment] ?? ""
        if !configPath.isEmpty {
            for (name, value) in try Self.readFile(configPath, keys: keys) { values[name] = value; origins[name] = "file \(configPath)" }
        }
        for key in keys {
            if let value = environment[key.environment] { values[key.name] = value; origins[key.name] = "env \(key.environment)" }
        }
        for (name, value) in flags { values[name] = value; origins[name] = "flag" }
        self.values = values
        self.origins = origins
    }

    /// The JSON file of further keys (`--config`), known to every parse.
    package static let configFile = SettingKey.text("config", "JSON config file with any of these keys (e.g. {\"http.port\": \"8080\"})")

    /// The raw text of a key (its default when unset).
    package func raw(_ key: SettingKey) -> String {
        values[key.name] ?? key.defaultValue
    }

    /// A text value, `nil` when empty.
    package func text(_ key: SettingKey) -> String? {
        let value = raw(key)
        return value.isEmpty ? nil : value
    }

    /// A whole number within the key's range.
    package func integer(_ key: SettingKey) throws(SettingsError) -> Int {
        guard case let .integer(range) = key.kind else { preconditionFailure("\(key.name) is not an integer key") }
        guard let value = Int(raw(key).trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw .invalid(key: key.name, value: raw(key), expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A number within the key's range.
    package func number(_ key: SettingKey) throws(SettingsError) -> Double {
        guard case let .number(range) = key.kind else { preconditionFailure("\(key.name) is not a number key") }
        guard let value = Double(raw(key).trimmingCharacters(in: .whitespaces)), value.isFinite, range.contains(value) else {
            throw .invalid(key: key.name, value: raw(key), expected: "a number from \(key.accepted ?? "")")
        }
        return value
    }

    /// A number of seconds within the key's range, as a `Duration`.
    package func duration(_ key: SettingKey) throws(SettingsError) -> Duration {
        .milliseconds(Int64((try number(key) * 1000).rounded()))
    }

    /// A boolean value (`true/false/1/0/yes/no/on/off`).
    package func flag(_ key: SettingKey) throws(SettingsError) -> Bool {
        switch raw(key).lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off", "": return false
        default: throw .invalid(key: key.name, value: raw(key), expected: "true or false")
        }
    }

    /// What `cctv-out config` shows for a key: secrets masked, and a password inside a URL too.
    package func display(_ key: SettingKey) -> String {
        let value = raw(key)
        if key.secret { return value.isEmpty ? "" : "******" }
        if let components = URLComponents(string: value), components.password != nil, components.scheme != nil {
            var masked = components
            masked.password = "******"
            return masked.string ?? "******"
        }
        return value
    }

    /// Short spellings accepted besides each key's own flag.
    static let aliases = ["--broker": "broker.url"]

    static func parseFlags(_ arguments: [String], keys: [SettingKey]) throws(SettingsError) -> [String: String] {
        let known = Set(keys.map(\.name))
        let byFlag = Dictionary(uniqueKeysWithValues: keys.map { ($0.flag, $0.name) })
            .merging(aliases.filter { known.contains($0.value) }) { own, _ in own }
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

    static func readFile(_ path: String, keys: [SettingKey]) throws(SettingsError) -> [String: String] {
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
package enum SettingsError: Error, Sendable, CustomStringConvertible {
    case unknownFlag(String)
    case missingValue(String)
    case unreadableFile(String)
    case invalidFile(String, String)
    case invalid(key: String, value: String, expected: String)

    package var description: String {
        switch self {
        case let .unknownFlag(flag): "unknown option \(flag) (see `cctv-out config` for the list)"
        case let .missingValue(flag): "option \(flag) needs a value"
        case let .unreadableFile(path): "cannot read config file \(path)"
        case let .invalidFile(path, why): "config file \(path): \(why)"
        case let .invalid(key, value, expected): "\(key) = \(value.debugDescription) is invalid: expected \(expected)"
        }
    }
}
