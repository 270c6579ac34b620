import CCTVContract
import Foundation
import Logging
import Metrics
import MQTTBus
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// The prober: builds its schedule from the retained `cctv/+/config` definitions (a restart
/// rebuilds it; no state of its own), runs each camera's checks with bounded concurrency and
/// publishes every result on `cctv/{id}/icmp`.
public final class ProberService: Service {
    let context: RuntimeContext
    let icmp: any ICMPProbing
    let selection: FleetSelection
    let defaultInterval: Double
    let concurrency: Int
    let proberID: String
    let logger: Logger

    public init(context: RuntimeContext, icmp: any ICMPProbing) throws {
        self.context = context
        self.icmp = icmp
        self.logger = context.logger(for: "prober")
        let settings = context.settings
        self.defaultInterval = try settings.double("prober.interval", in: 1...86_400)
        self.concurrency = try settings.int("prober.concurrency", in: 1...100_000)
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

    public func run() async throws {
        let busName = "prober" + (context.settings.string("prober.shard").map { "-" + $0.replacingOccurrences(of: "/", with: "of") } ?? "")
        let bus = context.makeBus(service: busName)
        let configs = try await bus.subscribe(context.topics.allConfigs)
        bus.start()
        let schedule = ScheduleBox(defaultInterval: defaultInterval)
        let decoder = MessageDecoder(service: "prober", logger: logger)
        let checksCounter = Counter(label: "cctvout_checks_total", dimensions: [("kind", "icmp")])
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in configs.cancelOnGracefulShutdown() {
                    guard let id = self.context.topics.cameraID(in: message.topic) else { continue }
                    if message.payload.isEmpty { schedule.remove(id); continue }
                    guard let envelope = decoder.decode(message, as: CameraDefinition.self, expecting: [.cameraConfig]), envelope.data.id == id else { continue }
                    if self.selection.includes(envelope.data) { schedule.upsert(envelope.data) } else { schedule.remove(id) }
                }
            }
            group.addTask {
                await withDiscardingTaskGroup { checks in
                    var running = 0
                    let finishedSignal = WakeSignal()
                    let runningCount = RunningCount()
                    while !Task.isCancelled && !Task.isShuttingDownGracefully {
                        running = runningCount.value
                        let room = self.concurrency - running
                        let due = room > 0 ? schedule.takeDue(limit: room) : []
                        for camera in due {
                            runningCount.add(1)
                            checks.addTask {
                                let result = await self.checkICMP(camera)
                                checksCounter.increment()
                                do {
                                    try await bus.publish(self.context.topics.icmp(camera.id), type: .probeICMP, data: result, timeout: .seconds(30))
                                } catch {
                                    self.logger.warning("could not publish a result", metadata: ["camera": "\(camera.id)", "error": "\(error)"])
                                }
                                schedule.finished(camera.id)
                                runningCount.add(-1)
                                finishedSignal.signal()
                            }
                        }
                        let wait = min(schedule.nextDue() ?? 1, 1)
                        if due.isEmpty { await finishedSignal.wait(upTo: .milliseconds(max(10, Int(wait * 1000)))) }
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
        await bus.shutdown()
    }

    func checkICMP(_ camera: CameraDefinition) async -> ICMPResult {
        let started = Date()
        let clock = ContinuousClock.now
        let verdict = await icmp.check(address: camera.address)
        let elapsed = ContinuousClock.now - clock
        return ICMPResult(
            cameraID: camera.id, address: camera.address, status: verdict.status, reason: verdict.reason,
            sent: verdict.sent, received: verdict.received, lossPercent: verdict.lossPercent,
            rttMinMs: verdict.rttMinMs, rttAvgMs: verdict.rttAvgMs, rttMaxMs: verdict.rttMaxMs, replyFrom: verdict.replyFrom,
            startedAt: started, durationMs: Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000,
            prober: proberID)
    }
}

/// The schedule behind a lock, shared by the config reader and the check loop.
final class ScheduleBox: Sendable {
    private let state: Mutex<CheckSchedule>
    private let start = ContinuousClock.now

    init(defaultInterval: Double) { state = Mutex(CheckSchedule(defaultInterval: defaultInterval)) }

    private var now: Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    func upsert(_ camera: CameraDefinition) { let now = now; state.withLock { $0.upsert(camera, now: now) } }
    func remove(_ id: String) { state.withLock { $0.remove(id) } }
    func takeDue(limit: Int) -> [CameraDefinition] { let now = now; return state.withLock { $0.takeDue(now: now, limit: limit) } }
    func finished(_ id: String) { let now = now; state.withLock { $0.finished(id, now: now) } }
    func nextDue() -> Double? { let now = now; return state.withLock { $0.nextDue(now: now) } }
}

/// Checks in flight.
final class RunningCount: Sendable {
    private let count = Mutex(0)
    func add(_ delta: Int) { count.withLock { $0 += delta } }
    var value: Int { count.withLock { $0 } }
}
