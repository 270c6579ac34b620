import Foundation
import Installation
import ServiceRuntime
import Testing

/// The README's option table is generated from the same key tables the services read.
@Suite("README configuration table")
struct ReadmeConfigurationTableTests {
    @Test("the README lists every option exactly as `cctv-out config --markdown` prints it")
    func readmeMatchesKeys() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let keys = [Settings.configFile] + InstallationConfiguration.keys
        #expect(text.contains(keys.markdownTable), "README.md's configuration table is stale: regenerate it with `cctv-out config --markdown`")
    }
}

@Suite("dashboard address in notices")
struct DashboardAddressTests {
    @Test("without http.public-url the notices link to this machine with the gateway's configured port; a bad one is refused")
    func followsPort() throws {
        func configuration(_ arguments: [String]) throws -> InstallationConfiguration {
            try InstallationConfiguration(settings: try Settings(arguments: arguments, environment: [:], keys: InstallationConfiguration.keys))
        }
        #expect(try configuration(["--http-port", "18123", "--http-host", "10.9.8.7"]).notifier.dashboardURL == "http://10.9.8.7:18123")
        // The gateway listens on loopback by default: links say so (set http.public-url behind a proxy).
        #expect(try configuration(["--http-port", "18123"]).notifier.dashboardURL == "http://127.0.0.1:18123")
        #expect(try configuration(["--http-port", "18123", "--http-host", "0.0.0.0"]).notifier.dashboardURL == "http://\(ProcessInfo.processInfo.hostName):18123")
        #expect(try configuration(["--http-port", "18123", "--http-public-url", "https://cctv.example.org/"]).notifier.dashboardURL == "https://cctv.example.org/")
        #expect(throws: SettingsError.self) { try configuration(["--http-public-url", "cctv.example.org"]) }
    }
}
