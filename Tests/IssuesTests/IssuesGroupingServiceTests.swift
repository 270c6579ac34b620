import CCTVContract
import Foundation
import MQTTBus
import Testing
import TestSupport
@testable import Issues

/// A tool on the harness's broker that plays the registry and the prober, and watches `issues/+`.
private struct FakeFleet {
    let tool: MQTTClient
    let issues: Collector<MQTTMessage>

    static func start(_ harness: IssuesHarness) async throws -> FakeFleet {
        let tool = harness.client("tool")
        let issues = try await Collector.subscribing(tool, to: "issues/+")
        tool.start()
        try await tool.waitUntilConnected()
        try await Task.sleep(for: .milliseconds(300))
        return FakeFleet(tool: tool, issues: issues)
    }

    func camera(_ id: String, site: String, hls: String? = nil) async throws {
        let camera = CameraDefinition(id: id, name: "cam \(id)", address: "127.0.5.1", hlsURL: hls, site: site, lineTeam: "KT-1",
                                      createdAt: Date(), updatedAt: Date(), version: 1)
        try await tool.publish("cctv/\(id)/config", payload: ContractCodec.encode(Envelope(type: .cameraConfig, source: "test", data: camera)), retain: true)
    }

    func icmp(_ id: String, _ status: ICMPStatus, inconclusive: String? = nil, prober: String = "p1") async throws {
        let result = ICMPResult(cameraID: id, address: "127.0.5.1", status: status, reason: status == .success ? "ok" : "no_reply", sent: 1,
                                received: status == .success ? 1 : 0, lossPercent: status == .success ? 0 : 100, startedAt: Date(), durationMs: 1,
                                prober: prober, inconclusive: inconclusive)
        try await tool.publish("cctv/\(id)/icmp", payload: ContractCodec.encode(Envelope(type: .probeICMP, source: "test", data: result)))
    }

    func hls(_ id: String, _ status: HLSStatus, reason: String = "http_503") async throws {
        let result = HLSResult(cameraID: id, url: "http://x", status: status, reason: status == .success ? "ok" : reason, startedAt: Date(), durationMs: 1, prober: "p1")
        try await tool.publish("cctv/\(id)/hls", payload: ContractCodec.encode(Envelope(type: .probeHLS, source: "test", data: result)))
    }

    func records(_ type: EventType) -> [IssueRecord] {
        issues.all.compactMap { try? ContractCodec.decode($0.payload, as: IssueRecord.self, expecting: [type]).data }
    }

    func command(_ command: IssueCommand) async throws -> IssueReply {
        let answer = try await tool.request("commands/issues/\(tool.configuration.clientID)", payload: ContractCodec.encode(Envelope(type: .issueCommand, source: "test", data: command)))
        return try ContractCodec.decode(answer.payload, as: IssueReply.self, expecting: [.issueReply]).data
    }
}

@Suite("issues service: grouping and the monitor's own outage, through a real broker", .serialized, .runsAlone)
struct IssuesGroupingServiceTests {
    @Test("cameras streaming from one server that fail together become one STREAM_SERVER incident, not one vendor incident each")
    func streamServerIncident() async throws {
        let harness = try IssuesHarness { $0.policy.openAfter = 1; $0.storm.minimumPerServer = 3; $0.storm.minimumCameras = 0 }
        let fleet = try await FakeFleet.start(harness)
        for n in 1...3 { try await fleet.camera("NVR-\(n)", site: "주차장", hls: "http://user:pw@127.0.5.9:8080/live/\(n).m3u8") }
        try await fleet.camera("OTHER", site: "주차장", hls: "http://127.0.5.10:8080/live.m3u8")
        try await Task.sleep(for: .milliseconds(300))
        for id in ["NVR-1", "NVR-2", "NVR-3", "OTHER"] { try await fleet.icmp(id, .success) }
        for id in ["NVR-1", "NVR-2", "NVR-3", "OTHER"] { try await fleet.hls(id, .fail) }

        #expect(await eventually(timeout: .seconds(10)) { fleet.records(.issueOpened).contains { $0.isServerIncident } })
        let server = try #require(fleet.records(.issueOpened).first { $0.isServerIncident })
        #expect(server.kind == .streamServer)
        #expect(server.responsible == .operators)
        #expect(server.streamServer == "http://127.0.5.9:8080", "credentials and path are not part of the server")
        #expect(await eventually(timeout: .seconds(10)) {
            let attached = Set((fleet.records(.issueOpened) + fleet.records(.issueUpdated)).filter { $0.parentID == server.id }.map(\.cameraID))
            return attached == ["NVR-1", "NVR-2", "NVR-3"]
        })
        #expect(fleet.records(.issueOpened).first { $0.cameraID == "OTHER" }?.parentID == nil, "a camera of another server is on its own")

        await fleet.tool.shutdown()
        await harness.stop()
    }

    @Test("acknowledging a site incident acknowledges its cameras")
    func acknowledgeSite() async throws {
        let harness = try IssuesHarness { $0.policy.openAfter = 1; $0.storm.minimumCameras = 3 }
        let fleet = try await FakeFleet.start(harness)
        for n in 1...3 { try await fleet.camera("ACK-\(n)", site: "후문") }
        try await Task.sleep(for: .milliseconds(300))
        for n in 1...3 { try await fleet.icmp("ACK-\(n)", .timeout) }
        #expect(await eventually(timeout: .seconds(10)) { fleet.records(.issueOpened).contains { $0.isSiteIncident } })
        let site = try #require(fleet.records(.issueOpened).first { $0.isSiteIncident })
        #expect(await eventually(timeout: .seconds(10)) { ((try? harness.service.store.issues(openOnly: true).filter { $0.parentID == site.id }.count) ?? 0) == 3 })

        let reply = try await fleet.command(IssueCommand(.acknowledge(issueID: site.id, note: nil), actor: "관제사"))
        #expect(reply.ok)
        let open = try harness.service.store.issues(openOnly: true)
        #expect(open.filter { $0.parentID == site.id }.allSatisfy { $0.state == .acknowledged }, "\(open.map { "\($0.cameraID) \($0.state)" })")
        #expect(open.first { $0.id == site.id }?.state == .acknowledged)

        await fleet.tool.shutdown()
        await harness.stop()
    }

    @Test("most of the fleet across many sites failing at once: one MONITOR incident, every camera incident withdrawn, nobody else blamed")
    func monitorOutageFromTheFleet() async throws {
        let harness = try IssuesHarness { $0.policy.openAfter = 1; $0.storm.minimumCameras = 0; $0.policy.announceHold = 30 }
        let fleet = try await FakeFleet.start(harness)
        let ids = (0..<30).map { "F-\($0)" }
        for (n, id) in ids.enumerated() { try await fleet.camera(id, site: "site-\(n % 3)") }
        try await Task.sleep(for: .milliseconds(300))
        for id in ids { try await fleet.icmp(id, .success) }
        try await Task.sleep(for: .milliseconds(500))
        for id in ids { try await fleet.icmp(id, .timeout) }

        #expect(await eventually(timeout: .seconds(10)) { fleet.records(.issueOpened).contains { $0.isMonitorIncident } })
        let monitor = try #require(fleet.records(.issueOpened).first { $0.isMonitorIncident })
        #expect(monitor.kind == .monitor)
        #expect(monitor.reason == MonitorOutage.fleetReason)
        #expect(await eventually(timeout: .seconds(10)) { ((try? harness.service.store.issues(openOnly: true).map(\.id)) ?? []) == [monitor.id] },
                "every camera incident opened before the outage was recognised is withdrawn in its hold")
        let cameras = fleet.records(.issueOpened).filter { !$0.isMonitorIncident }
        #expect(cameras.allSatisfy { camera in fleet.records(.issueResolved).contains { $0.id == camera.id } })

        for id in ids { try await fleet.icmp(id, .success) }
        #expect(await eventually(timeout: .seconds(10)) { fleet.records(.issueResolved).contains { $0.id == monitor.id } })
        #expect(fleet.records(.issueOpened).filter(\.isMonitorIncident).count == 1, "operators are told once")

        await fleet.tool.shutdown()
        await harness.stop()
    }

    @Test("a prober whose reference addresses fail marks its results inconclusive: one MONITOR incident, no camera incident")
    func monitorOutageFromTheProber() async throws {
        let harness = try IssuesHarness { $0.policy.openAfter = 1 }
        let fleet = try await FakeFleet.start(harness)
        try await fleet.camera("REF-1", site: "정문")
        try await Task.sleep(for: .milliseconds(300))
        try await fleet.icmp("REF-1", .timeout, inconclusive: "reference_unreachable")
        #expect(await eventually(timeout: .seconds(10)) { fleet.records(.issueOpened).contains { $0.isMonitorIncident } })
        #expect(fleet.records(.issueOpened).first { $0.isMonitorIncident }?.reason == "reference_unreachable")
        #expect(!fleet.records(.issueOpened).contains { $0.cameraID == "REF-1" })
        try await fleet.icmp("REF-1", .success)
        #expect(await eventually(timeout: .seconds(10)) { fleet.records(.issueResolved).contains { $0.isMonitorIncident } })

        await fleet.tool.shutdown()
        await harness.stop()
    }
}
