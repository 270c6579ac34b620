import AsyncHTTPClient
import CCTVContract
import Foundation
import Installation
@testable import Gateway
import Logging
import MQTTBus
import ServiceRuntime
import Testing
import TestSupport

/// The dashboard never says "Live" or "OK" on stale data.
@Suite("gateway: monitoring stalled and last checked", .serialized, .runsAlone)
struct MonitoringStalledTests {
    @Test("/api/summary is live while results arrive, stalled when they stop, and stalled (broker_unreachable) when the broker dies")
    func stalledVerdicts() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let running = try TestInstallation([.gateway], broker: broker) { $0.runtime.selfWatch.stallAfterOverride = 2 }
        let api = running.baseURL + "/api"
        let client = HTTPClient.shared
        let token = try TestAccounts.adminToken(dataDir: running.dataDir)
        let tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true, reconnectDelay: (0.1, 0.5)), logger: Logger(label: "tool"))
        tool.start()
        try await tool.waitUntilConnected()
        @Sendable func monitoring() async -> [String: Any]? {
            (try? await http(client, .GET, "\(api)/summary", token: token))?.json?["monitoring"] as? [String: Any]
        }
        let camera = CameraDefinition(id: "CAM-1", name: "정문", address: "127.0.5.1", createdAt: Date(), updatedAt: Date(), version: 1)
        try await tool.publish("cctv/CAM-1/config", payload: ContractCodec.encode(Envelope(type: .cameraConfig, source: "test", data: camera)), retain: true)
        let changedAt = Date().addingTimeInterval(-3600)
        let status = CameraHealth(cameraID: "CAM-1", state: .ok, icmp: .success, since: changedAt, updatedAt: changedAt)
        try await tool.publish("cctv/CAM-1/status", payload: ContractCodec.encode(Envelope(type: .cameraStatus, source: "test", data: status)), retain: true)

        // Results arrive: a pulse every half second, and CAM-1's result time.
        let checkedAt = Date()
        let pulses = Task {
            while !Task.isCancelled {
                let pulse = MonitorPulse(lastResultAt: Date(), since: Date().addingTimeInterval(-60), results: 2, cameras: 1, every: 0.5)
                try? await tool.publish("monitor/pulse", payload: ContractCodec.encode(Envelope(type: .monitorPulse, source: "issues", data: pulse)), retain: true)
                try? await tool.publish("monitor/checked", payload: ContractCodec.encode(Envelope(type: .monitorChecked, source: "issues",
                                                                                                   data: MonitorChecked(cameras: ["CAM-1": checkedAt]))), qos: .atMostOnce)
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        defer { pulses.cancel() }
        #expect(await eventually(timeout: .seconds(15)) { await monitoring()?["state"] as? String == "live" })

        // "Last checked" is the last result, not the last change (an hour ago).
        #expect(await eventually(timeout: .seconds(10)) {
            let detail = try? await http(client, .GET, "\(api)/cameras/CAM-1", token: token)
            guard let text = (detail?.json?["status"] as? [String: Any])?["checkedAt"] as? String,
                  let seen = try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)) else { return false }
            return abs(seen.timeIntervalSince(checkedAt)) < 2
        }, "status.checkedAt comes from monitor/checked")
        let page = try await http(client, .GET, "\(api)/cameras", token: token)
        #expect(page.body.contains("\"checkedAt\""), "camera lists carry it too")

        // Results stop.
        pulses.cancel()
        #expect(await eventually(timeout: .seconds(15)) {
            let m = await monitoring()
            return m?["state"] as? String == "stalled" && (m?["reasons"] as? [String]) == ["no_results"]
        }, "no result for the stall time: stalled")

        // The broker dies: the gateway still answers, and says why.
        broker.kill()
        #expect(await eventually(timeout: .seconds(15)) {
            (await monitoring()?["reasons"] as? [String]) == ["broker_unreachable"]
        })
        let summary = try await http(client, .GET, "\(api)/summary", token: token)
        #expect(summary.status == 200)

        await tool.shutdown(timeout: .milliseconds(200))
        await running.stop()
    }
}
