import Foundation
import Testing
import TestSupport

/// The dashboard in a real browser (Chromium driven by Playwright): a hostile camera name is
/// shown as text, never run, and the page runs under its Content-Security-Policy without a
/// violation (no inline script, no style attributes).
@Suite("the dashboard escapes every field (Chromium)", .serialized, .runsAlone)
struct DashboardEscapingTests {
    @Test("a camera named <img src=x onerror=alert(1)> renders as text in the list and the detail panel")
    func hostileNameIsText() async throws {
        try RequiredTool.requirePythonModule("playwright", pipPackage: "playwright")
        _ = try RequiredTool.path("chromium", package: "chromium")
        let harness = try await GatewayHarness()
        try TestAccounts.account(dataDir: harness.dataDir, name: "viewer1", role: .viewer)
        let admin = try TestAccounts.adminToken(dataDir: harness.dataDir)
        let hostile = "<img src=x onerror=alert(1)>"
        let body = #"{"id":"CAM-XSS","address":"xss.cams.test","name":"\#(hostile)","site":"<script>alert(2)</script>","location":"\"><svg onload=alert(3)>"}"#
        let created = try await harness.rest.call(.POST, "/api/cameras", body: body, token: admin)
        #expect(created.status == 201, "\(created.body)")
        let rest = harness.rest
        #expect(await eventually(timeout: .seconds(10)) { (try? await rest.call(.GET, "/api/cameras/CAM-XSS", token: admin).status) == 200 })

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/dashboard_escapes.py").path
        let run = try await ToolProcess.run(try RequiredTool.path("python3", package: "python3"),
                                            [script, harness.rest.base, "viewer1", TestAccounts.password, hostile])
        #expect(run.status == 0, "the browser script failed: \(run.output.suffix(2000))")
        let output = Data(run.standardOutput.utf8)
        struct Result: Decodable { var dialogs: [String]; var violations: [String]; var rowText: String; var injectedImages: Int; var detailText: String; var errors: [String] }
        let result = try JSONDecoder().decode(Result.self, from: output)
        #expect(result.dialogs.isEmpty, "script ran: \(result.dialogs)")
        #expect(result.injectedImages == 0, "an <img> was injected")
        #expect(result.rowText.contains(hostile), "the name is shown as text: \(result.rowText)")
        #expect(result.detailText.contains(hostile) && result.detailText.contains("<script>alert(2)</script>"), "\(result.detailText.prefix(500))")
        #expect(result.violations.isEmpty, "Content-Security-Policy violations: \(result.violations)")
        #expect(result.errors.isEmpty, "page errors: \(result.errors)")
        await harness.stop()
    }
}
