import CCTVContract
import Foundation
import HLSCore
import Logging
import Metrics
import MQTTBus
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// The prober: builds its schedule from the retained `cctv/+/config` definitions (a restart
/// rebuilds it; no state of its own beyond each stream's last playlist load), runs each
/// camera's ICMP and HLS checks and publishes every result on `cctv/{id}/icmp` and
/// `cctv/{id}/hls`.
///
/// ICMP and HLS have separate schedules and separate concurrency limits, so slow HLS servers
/// can never delay a ping, and every check runs in its own task with its own time budget, so
/// one hung camera holds up nothing but its own next check.
///
/// While a camera's line is down (its latest ICMP check was TIMEOUT or FAIL) its HLS check is
/// skipped: the diagnosis is LINE whatever the stream does, and a site whose line is cut would
/// otherwise make hundreds of HLS checks each wait out a full time budget, starving the HLS
/// pool for every healthy camera. The first answered ping lets the HLS checks resume.
public final class ProberService: Service {
    let context: RuntimeContext
    let icmp: any ICMPProbing
    let hls: HLSChecker
    /// The optional ffprobe deep check and its cadence (every Nth good HLS check; 0 = off).
    let configuration: ProberConfiguration
    let deepCheck: FFprobeDeepCheck
    private let deepCheckCounts = Mutex<[String: Int]>([:])
    let backoff: BackoffPolicy
    let proberID: String
    let logger: Logger
    let linesDown = LinesDown()

    /// - Parameters:
    ///   - configuration: cadence, budgets, concurrency and fleet selection.
    ///   - icmp: the ICMP adapter (``EngineICMPProbe`` in production).
    ///   - hls: the HLS checker; by default one over AsyncHTTPClient with the configured time
    ///     budget and segment byte cap.
    public init(context: RuntimeContext, configuration: ProberConfiguration, icmp: any ICMPProbing, hls: HLSChecker? = nil) {
        self.context = context
        self.configuration = configuration
        self.icmp = icmp
        self.logger = context.logger(for: "prober")
        self.deepCheck = FFprobeDeepCheck(timeout: .milliseconds(Int64((configuration.deepCheckTimeout * 1000).rounded())),
                                          concurrency: configuration.deepCheckConcurrency)
        self.backoff = BackoffPolicy(failuresBeforeBackoff: configuration.backoffAfter)
        self.hls = hls ?? HLSChecker(fetcher: HTTPClientHLSFetcher(connectionsPerHost: configuration.hlsConcurrency), limits: configuration.hlsLimits)
        self.proberID = "\(context.instance)-\(configuration.busName)"
    }

    public func run() async throws {
        let bus = context.makeBus(service: configuration.busName)
        let configs = try await bus.subscribe(context.topics.allConfigs)
        bus.start()
        let credentials = StreamCredentialsSource(client: bus.client, commandTopic: context.topics.registryCommands,
                                                  replyPrefix: context.topics.replies, logger: logger)
        let icmpSchedule = ScheduleBox(defaultInterval: configuration.interval, backoff: backoff)
        let hlsSchedule = ScheduleBox(defaultInterval: configuration.interval, backoff: backoff)
        let decoder = MessageDecoder(service: "prober", logger: logger)
        let icmpCounter = Counter(label: "cctvout_checks_total", dimensions: [("kind", "icmp")])
        let hlsCounter = Counter(label: "cctvout_checks_total", dimensions: [("kind", "hls")])
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in configs.cancelOnGracefulShutdown() {
                    guard let id = self.context.topics.cameraID(in: message.topic) else { continue }
                    if message.payload.isEmpty { self.unschedule(id, icmpSchedule, hlsSchedule); credentials.forget(id); continue }
                    guard let envelope = decoder.decode(message, as: CameraDefinition.self, expecting: [.cameraConfig]), envelope.data.id == id else { continue }
                    guard self.configuration.selection.includes(envelope.data) else { self.unschedule(id, icmpSchedule, hlsSchedule); continue }
                    let camera = envelope.data
                    icmpSchedule.upsert(camera)
                    if camera.hlsURL.flatMap(URL.init(string:)) != nil {
                        hlsSchedule.upsert(camera)
                    } else {
                        hlsSchedule.remove(id); self.hls.forget(id)
                    }
                }
            }
            group.addTask {
                await self.runChecks(schedule: icmpSchedule, concurrency: self.configuration.concurrency) { camera in
                    let result = await self.checkICMP(camera)
                    icmpCounter.increment()
                    self.linesDown.record(camera.id, down: result.status == .timeout || result.status == .fail)
                    await self.publish(result, on: bus, topic: self.context.topics.icmp(camera.id), type: .probeICMP, camera: camera.id)
                    return result.status == .timeout || result.status == .fail
                }
            }
            group.addTask {
                await self.runChecks(schedule: hlsSchedule, concurrency: self.configuration.hlsConcurrency) { camera in
                    guard !self.linesDown.contains(camera.id) else { return false }
                    guard var result = await self.checkHLS(camera, credentials: await credentials.credentials(for: camera)) else { return false }
                    if result.status == .success { result = await self.deepen(result, camera: camera) }
                    hlsCounter.increment()
                    await self.publish(result, on: bus, topic: self.context.topics.hls(camera.id), type: .probeHLS, camera: camera.id)
                    return result.status != .success
                }
            }
            await group.next()
            group.cancelAll()
        }
        await bus.shutdown()
        if let fetcher = hls.fetcher as? HTTPClientHLSFetcher { await fetcher.shutdown() }
    }

    /// Starts every due check as its own task while fewer than `concurrency` run; `check`
    /// returns whether the check failed (for back-off).
    func runChecks(schedule: ScheduleBox, concurrency: Int, check: @escaping @Sendable (CameraDefinition) async -> Bool) async {
        await withDiscardingTaskGroup { checks in
            let finishedSignal = WakeSignal()
            let runningCount = RunningCount()
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let room = concurrency - runningCount.value
                let due = room > 0 ? schedule.takeDue(limit: room) : []
                for camera in due {
                    runningCount.add(1)
                    checks.addTask {
                        let failed = await check(camera)
                        schedule.finished(camera.id, failed: failed)
                        runningCount.add(-1)
                        finishedSignal.signal()
                    }
                }
                let wait = min(schedule.nextDue() ?? 1, 1)
                if due.isEmpty { await finishedSignal.wait(upTo: .milliseconds(max(10, Int(wait * 1000)))) }
            }
        }
    }

    func unschedule(_ id: String, _ icmpSchedule: ScheduleBox, _ hlsSchedule: ScheduleBox) {
        linesDown.record(id, down: false)
        icmpSchedule.remove(id)
        hlsSchedule.remove(id)
        hls.forget(id)
    }

    func publish<Payload: Codable & Sendable>(_ result: Payload, on bus: ServiceBus, topic: String, type: EventType, camera: String) async {
        do {
            try await bus.publish(topic, type: type, data: result, timeout: .seconds(30))
        } catch {
            logger.warning("could not publish a result", metadata: ["camera": "\(camera)", "error": "\(error)"])
        }
    }

    func checkICMP(_ camera: CameraDefinition) async -> ICMPResult {
        let started = Date()
        let clock = ContinuousClock.now
        let verdict = await icmp.check(address: camera.address)
        return ICMPResult(
            cameraID: camera.id, address: camera.address, status: verdict.status, reason: verdict.reason,
            sent: verdict.sent, received: verdict.received, lossPercent: verdict.lossPercent,
            rttMinMs: verdict.rttMinMs, rttAvgMs: verdict.rttAvgMs, rttMaxMs: verdict.rttMaxMs, replyFrom: verdict.replyFrom,
            startedAt: started, durationMs: Self.milliseconds(ContinuousClock.now - clock), prober: proberID)
    }

    /// `nil` when the camera has no usable stream URL (it is then not on the HLS schedule).
    /// `credentials` come from the registry on request (see ``StreamCredentialsSource``).
    func checkHLS(_ camera: CameraDefinition, credentials: StreamCredentials? = nil) async -> HLSResult? {
        guard let text = camera.hlsURL, let url = URL(string: text) else { return nil }
        let started = Date()
        let clock = ContinuousClock.now
        let verdict = await hls.check(key: camera.id, url: url, credentials: credentials)
        return HLSResult(
            cameraID: camera.id, url: text, status: verdict.status, reason: verdict.reason, detail: verdict.detail,
            httpStatus: verdict.httpStatus, playlistLatencyMs: verdict.playlistLatencyMs, segmentAgeSeconds: verdict.segmentAgeSeconds,
            bitrateKbps: verdict.bitrateKbps, codec: verdict.codec, width: verdict.width, height: verdict.height,
            startedAt: started, durationMs: Self.milliseconds(ContinuousClock.now - clock), prober: proberID)
    }

    /// Runs the deep check when this camera's turn has come; a stream ffprobe cannot open (or
    /// that has no video) becomes FAIL with the deep check's reason. A missing ffprobe or a full
    /// deep-check pool leaves the result as it is.
    func deepen(_ result: HLSResult, camera: CameraDefinition) async -> HLSResult {
        guard configuration.deepCheckEvery > 0, let url = camera.hlsURL.flatMap(URL.init(string:)), !camera.hasCredentials else { return result }
        let turn = deepCheckCounts.withLock { counts -> Bool in
            let next = (counts[camera.id] ?? 0) + 1
            counts[camera.id] = next % configuration.deepCheckEvery
            return next % configuration.deepCheckEvery == 0
        }
        guard turn, let deep = await deepCheck.probe(url), deep.reason != "ffprobe_missing" else { return result }
        var result = result
        if deep.isHealthy {
            result.codec = result.codec ?? deep.codec
            result.width = result.width ?? deep.width
            result.height = result.height ?? deep.height
        } else {
            result.status = .fail
            result.reason = deep.reason
            result.detail = deep.detail
        }
        return result
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000
    }
}

/// The schedule behind a lock, shared by the config reader and the check loop.
final class ScheduleBox: Sendable {
    private let state: Mutex<CheckSchedule>
    private let start = ContinuousClock.now

    init(defaultInterval: Double, backoff: BackoffPolicy) {
        state = Mutex(CheckSchedule(defaultInterval: defaultInterval, backoff: backoff))
    }

    private var now: Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    func upsert(_ camera: CameraDefinition) { let now = now; state.withLock { $0.upsert(camera, now: now) } }
    func remove(_ id: String) { state.withLock { $0.remove(id) } }
    func takeDue(limit: Int) -> [CameraDefinition] { let now = now; return state.withLock { $0.takeDue(now: now, limit: limit) } }
    func finished(_ id: String, failed: Bool) { let now = now; state.withLock { $0.finished(id, now: now, failed: failed) } }
    func nextDue() -> Double? { let now = now; return state.withLock { $0.nextDue(now: now) } }
}

/// Cameras whose latest ICMP check did not get through.
final class LinesDown: Sendable {
    private let ids = Mutex<Set<String>>([])
    func record(_ id: String, down: Bool) { _ = ids.withLock { down ? $0.insert(id).inserted : $0.remove(id) != nil } }
    func contains(_ id: String) -> Bool { ids.withLock { $0.contains(id) } }
}

/// Checks in flight.
final class RunningCount: Sendable {
    private let count = Mutex(0)
    func add(_ delta: Int) { count.withLock { $0 += delta } }
    var value: Int { count.withLock { $0 } }
}
