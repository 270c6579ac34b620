import CCTVContract
import Foundation
import Logging
import MQTTBus
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Feeds the history from the broker's events, on its own write path: check results are summed in
/// memory per camera and written every `flushInterval` (a crash loses at most that much of the
/// charts, never a state change: those are written as they come, batched per second), and each
/// camera's last check time goes to the read store for the "stalled" problems.
package final class HistoryRecorder: Sendable {
    let store: HistoryStore
    let topics: Topics
    let logger: Logger
    let retention: HistoryStore.Retention
    /// Seconds between writes of the summed measurements.
    package let flushInterval: TimeInterval
    /// Where a camera's last check time goes (the read store's activity table).
    let activity: @Sendable ([(String, Date)]) throws -> Void

    private struct State {
        /// Each camera's open measurements and last values (one object per camera, changed in place).
        var cameras: [String: CameraMeasurements] = [:]
        var changes: [(cameraID: String, at: Date, state: String)] = []
        /// Whether each camera's last recorded state has been loaded into ``CameraMeasurements/lastState``.
        var statesLoaded = false

        /// The camera's record, created on its first result.
        mutating func camera(_ id: String) -> CameraMeasurements {
            if let held = cameras[id] { return held }
            let created = CameraMeasurements()
            cameras[id] = created
            return created
        }
    }

    /// One camera's measurements since the last flush, its last check time and its last values.
    ///
    /// Why one object per camera: four dictionaries keyed by camera (open buckets, each camera's
    /// own bucket dictionary inside, last-seen times, last values) held 27 MB at 50,000 cameras
    /// (heaptrack of `serve`, 2026-12-01): at 100,000 cameras a Swift dictionary has 262,144
    /// buckets, and each stored its value inline. One reference per bucket and one object per
    /// camera is about half, and a result updates one entry instead of four. Only touched under
    /// the recorder's lock.
    private final class CameraMeasurements {
        /// The last ICMP and HLS values, for /metrics (nil: none since the camera was removed).
        var latest: Latest?
        /// When the camera's last result came (nil: none since the last flush).
        var lastSeen: Date?
        /// The bucket the latest results went into, at the finest resolution.
        var openStart = 0
        var open = MetricBucket()
        /// Earlier buckets not written yet (a flush interval that crossed a bucket boundary).
        var earlier: [(start: Int, bucket: MetricBucket)] = []
        /// The last state recorded (nil: none). Kept here, not in a dictionary of its own: that
        /// dictionary was 10 MB at 100,000 cameras (jemalloc heap profile of `serve`, 2026-12-02),
        /// and this object stays in jemalloc's 192-byte class with it (176 bytes before).
        var lastState: String?

        /// The bucket starting at `start`, earlier ones kept for the next flush.
        func bucket(at start: Int, _ change: (inout MetricBucket) -> Void) {
            if start != openStart {
                if !open.isEmpty { earlier.append((openStart, open)) }
                // A result for a bucket already left (the clock stepped back) goes on in that bucket.
                open = earlier.firstIndex { $0.start == start }.map { earlier.remove(at: $0).bucket } ?? MetricBucket()
                openStart = start
            }
            change(&open)
        }

        /// Every bucket not written yet.
        var pending: [(start: Int, bucket: MetricBucket)] { open.isEmpty ? earlier : earlier + [(openStart, open)] }

        /// Forgets what a flush wrote.
        func flushed() { earlier = []; open = MetricBucket(); lastSeen = nil }

        /// Nothing left worth keeping.
        var isIdle: Bool { latest == nil && lastSeen == nil && open.isEmpty && earlier.isEmpty && lastState == nil }
    }

    /// A camera's last ICMP and HLS measurements.
    package struct Latest: Sendable, Equatable {
        package var rttMs: Double?
        package var lossPercent: Double?
        package var hlsLatencyMs: Double?
    }
    private let state = Mutex(State())

    package init(store: HistoryStore, topics: Topics, retention: HistoryStore.Retention, flushInterval: TimeInterval, logger: Logger,
                activity: @escaping @Sendable ([(String, Date)]) throws -> Void = { _ in }) {
        self.store = store; self.topics = topics; self.retention = retention; self.flushInterval = flushInterval; self.logger = logger; self.activity = activity
    }

    /// Takes one message from `cctv/+/icmp`, `cctv/+/hls`, `cctv/+/status` or `cctv/+/config`; others are ignored.
    package func observe(_ message: MQTTMessage, now: Date = Date()) {
        guard let cameraID = topics.cameraID(in: message.topic), message.payload.count <= 64 * 1024 else { return }
        let bucketStart = Int(now.timeIntervalSince1970).floorDiv(HistoryResolution.quarterHour.rawValue) * HistoryResolution.quarterHour.rawValue
        if message.topic.hasSuffix("/icmp") {
            // Read by hand, as the issues service reads it (ContractJSONReader).
            guard let result = try? ContractCodec.decode(message.payload, as: ICMPResult.self, expecting: [.probeICMP]).data else { return }
            state.withLock {
                let camera = $0.camera(cameraID)
                camera.bucket(at: bucketStart) { $0.addICMP(lossPercent: result.lossPercent, rttAvgMs: result.rttAvgMs, rttMaxMs: result.rttMaxMs) }
                camera.lastSeen = now
                camera.latest = Latest(rttMs: result.rttAvgMs, lossPercent: result.lossPercent, hlsLatencyMs: camera.latest?.hlsLatencyMs)
            }
        } else if message.topic.hasSuffix("/hls") {
            guard let result = try? ContractCodec.decode(message.payload, as: HLSResult.self, expecting: [.probeHLS]).data else { return }
            state.withLock {
                let camera = $0.camera(cameraID)
                camera.bucket(at: bucketStart) { $0.addHLS(ok: result.status == .success, latencyMs: result.playlistLatencyMs, bitrateKbps: result.bitrateKbps) }
                camera.lastSeen = now
                camera.latest = Latest(rttMs: camera.latest?.rttMs, lossPercent: camera.latest?.lossPercent,
                                       hlsLatencyMs: result.status == .success ? result.playlistLatencyMs : nil)
            }
        } else if message.topic.hasSuffix("/status") {
            if message.payload.isEmpty {
                state.withLock { s in
                    guard let camera = s.cameras[cameraID] else { return }
                    camera.latest = nil
                    if camera.isIdle { s.cameras[cameraID] = nil }
                }
                change(cameraID, at: now, to: "GONE"); return
            }
            guard let health = try? ContractCodec.decode(message.payload, as: CameraHealth.self, expecting: [.cameraStatus]).data, health.cameraID == cameraID else { return }
            change(cameraID, at: health.since, to: health.state.rawValue)
        } else if message.topic.hasSuffix("/config"), message.payload.isEmpty {
            change(cameraID, at: now, to: "GONE")
        }
    }

    /// Queues a state change unless the camera is already recorded in that state.
    private func change(_ cameraID: String, at: Date, to newState: String) {
        state.withLock { s in
            if s.statesLoaded {
                let camera = s.camera(cameraID)
                if camera.lastState == newState { return }
                camera.lastState = newState
            } else if let queued = s.changes.last(where: { $0.cameraID == cameraID }), queued.state == newState {
                return
            }
            s.changes.append((cameraID, at, newState))
        }
    }

    /// Every camera's last measurements (for /metrics).
    package func latestMeasurements() -> [String: Latest] {
        state.withLock { s in
            var latest: [String: Latest] = [:]
            latest.reserveCapacity(s.cameras.count)
            for (id, camera) in s.cameras { if let values = camera.latest { latest[id] = values } }
            return latest
        }
    }

    /// Results not written yet for `cameraID` (for charts that include the last minutes).
    package func pending(_ cameraID: String) -> [(start: Date, bucket: MetricBucket)] {
        state.withLock { ($0.cameras[cameraID]?.pending ?? []).map { (Date(timeIntervalSince1970: Double($0.start)), $0.bucket) } }
    }

    /// Writes state changes (every second) and measurements (every `flushInterval`), prunes once an
    /// hour, and writes whatever is left when cancelled.
    package func run() async {
        do {
            let loaded = try store.lastStates()
            state.withLock { s in
                var states = loaded
                // Changes seen before loading finished are newer than what is stored.
                let queued = s.changes.filter { states[$0.cameraID] != $0.state }
                for change in queued { states[change.cameraID] = change.state }
                s.changes = queued
                for (id, recorded) in states { s.camera(id).lastState = recorded }
                s.statesLoaded = true
            }
        } catch {
            logger.error("history: could not read the last states", metadata: ["error": "\(error)"])
            state.withLock { $0.statesLoaded = true }
        }
        var lastFlush = Date(), lastPrune = Date.distantPast
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .seconds(1))
            await offPool { $0.writeChanges() }
            if Date().timeIntervalSince(lastFlush) >= flushInterval { await offPool { $0.flush() }; lastFlush = Date() }
            if Date().timeIntervalSince(lastPrune) >= 3600 {
                await offPool { recorder in
                    do { try recorder.store.prune(retention: recorder.retention) } catch { recorder.logger.error("history: prune failed", metadata: ["error": "\(error)"]) }
                }
                lastPrune = Date()
            }
        }
        writeChanges()
        flush()
    }

    /// Runs SQLite work on NIO's thread pool: a flush of 100,000 cameras takes seconds
    /// (`cctv-out-bench history`) and must not hold one of the cooperative pool's threads.
    private func offPool(_ work: @escaping @Sendable (HistoryRecorder) -> Void) async {
        do { try await NIOThreadPool.singleton.runIfActive { work(self) } } catch { work(self) }
    }

    /// Writes the queued state changes now.
    package func writeChanges() {
        let changes = state.withLock { s -> [(cameraID: String, at: Date, state: String)] in defer { s.changes = [] }; return s.changes }
        guard !changes.isEmpty else { return }
        do { try store.record(changes) } catch {
            logger.error("history: could not record state changes", metadata: ["count": "\(changes.count)", "error": "\(error)"])
            state.withLock { $0.changes = changes + $0.changes } // tried again next second
        }
    }

    /// Writes the summed measurements and last check times now.
    package func flush() {
        // Taken out under the lock (~10 ms for 100,000 cameras), written after it.
        let (items, seen) = state.withLock { s in
            var items: [(cameraID: String, start: Date, bucket: MetricBucket)] = []
            var seen: [(String, Date)] = []
            var idle: [String] = []
            for (id, camera) in s.cameras {
                for open in camera.pending { items.append((id, Date(timeIntervalSince1970: Double(open.start)), open.bucket)) }
                if let at = camera.lastSeen { seen.append((id, at)) }
                camera.flushed()
                if camera.isIdle { idle.append(id) }
            }
            for id in idle { s.cameras[id] = nil }
            return (items, seen)
        }
        do { try store.add(items) } catch {
            logger.error("history: could not write measurements", metadata: ["cameras": "\(Set(items.map(\.cameraID)).count)", "error": "\(error)"])
        }
        do { try activity(seen) } catch {
            logger.error("history: could not write last check times", metadata: ["error": "\(error)"])
        }
    }
}
