import AsyncHTTPClient
import CCTVContract
import Foundation
import Installation
import Logging
import ServiceRuntime
import Testing
import TestSupport

/// The prober's own network going down (its reference address stops answering, like a dead
/// uplink or default gateway) while every camera goes silent with it: the monitor must not blame
/// the line team for its own outage. Real ICMP, real iptables, the whole installation.
@Suite("end to end: the prober's own network down", .serialized, .runsAlone)
struct ReferenceOutageEndToEndTests {
    @Test("when the prober's reference address stops answering, operators get one MONITOR notice and the line team nothing; recovery is told")
    func referenceOutage() async throws {
        IptablesChain.cleanStale()
        let sink = try await HTTPSink()
        defer { sink.stop() }
        let net = "127.67.\(Int.random(in: 1...250))"
        let reference = "\(net).1"
        let cameras = (2...4).map { "\(net).\($0)" }
        var logger = Logger(label: "e2e-reference")
        logger.logLevel = .warning
        let contacts = FileManager.default.temporaryDirectory.appendingPathComponent("reference-contacts-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: contacts) }
        try #"""
            {"teams": [
              {"id": "KT-1", "name": "KT 회선팀", "role": "line-team", "channels": [{"id": "kt-hook", "type": "webhook", "url": "\#(sink.url("/line-team"))"}]},
              {"id": "OPS", "name": "관제실", "role": "operators", "channels": [{"id": "ops-hook", "type": "webhook", "url": "\#(sink.url("/operators"))"}]}
            ], "defaults": {"operators": "OPS"}}
            """#.write(toFile: contacts, atomically: true, encoding: .utf8)
        let running = try TestInstallation(ServiceKind.allCases, logger: logger) { configuration in
            configuration.prober.interval = 1
            configuration.prober.icmpCount = 2
            configuration.prober.icmpTimeout = 0.5
            configuration.prober.icmpSpacing = 0.05
            configuration.prober.reference = reference
            configuration.prober.referenceEvery = 1
            configuration.issues.policy.openAfter = 2
            configuration.issues.policy.recoverAfter = 2
            configuration.notifier.contactsFile = contacts
            configuration.notifier.vendorWebhook = sink.url("/vendor")
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let api = running.baseURL + "/api"
        let token = try TestAccounts.adminToken(dataDir: running.dataDir)
        #expect(await eventually(timeout: .seconds(20)) { (try? await LineCutEndToEndTests.get(http, "\(api)/summary", token: token).status) == 200 })
        for (n, address) in cameras.enumerated() {
            let created = try await LineCutEndToEndTests.post(
                http, "\(api)/cameras", #"{"id":"REF-\#(n)","name":"정문 \#(n)","address":"\#(address)","site":"본관","lineTeam":"KT-1"}"#, token: token)
            #expect(created.status == 201, "\(created.body)")
        }
        #expect(await eventually(timeout: .seconds(30)) {
            let body = (try? await LineCutEndToEndTests.get(http, "\(api)/cameras", token: token).body) ?? ""
            return body.components(separatedBy: "\"state\":\"OK\"").count - 1 >= cameras.count
        }, "the cameras never became OK")

        // The prober's uplink dies: its reference and every camera stop answering at once.
        let chain = try IptablesChain()
        defer { chain.removeAll() }
        for address in [reference] + cameras { try chain.captureEchoRequests(to: address) }
        try chain.append(["-j", "DROP"])

        let opened = await sink.first(timeout: .seconds(30)) { $0.path == "/operators" && $0.json?["event"] as? String == "opened" }
        let incident = opened?.json?["issue"] as? [String: Any]
        #expect(incident?["kind"] as? String == "MONITOR", "\(sink.all.map { "\($0.path) \(String(decoding: $0.body.prefix(160), as: UTF8.self))" })")
        #expect(incident?["reason"] as? String == "reference_unreachable")
        // Long enough for a LINE incident to open and pass its announce hold, had one been opened.
        try await Task.sleep(for: .seconds(6))
        #expect(sink.all.allSatisfy { $0.path == "/operators" }, "nobody but operators is told: \(sink.all.map(\.path))")
        let issues = try await LineCutEndToEndTests.get(http, "\(api)/issues", token: token).body
        #expect(!issues.contains("\"kind\":\"LINE\""), "no LINE incident stays open for the monitor's own outage: \(issues.prefix(400))")

        // The uplink is back: operators hear it is over, the line team still heard nothing.
        try chain.flush()
        let resolved = await sink.first(timeout: .seconds(30)) { $0.path == "/operators" && $0.json?["event"] as? String == "resolved" }
        #expect((resolved?.json?["issue"] as? [String: Any])?["kind"] as? String == "MONITOR")
        #expect(sink.all.filter { $0.json?["event"] as? String == "opened" }.count == 1, "operators are told once")
        #expect(sink.all.allSatisfy { $0.path == "/operators" })

        try? await http.shutdown()
        await running.stop()
    }
}
