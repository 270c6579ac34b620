import Foundation
import Testing
@testable import ServiceRuntime

@Suite("configuration: flags over environment over file over defaults")
struct SettingsTests {
    @Test("defaults apply when nothing is given")
    func defaults() throws {
        let settings = try Settings(arguments: [], environment: [:])
        #expect(settings["http.port"] == "8080")
        #expect(settings.origins["http.port"] == "default")
    }

    @Test("a flag beats the environment, which beats the file")
    func precedence() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(#"{"http.port": 7000, "prober.interval": "30", "log.level": "debug"}"#.utf8).write(to: file)
        let settings = try Settings(arguments: ["--config", file.path, "--http-port=9000"],
                                    environment: ["CCTVOUT_HTTP_PORT": "8500", "CCTVOUT_PROBER_INTERVAL": "45"])
        #expect(settings["http.port"] == "9000")
        #expect(settings["prober.interval"] == "45")
        #expect(settings["log.level"] == "debug")
        #expect(settings.origins["log.level"]?.hasPrefix("file") == true)
    }

    @Test("--broker is an alias of --broker-url")
    func brokerAlias() throws {
        let settings = try Settings(arguments: ["--broker", "mqtt://10.1.2.3:1884"], environment: [:])
        let endpoint = try BrokerEndpoint.parse(settings["broker.url"])
        #expect(endpoint.host == "10.1.2.3")
        #expect(endpoint.port == 1884)
        #expect(try BrokerEndpoint.parse("mqtts://broker.example").port == 8883)
    }

    @Test("mistakes are named: unknown flag, missing value, bad file, out-of-range value")
    func errors() throws {
        #expect(throws: SettingsError.self) { try Settings(arguments: ["--no-such-option", "1"], environment: [:]) }
        #expect(throws: SettingsError.self) { try Settings(arguments: ["--http-port"], environment: [:]) }
        #expect(throws: SettingsError.self) { try Settings(arguments: ["--config", "/nonexistent/cctv.json"], environment: [:]) }
        #expect(throws: SettingsError.self) { try BrokerEndpoint.parse("http://x:1") }
        let settings = try Settings(arguments: ["--http-port", "70000"], environment: [:])
        do {
            _ = try settings.int("http.port", in: 0...65_535)
            Issue.record("accepted 70000")
        } catch {
            #expect(error.description.contains("http.port"))
        }
    }

    @Test("a config file with an unknown key is refused naming it")
    func unknownFileKey() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(#"{"http.prot": 1}"#.utf8).write(to: file)
        do {
            _ = try Settings(arguments: ["--config", file.path], environment: [:])
            Issue.record("accepted an unknown key")
        } catch {
            #expect(error.description.contains("http.prot"))
        }
    }
}
