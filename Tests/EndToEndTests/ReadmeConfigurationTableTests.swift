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
