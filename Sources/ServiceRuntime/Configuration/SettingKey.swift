import Foundation

/// One configuration key: its flag, environment variable, default, accepted values and meaning.
///
/// Each service's configuration type declares its own keys next to the fields they fill (e.g.
/// `ProberConfiguration.keys`) with the default taken from the type's own default value, so the
/// default, the range and the text exist once. The command line joins every table for parsing,
/// `cctv-out config` and the README's generated table.
///
/// ```swift
/// static let interval = SettingKey.number("prober.interval", default: ProberConfiguration().interval,
///                                         in: 1...86_400, "default check interval per camera, seconds")
/// ```
package struct SettingKey: Sendable, Hashable {
    /// What a value must look like.
    package enum Kind: Sendable, Hashable {
        case text
        case flag
        case integer(ClosedRange<Int>)
        case number(ClosedRange<Double>)
    }

    /// Dotted name, also the key in the JSON config file (e.g. `broker.url`).
    package let name: String
    package let defaultValue: String
    package let help: String
    package let kind: Kind
    /// Masked by `cctv-out config` (passwords, tokens).
    package let secret: Bool

    package init(_ name: String, default defaultValue: String = "", kind: Kind = .text, secret: Bool = false, _ help: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.kind = kind
        self.secret = secret
        self.help = help
    }

    /// A free-text key (URLs, paths, names); empty means unset.
    package static func text(_ name: String, default value: String = "", secret: Bool = false, _ help: String) -> SettingKey {
        SettingKey(name, default: value, kind: .text, secret: secret, help)
    }

    /// A whole number within `range`.
    package static func integer(_ name: String, default value: Int, in range: ClosedRange<Int>, _ help: String) -> SettingKey {
        SettingKey(name, default: String(value), kind: .integer(range), help)
    }

    /// A number within `range` (seconds, percentages).
    package static func number(_ name: String, default value: Double, in range: ClosedRange<Double>, _ help: String) -> SettingKey {
        SettingKey(name, default: Self.format(value), kind: .number(range), help)
    }

    /// `true` or `false`.
    package static func flag(_ name: String, default value: Bool, _ help: String) -> SettingKey {
        SettingKey(name, default: value ? "true" : "false", kind: .flag, help)
    }

    /// `--broker-url`
    package var flag: String { "--" + name.replacingOccurrences(of: ".", with: "-") }
    /// `CCTVOUT_BROKER_URL`
    package var environment: String {
        "CCTVOUT_" + name.uppercased().replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    /// The accepted values in words, for errors and the README (`1–86400`).
    package var accepted: String? {
        switch kind {
        case .text: nil
        case .flag: "true or false"
        case let .integer(range): "\(range.lowerBound)–\(range.upperBound)"
        case let .number(range): "\(Self.format(range.lowerBound))–\(Self.format(range.upperBound))"
        }
    }

    /// `60` rather than `60.0`; `0.2` stays.
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

extension [SettingKey] {
    /// The README's configuration table (`cctv-out config --markdown`), one row per key.
    package var markdownTable: String {
        var lines = ["| flag | environment | default | accepts | meaning |", "|---|---|---|---|---|"]
        for key in self {
            lines.append("| `\(key.flag)` | `\(key.environment)` | \(key.defaultValue.isEmpty ? "" : "`\(key.defaultValue)`") | \(key.accepted ?? "") | \(key.help) |")
        }
        return lines.joined(separator: "\n")
    }
}
