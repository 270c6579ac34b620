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
    let deepCheck: FFprobeDeepCheck
    let deepCheckEvery: Int
    private let deepCheckCounts = Mutex<[String: Int]>([:])
    let selection: FleetSelection
    let defaultInterval: Double
    let concurrency: Int
    let hlsConcurrency: Int
    let backoff: BackoffPolicy
    let proberID: String
    let logger: Logger
    let linesDown = LinesDown()

    /// - Parameter hls: the HLS checker; by default one over AsyncHTTPClient with the
    ///   configured time budget and segment byte cap.
    public init(context: RuntimeContext, icmp: any ICMPProbing, hls: HLSChecker? = nil) throws {
        self.context = context
        self.icmp = icmp
        self.logger = context.logger(for: "prober")
        let settings = context.settings
        self.defaultInterval = try settings.double("prober.interval", in: 1...86_400)
        self.concurrency = try settings.int("prober.concurrency", in: 1...100_000)
        self.hlsConcurrency = try settings.int("prober.hls-concurrency", in: 1...10_000)
        self.deepCheckEvery = try context.settings.int("prober.deep-check-every", in: 0...1_000_000)
        self.deepCheck = FFprobeDeepCheck(timeout: .milliseconds(Int(try context.settings.double("prober.deep-check-timeout", in: 1...600) * 1000)),
                                          concurrency: try context.settings.int("prober.deep-check-concurrency", in: 1...64))
        self.backoff = BackoffPolicy(failuresBeforeBackoff: try settings.int("prober.backoff-after", in: 1...1_000))
        if let hls {
            self.hls = hls
        } else {
            let limits = HLSCheckLimits(
                timeBudget: .milliseconds(Int(try settings.double("prober.hls-timeout", in: 0.5...120) * 1000)),
                segmentMaxBytes: try settings.int("prober.hls-segment-bytes", in: 4_096...(64 << 20)))
            self.hls = HLSChecker(fetcher: HTTPClientHLSFetcher(connectionsPerHost: hlsConcurrency, destinations: try DestinationPolicy(settings: settings)),
                                  limits: limits)
        }
        var shard: (Int, Int)?
        if let text = settings.string("prober.shard") {
            guard let parsed = FleetSelection.parseShard(text) else {
                throw SettingsError.invalid(key: "prober.shard", value: text, expected: "i/n with 0 ≤ i < n, e.g. 0/4")
            }
            shard = parsed
        }
        self.selection = FleetSelection(shard: shard, site: settings.string("prober.site"))
        self.proberID = "\(context.instance)-prober" + (settings.string("prober.shard").map { "-\($0.replacingOccurrences(of: "/", with: "of"))" } ?? "")
    }

    /// The prober's service name: `prober`, or `prober-0of4` for shard 0/4 (its client id and broker
    /// account are `{instance}-{name}`).
    public static func busName(_ settings: Settings) -> String {
        "prober" + (settings.string("prober.shard").map { "-" + $0.replacingOccurrences(of: "/", with: "of") } ?? "")
    }

    public func run() async throws {
        let bus = context.makeBus(service: Self.busName(context.settings))
        let configs = try await bus.subscribe(context.topics.allConfigs)
        bus.start()
        let credentials = StreamCredentialsSource(client: bus.client, commandTopic: context.topics.credentialRequests(from: bus.account),
                                                  replyPrefix: context.topics.replies, logger: logger)
        let icmpSchedule = ScheduleBox(defaultInterval: defaultInterval, backoff: backoff)
        let hlsSchedule = ScheduleBox(defaultInterval: defaultInterval, backoff: backoff)
        let decoder = MessageDecoder(service: "prober", logger: logger)
        let icmpCounter = Counter(label: "cctvout_checks_total", dimensions: [("kind", "icmp")])
        let hlsCounter = Counter(label: "cctvout_checks_total", dimensions: [("kind", "hls")])
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in configs.cancelOnGracefulShutdown() {
                    guard let id = self.context.topics.cameraID(in: message.topic) else { continue }
                    if message.payload.isEmpty { self.unschedule(id, icmpSchedule, hlsSchedule); credentials.forget(id); continue }
                    guard let envelope = decoder.decode(message, as: CameraDefinition.self, expecting: [.cameraConfig]), envelope.data.id == id else { continue }
                    guard self.selection.includes(envelope.data) else { self.unschedule(id, icmpSchedule, hlsSchedule); continue }
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
                await self.runChecks(schedule: icmpSchedule, concurrency: self.concurrency) { camera in
                    let result = await self.checkICMP(camera)
                    icmpCounter.increment()
                    self.linesDown.record(camera.id, down: result.status == .timeout || result.status == .fail)
                    await self.publish(result, on: bus, topic: self.context.topics.icmp(camera.id), type: .probeICMP, camera: camera.id)
                    return result.status == .timeout || result.status == .fail
                }
            }
            group.addTask {
                await self.runChecks(schedule: hlsSchedule, concurrency: self.hlsConcurrency) { camera in
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
        guard deepCheckEvery > 0, let url = camera.hlsURL.flatMap(URL.init(string:)), !camera.hasCredentials else { return result }
        let turn = deepCheckCounts.withLock { counts -> Bool in
            let next = (counts[camera.id] ?? 0) + 1
            counts[camera.id] = next % deepCheckEvery
            return next % deepCheckEvery == 0
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
