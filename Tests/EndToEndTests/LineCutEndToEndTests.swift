import AsyncHTTPClient
import CCTVContract
import Foundation
import Installation
import Logging
import MQTTBus
import NIOCore
import ServiceRuntime
import Testing
import TestSupport

/// The whole product through a real broker: REST → registry → retained config → prober (real
/// ICMP) → issues → notifier → webhook, with a line cut made by an iptables DROP rule.
@Suite("end to end through a real mosquitto", .serialized, .runsAlone)
struct LineCutEndToEndTests {
    @Test("a cut line opens a LINE incident, the line team's webhook fires, and recovery is announced")
    func lineCutAndRecovery() async throws {
        IptablesChain.cleanStale()
        let sink = try await HTTPSink()
        defer { sink.stop() }
        let cutAddress = "127.66.\(Int.random(in: 1...250)).\(Int.random(in: 1...250))"
        var logger = Logger(label: "e2e")
        logger.logLevel = .warning
        // The cameras name line team KT-1: the notifier must know it (an unknown team is refused).
        let contacts = FileManager.default.temporaryDirectory.appendingPathComponent("linecut-contacts-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: contacts) }
        try #"{"teams": [{"id": "KT-1", "name": "KT 회선팀", "role": "line-team", "channels": [{"id": "kt-hook", "type": "webhook", "url": "\#(sink.url("/line-team"))"}]}]}"#
            .write(toFile: contacts, atomically: true, encoding: .utf8)
        let running = try TestInstallation(ServiceKind.allCases, logger: logger) { configuration in
            configuration.prober.interval = 1
            configuration.prober.icmpCount = 2
            configuration.prober.icmpTimeout = 0.5
            configuration.prober.icmpSpacing = 0.05
            configuration.issues.policy.openAfter = 2
            configuration.issues.policy.recoverAfter = 2
            configuration.notifier.contactsFile = contacts
            configuration.notifier.vendorWebhook = sink.url("/vendor")
        }
        let broker = running.broker
        let issuesService = try #require(running.installation.issues)
        let notifierService = try #require(running.installation.notifier)

        // An observer like any other tool on the broker.
        let observer = MQTTClient(configuration: .init(port: broker.port, clientID: "observer-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
        let statuses = try await Collector.subscribing(observer, to: "cctv/+/status")
        observer.start()
        try await observer.waitUntilConnected()

        let testStart = ContinuousClock.now
        func phase(_ name: String) { print("E2E phase \(name) at \(format(ContinuousClock.now - testStart))") }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let api = running.baseURL + "/api"
        let token = try TestAccounts.adminToken(dataDir: running.dataDir)
        @Sendable func get(_ http: HTTPClient, _ url: String) async throws -> (status: Int, body: String) { try await LineCutEndToEndTests.get(http, url, token: token) }
        @Sendable func post(_ http: HTTPClient, _ url: String, _ json: String) async throws -> (status: Int, body: String) { try await LineCutEndToEndTests.post(http, url, json, token: token) }
        #expect(await eventually(timeout: .seconds(20)) { (try? await get(http, "\(api)/summary").status) == 200 }, "gateway did not come up")

        phase("gateway up")
        // Bad input is refused with the field named.
        let bad = try await post(http, "\(api)/cameras", #"{"id":"CAM-BAD","address":"300.1.2.3"}"#)
        #expect(bad.status == 400)
        #expect(bad.body.contains("\"field\":\"address\""), "\(bad.body)")

        let ok = try await post(http, "\(api)/cameras", #"{"id":"CAM-OK","name":"정문 1","address":"127.0.0.1","site":"본관","lineTeam":"KT-1"}"#)
        #expect(ok.status == 201, "\(ok.body)")
        let cut = try await post(http, "\(api)/cameras", #"{"id":"CAM-CUT","name":"후문 2","address":"\#(cutAddress)","site":"본관","lineTeam":"KT-1"}"#)
        #expect(cut.status == 201, "\(cut.body)")
        let duplicate = try await post(http, "\(api)/cameras", #"{"address":"127.0.0.1"}"#)
        #expect(duplicate.status == 409)
        #expect(duplicate.body.contains("CAM-OK"), "the refusal names the existing camera: \(duplicate.body)")

        phase("registered")
        // A healthy camera reaches SUCCESS, seen on its retained status.
        let healthy = await statuses.first(timeout: .seconds(30)) { message in
            guard message.topic == "cctv/CAM-OK/status",
                  let envelope = try? ContractCodec.decode(message.payload, as: CameraHealth.self, expecting: [.cameraStatus]) else { return false }
            return envelope.data.state == .ok && envelope.data.icmp == .success
        }
        #expect(healthy != nil, "CAM-OK never reported SUCCESS")
        #expect(await statuses.first(timeout: .seconds(30)) { $0.topic == "cctv/CAM-CUT/status" } != nil)

        phase("statuses seen")
        // Cut the line.
        let chain = try IptablesChain()
        defer { chain.removeAll() }
        try chain.captureEchoRequests(to: cutAddress)
        try chain.append(["-j", "DROP"])
        let cutAt = ContinuousClock.now
        let opened = await sink.first(timeout: .seconds(60)) { $0.json?["event"] as? String == "opened" }
        let openedAt = ContinuousClock.now
        #expect(opened != nil, """
            no 'opened' webhook after the line cut.
            incidents: \((try? issuesService.store.issues(openOnly: false).map { "\($0.cameraID) \($0.kind.rawValue) \($0.state.rawValue)" }) ?? [])
            deliveries: \((try? notifierService.store.history().map { "\($0.event) \($0.target) \($0.state) attempts=\($0.attempts)" }) ?? [])
            sink received: \(sink.all.map { "\($0.path) \(String(decoding: $0.body.prefix(120), as: UTF8.self))" })
            """)
        let issue = opened?.json?["issue"] as? [String: Any]
        #expect(issue?["cameraID"] as? String == "CAM-CUT")
        #expect(issue?["kind"] as? String == "LINE")
        #expect(issue?["responsible"] as? String == "LINE_TEAM")
        #expect(issue?["responsibleTeam"] as? String == "KT-1")
        #expect(opened?.path == "/line-team", "a line problem goes to the line team")
        #expect((opened?.json?["messageKo"] as? String)?.contains("회선 장애") == true)

        // Restore it.
        try chain.flush()
        let restoredAt = ContinuousClock.now
        let resolved = await sink.first(timeout: .seconds(60)) { $0.json?["event"] as? String == "resolved" }
        let resolvedAt = ContinuousClock.now
        #expect(resolved != nil, "no recovery webhook after the line came back")
        #expect(resolved?.path == "/line-team", "the party told 'down' is told 'up'")
        #expect(sink.all.allSatisfy { $0.path != "/vendor" }, "the vendor is not bothered with a line problem")
        #expect(sink.all.filter { $0.json?["event"] as? String == "opened" }.count == 1, "one incident, one opening notice")

        phase("recovered")
        // The query side saw it all.
        #expect(await eventually(timeout: .seconds(10)) {
            let body = (try? await get(http, "\(api)/notifications?camera=CAM-CUT").body) ?? ""
            return body.contains("\"event\":\"opened\"") && body.contains("\"event\":\"resolved\"")
        })
        if let issueID = issue?["id"] as? String {
            let perIncident = try? await get(http, "\(api)/notifications?issue=\(issueID)")
            #expect(perIncident?.body.contains("\"event\":\"resolved\"") == true, "delivery history per incident")
            #expect(perIncident?.body.contains(issueID) == true)
        }
        let issues = try? await get(http, "\(api)/issues?state=all")
        #expect(issues?.body.contains("\"state\":\"RESOLVED\"") == true)

        phase("query side checked")
        print("E2E timeline: cut → opened webhook \(format(openedAt - cutAt)); restore → recovery webhook \(format(resolvedAt - restoredAt))")

        // Close the test's keep-alive connections first: the gateway drains open connections on shutdown.
        try? await http.shutdown()
        await observer.shutdown()
        await running.stop()
    }
}

private func format(_ duration: Duration) -> String {
    String(format: "%.2f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
}

extension LineCutEndToEndTests {
static func get(_ http: HTTPClient, _ url: String, token: String) async throws -> (status: Int, body: String) {
    var request = HTTPClientRequest(url: url)
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    let response = try await http.execute(request, timeout: .seconds(10))
    let body = try await response.body.collect(upTo: 1 << 22)
    return (Int(response.status.code), String(buffer: body))
}

static func post(_ http: HTTPClient, _ url: String, _ json: String, token: String) async throws -> (status: Int, body: String) {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(ByteBuffer(string: json))
    let response = try await http.execute(request, timeout: .seconds(20))
    let body = try await response.body.collect(upTo: 1 << 22)
    return (Int(response.status.code), String(buffer: body))
}
}
