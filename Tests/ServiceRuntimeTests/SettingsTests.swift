import Foundation
import Testing
@testable import ServiceRuntime

/// A small key table of the shape every service declares, so the parser is tested on its own.
private enum Keys {
    static let port = SettingKey.integer("http.port", default: 8080, in: 0...65_535, "port")
    static let interval = SettingKey.number("prober.interval", default: 60, in: 1...86_400, "seconds")
    static let all = RuntimeConfiguration.keys + [port, interval]
}

@Suite("configuration: flags over environment over file over defaults, read once into typed values")
struct SettingsTests {
    @Test("defaults apply when nothing is given, and the typed value carries them")
    func defaults() throws {
        let settings = try Settings(arguments: [], environment: [:], keys: Keys.all)
        #expect(try settings.integer(Keys.port) == 8080)
        #expect(settings.origins["http.port"] == "default")
        #expect(try RuntimeConfiguration(settings: settings) == RuntimeConfiguration())
    }

    @Test("a flag beats the environment, which beats the file")
    func precedence() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(#"{"http.port": 7000, "prober.interval": "30", "log.level": "debug"}"#.utf8).write(to: file)
        let settings = try Settings(arguments: ["--config", file.path, "--http-port=9000"],
                                    environment: ["CCTVOUT_HTTP_PORT": "8500", "CCTVOUT_PROBER_INTERVAL": "45"], keys: Keys.all)
        #expect(try settings.integer(Keys.port) == 9000)
        #expect(try settings.number(Keys.interval) == 45)
        #expect(try RuntimeConfiguration(settings: settings).logLevel == "debug")
        #expect(settings.origins["log.level"]?.hasPrefix("file") == true)
    }

    @Test("--broker is an alias of --broker-url, and the endpoint comes from it")
    func brokerAlias() throws {
        let settings = try Settings(arguments: ["--broker", "mqtt://10.1.2.3:1884"], environment: [:], keys: Keys.all)
        let endpoint = try RuntimeConfiguration(settings: settings).broker.endpoint()
        #expect(endpoint.host == "10.1.2.3")
        #expect(endpoint.port == 1884)
        #expect(try BrokerEndpoint.parse("mqtts://broker.example").port == 8883)
    }

    @Test("mistakes are named: unknown flag, missing value, bad file, out-of-range value, bad broker URL, bad log level")
    func errors() throws {
        #expect(throws: SettingsError.self) { try Settings(arguments: ["--no-such-option", "1"], environment: [:], keys: Keys.all) }
        #expect(throws: SettingsError.self) { try Settings(arguments: ["--http-port"], environment: [:], keys: Keys.all) }
        #expect(throws: SettingsError.self) { try Settings(arguments: ["--config", "/nonexistent/cctv.json"], environment: [:], keys: Keys.all) }
        #expect(throws: SettingsError.self) { try BrokerEndpoint.parse("http://x:1") }
        let outOfRange = try Settings(arguments: ["--http-port", "70000"], environment: [:], keys: Keys.all)
        do {
            _ = try outOfRange.integer(Keys.port)
            Issue.record("accepted 70000")
        } catch {
            #expect(error.description.contains("http.port"))
            #expect(error.description.contains("65535"))
        }
        let badURL = try Settings(arguments: ["--broker-url", "http://broker"], environment: [:], keys: Keys.all)
        #expect(throws: SettingsError.self) { try RuntimeConfiguration(settings: badURL) }
        let badLevel = try Settings(arguments: ["--log-level", "loud"], environment: [:], keys: Keys.all)
        #expect(throws: SettingsError.self) { try RuntimeConfiguration(settings: badLevel) }
    }

    @Test("a config file with an unknown key is refused naming it")
    func unknownFileKey() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(#"{"http.prot": 1}"#.utf8).write(to: file)
        do {
            _ = try Settings(arguments: ["--config", file.path], environment: [:], keys: Keys.all)
            Issue.record("accepted an unknown key")
        } catch {
            #expect(error.description.contains("http.prot"))
        }
    }

    @Test("secrets are masked for display: a password key, and a password inside the broker URL")
    func masking() throws {
        let settings = try Settings(arguments: ["--broker-url", "mqtt://svc:s3cret@10.0.0.1:1883", "--broker-password", "hunter2"],
                                    environment: [:], keys: Keys.all)
        let shown = settings.keys.map { settings.display($0) }.joined(separator: " ")
        #expect(!shown.contains("s3cret"))
        #expect(!shown.contains("hunter2"))
        #expect(shown.contains("mqtt://svc:******@10.0.0.1:1883"))
    }

    @Test("a default written as a number prints as the user would type it")
    func defaultFormatting() {
        #expect(SettingKey.number("x", default: 60, in: 0...100, "").defaultValue == "60")
        #expect(SettingKey.number("x", default: 0.2, in: 0...100, "").defaultValue == "0.2")
        #expect(SettingKey.number("x", default: 60, in: 0.05...100, "").accepted == "0.05–100")
    }
}
