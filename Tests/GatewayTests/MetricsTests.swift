import CCTVContract
import Foundation
@testable import Gateway
import Logging
import MQTTBus
import Testing
import TestSupport

/// `/metrics` for Grafana: cameras per state, open incidents per kind and team, notification
/// outcomes per channel, per-camera series unless turned off; and the shipped Grafana dashboard
/// only queries series `/metrics` really has.
@Suite("metrics for Grafana", .runsAlone)
struct MetricsTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString)").path

    func fixture() async throws -> (ReadStore, HistoryRecorder) {
        let store = try ReadStore(dataDir: dir)
        let now = Date()
        for (id, state) in [("CAM-1", CameraState.ok), ("CAM-2", .lineDown), ("CAM-\"3", .cameraDown)] {
            try await store.apply(camera: CameraDefinition(id: id, name: id, address: "10.0.0.1", site: "본관", createdAt: now, updatedAt: now, version: 1))
            try await store.apply(status: CameraHealth(cameraID: id, state: state, since: now, updatedAt: now))
        }
        try await store.apply(issue: IssueRecord(id: "I1", cameraID: "CAM-2", kind: .line, state: .open, responsible: .lineTeam, responsibleTeam: "KT-1",
                                           reason: "no_reply", openedAt: now, updatedAt: now, version: 1))
        try await store.apply(issue: IssueRecord(id: "I2", cameraID: "CAM-9", kind: .line, state: .open, responsible: .lineTeam, responsibleTeam: "KT-1",
                                           reason: "no_reply", openedAt: now, updatedAt: now, version: 1, parentID: "I1"))
        try await store.apply(notification: NotificationRecord(id: "N1", issueID: "I1", cameraID: "CAM-2", event: "opened", channel: "webhook", target: "kt (10.1.1.1)",
                                                         delivered: true, attempts: 1, at: now))
        try await store.apply(notification: NotificationRecord(id: "N2", issueID: "I1", cameraID: "CAM-2", event: "opened", channel: "slack", target: "ops (hooks)",
                                                         delivered: false, attempts: 12, error: "HTTP 500", at: now))
        var logger = Logger(label: "m")
        logger.logLevel = .critical
        let history = HistoryRecorder(store: try HistoryStore(dataDir: dir), topics: Topics(), retention: .init(), flushInterval: 300, logger: logger)
        let result = ICMPResult(cameraID: "CAM-1", address: "a", status: .success, reason: "ok", sent: 3, received: 3, lossPercent: 0, rttAvgMs: 1.25,
                                startedAt: now, durationMs: 1, prober: "p")
        history.observe(MQTTMessage(topic: "cctv/CAM-1/icmp", payload: ContractCodec.encode(Envelope(type: .probeICMP, source: "p", data: result))))
        return (store, history)
    }

    @Test("states, open incidents (a storm once), outcomes per channel and per-camera series, escaped")
    func exposition() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, history) = try await fixture()
        let text = try ConsoleMetrics.text(store: store, history: history, perCamera: true)
        #expect(text.contains("cctvout_cameras{state=\"LINE_DOWN\"} 1\n") && text.contains("cctvout_cameras{state=\"DEGRADED\"} 0\n"))
        #expect(text.contains("cctvout_incidents_open{kind=\"LINE\",team=\"KT-1\"} 1\n"), "the grouped incident is not counted again")
        #expect(text.contains("cctvout_notifications_total{channel=\"slack\",target=\"ops (hooks)\",outcome=\"failed\"} 1\n"))
        #expect(text.contains("cctvout_camera_up{camera=\"CAM-1\",site=\"본관\"} 1\n") && text.contains("cctvout_camera_up{camera=\"CAM-2\",site=\"본관\"} 0\n"))
        #expect(text.contains("cctvout_camera_up{camera=\"CAM-\\\"3\",site=\"본관\"} 0\n"), "label values are escaped")
        #expect(text.contains("cctvout_camera_rtt_ms{camera=\"CAM-1\"} 1.250\n") && text.contains("cctvout_camera_loss_percent{camera=\"CAM-1\"} 0\n"))
        let without = try ConsoleMetrics.text(store: store, history: history, perCamera: false)
        #expect(!without.contains("cctvout_camera_") && without.contains("cctvout_cameras{"), "per-camera series can be turned off")
    }

    @Test("the Grafana dashboard in deploy/ only queries series /metrics has")
    func grafanaDashboard() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, history) = try await fixture()
        let text = try ConsoleMetrics.text(store: store, history: history, perCamera: true)
        let families = Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/grafana/cctv-out.json")
        let json = try String(contentsOf: url, encoding: .utf8)
        let names = Set(try NSRegularExpression(pattern: #"cctvout_[a-z_]+"#).matches(in: json, range: NSRange(json.startIndex..., in: json))
            .compactMap { Range($0.range, in: json).map { String(json[$0]) } })
        #expect(names.count >= 6)
        #expect(names.subtracting(families).isEmpty, "the dashboard queries series /metrics lacks: \(names.subtracting(families).sorted())")
    }
}
