import CCTVContract
import Foundation
import GRDB

/// The console's part of `/metrics` for Grafana: cameras per state, open incidents per kind and
/// team, notification outcomes per channel (all from the read store, so they are right in a
/// distributed installation too), and — unless `metrics.per-camera` is off — one up / RTT / loss /
/// HLS-latency series per camera (100,000 cameras make 400,000 series: turn them off there).
enum ConsoleMetrics {
    /// The exposition text (Prometheus 0.0.4).
    static func text(store: ReadStore, history: HistoryRecorder?, perCamera: Bool) throws -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" }
        func line(_ name: String, _ labels: [(String, String)], _ value: Double) {
            let rendered = labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
            out += "\(name)\(rendered.isEmpty ? "" : "{\(rendered)}") \(value.isFinite ? format(value) : "NaN")\n"
        }
        let summary = try store.summary()
        family("cctvout_cameras", "gauge", "Cameras per state.")
        for state in CameraState.allCases { line("cctvout_cameras", [("state", state.rawValue)], Double(summary.byState[state.rawValue] ?? 0)) }
        let (incidents, outcomes, cameras) = try store.metricsCounts(perCamera: perCamera)
        family("cctvout_incidents_open", "gauge", "Open incidents (site incidents once, not their grouped cameras) per kind and responsible team.")
        for row in incidents { line("cctvout_incidents_open", [("kind", row.kind), ("team", row.team)], Double(row.count)) }
        family("cctvout_notifications_total", "counter", "Notifications that reached their last outcome, per channel kind, channel and outcome.")
        for row in outcomes { line("cctvout_notifications_total", [("channel", row.channel), ("target", row.target), ("outcome", row.outcome)], Double(row.count)) }
        guard perCamera else { return out }
        let latest = history?.latestMeasurements() ?? [:]
        family("cctvout_camera_up", "gauge", "1 when the camera is OK or degraded, 0 when its line or stream is down (absent while unknown).")
        for camera in cameras where camera.state != CameraState.unknown.rawValue {
            let up = camera.state == CameraState.ok.rawValue || camera.state == CameraState.degraded.rawValue
            line("cctvout_camera_up", [("camera", camera.id), ("site", camera.site ?? "")], up ? 1 : 0)
        }
        family("cctvout_camera_rtt_ms", "gauge", "Average ICMP round trip of the camera's last check, milliseconds.")
        for camera in cameras { if let rtt = latest[camera.id]?.rttMs { line("cctvout_camera_rtt_ms", [("camera", camera.id)], rtt) } }
        family("cctvout_camera_loss_percent", "gauge", "ICMP loss of the camera's last check, percent.")
        for camera in cameras { if let loss = latest[camera.id]?.lossPercent { line("cctvout_camera_loss_percent", [("camera", camera.id)], loss) } }
        family("cctvout_camera_hls_latency_ms", "gauge", "Media playlist latency of the camera's last good HLS check, milliseconds.")
        for camera in cameras { if let latency = latest[camera.id]?.hlsLatencyMs { line("cctvout_camera_hls_latency_ms", [("camera", camera.id)], latency) } }
        return out
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3f", value)
    }
}

extension ReadStore {
    /// What /metrics counts: open incidents per kind and team, notification outcomes per channel,
    /// and (when asked) every camera's state.
    func metricsCounts(perCamera: Bool) throws -> (incidents: [(kind: String, team: String, count: Int)],
                                                   outcomes: [(channel: String, target: String, outcome: String, count: Int)],
                                                   cameras: [(id: String, site: String?, state: String)]) {
        try database.read { db in
            let incidents = try Row.fetchAll(db, sql: """
                SELECT json_extract(CAST(json AS TEXT), '$.kind') AS kind, COALESCE(json_extract(CAST(json AS TEXT), '$.responsibleTeam'), '') AS team, COUNT(*) AS n
                FROM issue WHERE state NOT IN ('RESOLVED','CLOSED') AND json_extract(CAST(json AS TEXT), '$.parentID') IS NULL GROUP BY 1, 2 ORDER BY 1, 2
                """).map { (kind: $0["kind"] as String? ?? "", team: $0["team"] as String, count: $0["n"] as Int) }
            let outcomes = try Row.fetchAll(db, sql: """
                SELECT json_extract(CAST(json AS TEXT), '$.channel') AS channel, json_extract(CAST(json AS TEXT), '$.target') AS target,
                       CASE WHEN json_extract(CAST(json AS TEXT), '$.delivered') THEN 'delivered' ELSE 'failed' END AS outcome, COUNT(*) AS n
                FROM notification GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                """).map { (channel: $0["channel"] as String? ?? "", target: $0["target"] as String? ?? "", outcome: $0["outcome"] as String, count: $0["n"] as Int) }
            let cameras = perCamera
                ? try Row.fetchAll(db, sql: "SELECT c.id, c.site, COALESCE(s.state, 'UNKNOWN') AS state FROM camera c LEFT JOIN status s ON s.cameraID = c.id ORDER BY c.id")
                    .map { (id: $0["id"] as String, site: $0["site"] as String?, state: $0["state"] as String) }
                : []
            return (incidents, outcomes, cameras)
        }
    }
}
