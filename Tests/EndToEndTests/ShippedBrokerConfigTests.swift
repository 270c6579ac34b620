import CCTVContract
import Foundation
import Installation
import Logging
import ServiceRuntime
import Testing
import TestSupport

/// `mosquitto/mosquitto.conf` and `mosquitto/acl` as shipped, run by a real mosquitto with the
/// five real services each logged in with its own account: incident lifecycle and maintenance
/// through REST work (no 503), and the notifier's acknowledgements reach the issues service (no
/// event re-sent forever).
@Suite("the shipped broker config works with the real services", .serialized, .runsAlone)
struct ShippedBrokerConfigTests {
    static var repository: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    @Test("mosquitto/acl is what the services' rules generate for the default instance")
    func shippedACLIsGenerated() throws {
        let shipped = try String(contentsOf: Self.repository.appendingPathComponent("mosquitto/acl"), encoding: .utf8)
        #expect(shipped == BrokerACL.render(BrokerAccount.services(instance: "cctv-out"), topics: Topics()),
                "regenerate it: cctv-out mqtt-users acl --data-dir /tmp/empty > mosquitto/acl")
    }

    @Test("a line cut opens an incident, operators acknowledge, mute and close it, and every event is acknowledged")
    func lifecycleThroughShippedACL() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shipped-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: "\(dir)/data", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try FreePort.find()

        // The shipped files, with the container paths pointed at this test's folder.
        var config = try String(contentsOf: Self.repository.appendingPathComponent("mosquitto/mosquitto.conf"), encoding: .utf8)
        config = config.replacingOccurrences(of: "/mosquitto/config/", with: "\(dir)/").replacingOccurrences(of: "/mosquitto/data/", with: "\(dir)/data/")
            .replacingOccurrences(of: "listener 1883\n", with: "listener \(port) 127.0.0.1\n")
        config = "user root\n" + config
        try config.write(toFile: "\(dir)/mosquitto.conf", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("mosquitto/acl"), to: URL(fileURLWithPath: "\(dir)/acl"))
        let accounts = BrokerAccount.services(instance: "cctv-out")
        let passwords = Dictionary(uniqueKeysWithValues: accounts.map { ($0.name, MosquittoPasswordFile.randomPassword()) })
        try MosquittoPasswordFile.render(try accounts.map { ($0.name, try MosquittoPasswordFile.hash(passwords[$0.name]!)) })
            .write(toFile: "\(dir)/passwd", atomically: true, encoding: .utf8)
        let mosquitto = try ChildProcess.dyingWithTests(executable: try MosquittoFixture.executable ?? RequiredTool.path("mosquitto", package: "mosquitto"),
                                         arguments: ["-c", "\(dir)/mosquitto.conf"], logFile: "\(dir)/mosquitto.log")
        defer { mosquitto.stop() }
        #expect(await eventually(timeout: .seconds(10)) { FreePort.isListening(port) }, "mosquitto with the shipped config did not start")

        let sink = try await HTTPSink()
        defer { sink.stop() }
        let httpPort = try FreePort.find()
        let cut = "127.85.\(Int.random(in: 1...250)).\(Int.random(in: 1...250))"
        var configuration = InstallationConfiguration()
        configuration.runtime.dataDir = "\(dir)/services"
        configuration.runtime.instance = "cctv-out"
        configuration.gateway.host = "127.0.0.1"
        configuration.gateway.port = httpPort
        configuration.prober.interval = 1
        configuration.prober.icmpCount = 1
        configuration.prober.icmpTimeout = 0.5
        configuration.issues.policy.openAfter = 2
        configuration.issues.policy.recoverAfter = 2
        configuration.issues.ackTimeout = 2
        configuration.notifier.lineTeamWebhook = sink.url("/line")
        var logger = Logger(label: "shipped")
        logger.logLevel = .warning
        Observability.bootstrapMetrics()
        // Every service on its own account from the password file (client id = account name).
        let installation = try Installation(ServiceKind.allCases, configuration: configuration,
                                            endpoint: BrokerEndpoint(host: "127.0.0.1", port: port, servicePasswords: passwords), logger: logger)
        let issues = installation.issues!
        let running = Task { try await installation.run() }
        defer { running.cancel() }

        let token = try TestAccounts.adminToken(dataDir: "\(dir)/services")
        let rest = RESTCaller(base: "http://127.0.0.1:\(httpPort)")
        // Every service connected with its own account (their retained availability reached the gateway).
        #expect(await eventually(timeout: .seconds(30)) {
            guard let summary = try? await rest.call(.GET, "/api/summary", token: token), summary.status == 200 else { return false }
            return ["registry", "prober", "issues", "notifier", "gateway"].allSatisfy { summary.body.contains("\"\($0)\":\"online\"") }
        }, "not every service came online through the shipped ACL; broker log:\n\((try? String(contentsOfFile: "\(dir)/mosquitto.log", encoding: .utf8)) ?? "")")
        let created = try await rest.call(.POST, "/api/cameras", body: #"{"id":"CAM-SHIP","address":"\#(cut)","site":"본관"}"#, token: token)
        #expect(created.status == 201, "\(created.body)")

        let chain = try IptablesChain()
        defer { chain.removeAll() }
        try chain.captureEchoRequests(to: cut)
        try chain.append(["-j", "DROP"])
        let opened = await sink.first(timeout: .seconds(60)) { $0.json?["event"] as? String == "opened" }
        #expect(opened != nil, "no incident notice through the shipped ACL; broker log:\n\((try? String(contentsOfFile: "\(dir)/mosquitto.log", encoding: .utf8)) ?? "")")
        let issueID = ((opened?.json?["issue"] as? [String: Any])?["id"] as? String) ?? ""
        // The issues service's pulse reaches the gateway, so the dashboard knows results arrive.
        #expect(await eventually(timeout: .seconds(30)) {
            (try? await rest.call(.GET, "/api/summary", token: token).body.contains("\"lastResultAt\"")) ?? false
        }, "the monitor's pulse did not reach the gateway through the shipped ACL")
        #expect(await eventually(timeout: .seconds(30)) { (try? issues.store.unacknowledged()) == 0 }, "the notifier's acknowledgement reaches the issues service")

        let acknowledged = try await rest.call(.POST, "/api/issues/\(issueID)/acknowledge", body: #"{"note":"seen"}"#, token: token)
        #expect(acknowledged.status == 200, "acknowledge through the shipped ACL: \(acknowledged.body)")
        let muted = try await rest.call(.POST, "/api/silences", body: #"{"scope":"site","value":"본관","minutes":30}"#, token: token)
        #expect(muted.status == 200, "mute through the shipped ACL: \(muted.body)")
        try chain.flush()
        #expect(await eventually(timeout: .seconds(60)) {
            (try? await rest.call(.GET, "/api/issues/\(issueID)", token: token).body.contains("\"RESOLVED\"")) ?? false
        })
        let closed = try await rest.call(.POST, "/api/issues/\(issueID)/close", body: "{}", token: token)
        #expect(closed.status == 200, "close through the shipped ACL: \(closed.body)")
        #expect(await eventually(timeout: .seconds(30)) { (try? issues.store.unacknowledged()) == 0 }, "every event acknowledged, none re-sent forever")

        await installation.shutdown()
        _ = try? await running.value
    }
}
