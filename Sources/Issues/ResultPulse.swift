import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// The issues service's account of check results arriving, for the monitor's self-watch: every
/// result is noted in memory (no write); every few seconds the retained `monitor/pulse` says when
/// the last one came, and `monitor/checked` says when each camera's last one came ("last checked"
/// on the dashboard). So a prober that stops, or a pipeline that stalls, is visible as such.
package final class ResultPulse: Sendable {
    private struct Tally {
        var lastResultAt: Date?
        var results = 0
        var checked: [String: Date] = [:]
    }

    private let tally = Mutex(Tally())
    let since: Date
    let every: Double
    let database: any SQLDatabase
    let logger: Logger

    init(every: Double, database: any SQLDatabase, logger: Logger, since: Date = Date()) {
        self.every = every; self.database = database; self.logger = logger; self.since = since
    }

    /// Notes a result of `cameraID` (called for every ICMP and HLS result).
    func record(_ cameraID: String, at now: Date = Date()) {
        tally.withLock { tally in
            tally.lastResultAt = now
            tally.results += 1
            tally.checked[cameraID] = now
        }
    }

    /// Publishes the pulse and the checked times every ``every`` seconds until shutdown.
    func run(bus: ServiceBus) async {
        let topics = bus.topics
        var cameras = 0
        var countedAt: ContinuousClock.Instant?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // The enabled-camera count scans the camera table: once a minute is plenty.
            if countedAt.map({ ContinuousClock.now - $0 > .seconds(60) }) ?? true {
                cameras = (try? await enabledCameras()) ?? cameras
                countedAt = .now
            }
            if bus.isConnected {
                let taken = tally.withLock { tally -> Tally in
                    defer { tally.results = 0; tally.checked = [:] }
                    return tally
                }
                let pulse = MonitorPulse(lastResultAt: taken.lastResultAt, since: since, results: taken.results, cameras: cameras, every: every)
                do {
                    try await bus.publish(topics.monitorPulse, type: .monitorPulse, data: pulse, retain: true, timeout: .seconds(5))
                    try await publishChecked(taken.checked, bus: bus)
                } catch {
                    // Put the times back (newer ones win): they go with the next pulse.
                    tally.withLock { tally in tally.checked.merge(taken.checked) { newer, _ in newer } }
                    logger.debug("pulse not published", metadata: ["error": "\(error)"])
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(self.every * 1000))) }
        }
    }

    /// `monitor/checked` in messages of at most ``MonitorChecked/maxCameras``, QoS 0: a lost one
    /// is corrected by the camera's next result.
    private func publishChecked(_ checked: [String: Date], bus: ServiceBus) async throws {
        var chunk: [String: Date] = [:]
        for (id, at) in checked {
            chunk[id] = at
            if chunk.count == MonitorChecked.maxCameras {
                try await send(chunk, bus: bus)
                chunk = [:]
            }
        }
        if !chunk.isEmpty { try await send(chunk, bus: bus) }
    }

    private func send(_ cameras: [String: Date], bus: ServiceBus) async throws {
        try await bus.publish(bus.topics.monitorChecked, type: .monitorChecked, data: MonitorChecked(cameras: cameras), qos: .atMostOnce, timeout: nil)
    }

    /// Cameras whose definition says enabled (a definition without the flag counts as enabled).
    func enabledCameras() async throws -> Int {
        try await database.read { db in
            let enabled = db.dialect.jsonField("json", "enabled")
            // SQLite reads a JSON boolean as 0/1, PostgreSQL's ->> as the text 'false'/'true'.
            let condition = db.dialect == .sqlite ? "COALESCE(\(enabled), 1) != 0" : "COALESCE(\(enabled), 'true') <> 'false'"
            return try db.row("SELECT COUNT(*) AS n FROM camera WHERE \(condition)")?.int("n") ?? 0
        }
    }
}
