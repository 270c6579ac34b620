import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceRuntime
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Real `cctv-out prober` processes on a test mosquitto splitting ~200 loopback cameras by their
/// heartbeats alone: every camera checked once per interval (never twice), a SIGKILLed member's
/// cameras taken over, a new member taking its share. Prints the take-over time and the moves.
@Suite("probers split the fleet", .serialized, .runsAlone)
struct ProberFleetTests {
    /// A measurement run scales the split test with `CCTVOUT_FLEET_CAMERAS` and `CCTVOUT_FLEET_INTERVAL`
    /// (default 200 cameras every 2 s), e.g. 5,000 cameras every 10 s.
    static let interval = Double(ProcessInfo.processInfo.environment["CCTVOUT_FLEET_INTERVAL"] ?? "").map { max(1, $0.rounded()) } ?? 2
    static let fleetSize = Int(ProcessInfo.processInfo.environment["CCTVOUT_FLEET_CAMERAS"] ?? "").map { min(max(20, $0), 50_000) } ?? 200
    /// How long a condition may take: generous, never a measured number.
    static let patience = Duration.seconds(max(60, 8 * interval))

    /// Every ICMP result seen, decoded once.
    final class Checks: Sendable {
        struct Check: Sendable { var camera: String; var prober: String; var at: Date }
        private let collector: Collector<MQTTMessage>
        private let decoded = Mutex<(seen: Int, checks: [Check])>((0, []))
        init(_ collector: Collector<MQTTMessage>) { self.collector = collector }

        var all: [Check] {
            let messages = collector.all
            return decoded.withLock { state in
                for message in messages.dropFirst(state.seen) {
                    guard let result = try? ContractCodec.decode(message.payload, as: ICMPResult.self, expecting: [.probeICMP]).data else { continue }
                    state.checks.append(Check(camera: result.cameraID, prober: result.prober, at: result.startedAt))
                }
                state.seen = messages.count
                return state.checks
            }
        }

        func since(_ instant: Date) -> [Check] { all.filter { $0.at > instant } }

        /// Each camera's checker in its latest check.
        func owners(since instant: Date) -> [String: String] {
            var owners: [String: String] = [:]
            for check in since(instant).sorted(by: { $0.at < $1.at }) { owners[check.camera] = check.prober }
            return owners
        }

        /// Cameras with at least `count` checks after `instant`.
        func covered(_ fleet: [String], count: Int, since instant: Date) -> Bool {
            let counts = Dictionary(grouping: since(instant), by: \.camera).mapValues(\.count)
            return fleet.allSatisfy { counts[$0, default: 0] >= count }
        }

        /// The shortest and longest time between consecutive checks of one camera, over all cameras, in `window`.
        func gaps(in window: Range<Date>) -> (shortest: Double, longest: Double) {
            let gaps = Dictionary(grouping: all.filter { window.contains($0.at) }, by: \.camera).values.flatMap { checks in
                let times = checks.map(\.at).sorted()
                return zip(times, times.dropFirst()).map { $1.timeIntervalSince($0) }
            }
            return (gaps.min() ?? 0, gaps.max() ?? .infinity)
        }

        /// Consecutive checks of one camera closer than half an interval: checked twice in one interval.
        func doubles(since instant: Date) -> [String] {
            Dictionary(grouping: since(instant), by: \.camera).compactMap { camera, checks in
                let times = checks.map(\.at).sorted()
                return zip(times, times.dropFirst()).contains { $1.timeIntervalSince($0) < ProberFleetTests.interval / 2 } ? camera : nil
            }.sorted()
        }
    }

    /// A test mosquitto with `count` retained loopback camera definitions (127.83.{octet}+.x) and
    /// a tool collecting the ICMP results and heartbeats; starts probers of one instance.
    final class Fleet: Sendable {
        let broker: MosquittoFixture
        let dir: String
        let tool: MQTTClient
        let checks: Checks
        let heartbeats: Collector<MQTTMessage>
        let cameras: [String]
        let instance = "fleet-\(UUID().uuidString.prefix(6))"

        init(count: Int, prefix: String, octet: Int) async throws {
            broker = try MosquittoFixture()
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("prober-fleet-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var logger = Logger(label: "prober-fleet")
            logger.logLevel = .critical
            tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
            checks = Checks(try await Collector.subscribing(tool, to: "cctv/+/icmp"))
            heartbeats = try await Collector.subscribing(tool, to: "services/prober/members/+")
            tool.start()
            try await tool.waitUntilConnected()
            // The registry's side: retained definitions on loopback addresses of this test's range (127.83.0.0/16).
            cameras = (0..<count).map { "CAM-\(prefix)\($0)" }
            for (index, id) in cameras.enumerated() {
                let camera = CameraDefinition(id: id, name: id, address: "127.83.\(octet + index / 250).\(index % 250 + 1)",
                                              intervalSeconds: Int(ProberFleetTests.interval), createdAt: Date(), updatedAt: Date(), version: 1)
                try await tool.publish("cctv/\(id)/config", payload: ContractCodec.encode(Envelope(type: .cameraConfig, source: "test", data: camera)),
                                       retain: true, timeout: .seconds(5))
            }
        }

        /// Starts `cctv-out prober` as member `name`.
        func prober(_ name: String) throws -> CCTVOutProcess {
            try CCTVOutProcess(["prober", "--broker-url", "mqtt://127.0.0.1:\(broker.port)", "--data-dir", dir + "/" + name, "--instance", instance,
                                "--prober-name", name, "--prober-interval", "\(Int(ProberFleetTests.interval))", "--prober-icmp-count", "1",
                                "--prober-icmp-timeout", "0.5", "--prober-reference", "none", "--log-level", "info"])
        }

        /// The `prober` field of member `name`'s results.
        func member(_ name: String) -> String { "\(instance)-prober-\(name)" }

        /// When each of `cameras` was first checked after `instant` by another member than `gone`, in seconds after it.
        func takeOver(of cameras: [String], from gone: String, after instant: Date) -> [Double] {
            let first = Dictionary(grouping: checks.since(instant).filter { $0.prober != gone }, by: \.camera).mapValues { $0.map(\.at).min()! }
            return cameras.compactMap { first[$0]?.timeIntervalSince(instant) }
        }

        func stop() async {
            await tool.shutdown()
            broker.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    @Test("a paused prober (no last will) loses its cameras by its heartbeat's age, and after it resumes never checks them twice")
    func pausedProberIsTakenOverByAge() async throws {
        try #require(ProductBinary.isBuilt, "build cctv-out first (swift build --build-tests): \(ProductBinary.path)")
        let fleet = try await Fleet(count: 100, prefix: "P", octet: 250)
        let checks = fleet.checks
        let probers = try ["q1", "q2"].map(fleet.prober)
        defer { for process in probers where process.process.isRunning { process.process.send(SIGCONT); process.process.stop(timeout: 2) } }
        let started = Date()
        #expect(await eventually(timeout: Self.patience) { Set(checks.owners(since: started).values).count == 2 && checks.covered(fleet.cameras, count: 1, since: started) })
        let steady = Date().addingTimeInterval(Self.interval)
        #expect(await eventually(timeout: Self.patience) { checks.covered(fleet.cameras, count: 2, since: steady) })
        let paused = fleet.member("q1")
        let orphans = checks.owners(since: steady).filter { $0.value == paused }.map(\.key)
        // SIGSTOP: the connection stays open, so no will; only the heartbeat's age tells.
        let stopped = Date()
        probers[0].process.send(SIGSTOP)
        #expect(await eventually(timeout: Self.patience) { fleet.takeOver(of: orphans, from: paused, after: stopped).count == orphans.count })
        let takeOver = fleet.takeOver(of: orphans, from: paused, after: stopped)
        let worst = takeOver.max() ?? .infinity
        print("MEASURE take-over after SIGSTOP (no will, heartbeat age): \(orphans.count) cameras, median \(String(format: "%.2f", takeOver.sorted()[takeOver.count / 2])) s, max \(String(format: "%.2f", worst)) s (interval \(Self.interval) s, member timeout \(Self.interval) s)")
        #expect(worst <= 2 * Self.interval + 1, "taken over within 2 intervals (+1 s of slack): \(worst) s")
        // Resumed: it rejoins and takes its share back one heartbeat later, without a double check.
        probers[0].process.send(SIGCONT)
        let resumed = Date()
        #expect(await eventually(timeout: Self.patience) { checks.since(resumed.addingTimeInterval(Self.interval)).contains { $0.prober == paused } }, "the resumed prober checks again")
        let after = Date().addingTimeInterval(Self.interval)
        #expect(await eventually(timeout: Self.patience) { checks.covered(fleet.cameras, count: 2, since: after) })
        #expect(checks.doubles(since: started).isEmpty, "checked twice within half an interval: \(checks.doubles(since: started).prefix(10))")
        for process in probers { _ = await process.stop() }
        await fleet.stop()
    }

    @Test("three probers check every camera once per interval, a SIGKILLed one's cameras are taken over, a fourth takes its share")
    func probersSplitTheFleet() async throws {
        try #require(ProductBinary.isBuilt, "build cctv-out first (swift build --build-tests): \(ProductBinary.path)")
        let fleet = try await Fleet(count: Self.fleetSize, prefix: "F", octet: 0)
        let (checks, cameras) = (fleet.checks, fleet.cameras)
        var probers = try ["p1", "p2", "p3"].map(fleet.prober)
        defer { for process in probers where process.process.isRunning { process.process.stop(timeout: 2) } }

        // Steady state: all three own cameras; then four whole intervals observed.
        let started = Date()
        #expect(await eventually(timeout: Self.patience) { Set(checks.owners(since: started).values).count == 3 && checks.covered(cameras, count: 1, since: started) },
                "three probers share the fleet: \(Set(checks.owners(since: started).values))")
        let steady = Date().addingTimeInterval(Self.interval)
        #expect(await eventually(timeout: Self.patience) { checks.covered(cameras, count: 4, since: steady) })
        // Once per interval: 4 checks in 4 intervals (3 or 5 where a phase falls on the window's edge),
        // consecutive ones an interval apart, each camera by one prober.
        let window = steady..<steady.addingTimeInterval(4 * Self.interval)
        let perCamera = Dictionary(grouping: checks.all.filter { window.contains($0.at) }, by: \.camera)
        #expect(cameras.allSatisfy { (3...5).contains(perCamera[$0]?.count ?? 0) }, "checks per camera in 4 intervals: \(Dictionary(grouping: perCamera.values.map(\.count), by: { $0 }).mapValues(\.count))")
        let gaps = checks.gaps(in: window)
        print("MEASURE cadence 3 members: consecutive checks of a camera \(String(format: "%.3f", gaps.shortest))–\(String(format: "%.3f", gaps.longest)) s apart (interval \(Self.interval) s)")
        #expect(gaps.shortest >= Self.interval / 2 && gaps.longest <= 1.5 * Self.interval, "once per interval: \(gaps)")
        #expect(perCamera.values.allSatisfy { Set($0.map(\.prober)).count == 1 }, "each camera by one prober")
        let beforeJoin = checks.owners(since: steady)
        let shares = Dictionary(grouping: beforeJoin.values, by: { $0 }).mapValues(\.count)
        print("MEASURE fleet-share 3 members: \(shares.sorted { $0.key < $1.key }.map { "\($0.key.suffix(2))=\($0.value)" }.joined(separator: " "))")

        // Heartbeat traffic: messages and bytes over ten intervals with three members.
        let beatsFrom = fleet.heartbeats.all.count
        let beatsSince = ContinuousClock.now
        _ = await eventually(timeout: Self.patience) { ContinuousClock.now - beatsSince >= .seconds(10 * Self.interval) }
        let beats = fleet.heartbeats.all.dropFirst(beatsFrom)
        let seconds = (ContinuousClock.now - beatsSince).seconds
        print("MEASURE heartbeats 3 members: \(String(format: "%.2f", Double(beats.count) / seconds)) msg/s, \(String(format: "%.0f", Double(beats.reduce(0) { $0 + $1.payload.count + $1.topic.utf8.count }) / seconds)) B/s (payload+topic), \(beats.first.map { $0.payload.count } ?? 0) B payload each")

        // A fourth member joins: it takes about a quarter, and only cameras that move to it move.
        probers.append(try fleet.prober("p4"))
        let joined = Date()
        #expect(await eventually(timeout: Self.patience) { checks.since(joined).contains { $0.prober == fleet.member("p4") } }, "the fourth prober checks")
        let settled = Date().addingTimeInterval(Self.interval)
        #expect(await eventually(timeout: Self.patience) { checks.covered(cameras, count: 2, since: settled) })
        let afterJoin = checks.owners(since: settled)
        let moved = cameras.filter { beforeJoin[$0] != afterJoin[$0] }
        print("MEASURE join: \(moved.count) of \(cameras.count) cameras moved, \(moved.filter { afterJoin[$0] == fleet.member("p4") }.count) of them to the new member")
        #expect(moved.allSatisfy { afterJoin[$0] == fleet.member("p4") }, "only cameras moving to the new member move")
        #expect((cameras.count / 8...cameras.count * 2 / 5).contains(moved.count), "about a quarter moves: \(moved.count)")

        // SIGKILL one: its cameras are checked by the others within two intervals.
        let victim = fleet.member("p2")
        let orphans = cameras.filter { afterJoin[$0] == victim }
        let killed = Date()
        _ = await probers[1].stop(with: SIGKILL)
        #expect(await eventually(timeout: Self.patience) { fleet.takeOver(of: orphans, from: victim, after: killed).count == orphans.count })
        let takeOver = fleet.takeOver(of: orphans, from: victim, after: killed)
        let worst = takeOver.max() ?? .infinity
        print("MEASURE take-over after SIGKILL: \(orphans.count) cameras, median \(String(format: "%.2f", takeOver.sorted()[takeOver.count / 2])) s, max \(String(format: "%.2f", worst)) s (interval \(Self.interval) s)")
        #expect(worst <= 2 * Self.interval + 1, "taken over within 2 intervals (+1 s of slack for a loaded machine): \(worst) s")
        let after = Date().addingTimeInterval(Self.interval)
        #expect(await eventually(timeout: Self.patience) { checks.covered(cameras, count: 2, since: after) })

        // Over the whole run no camera was checked twice in one interval.
        #expect(checks.doubles(since: started).isEmpty, "checked twice within half an interval: \(checks.doubles(since: started).prefix(10))")
        for process in probers where process.process.isRunning { _ = await process.stop() }
        await fleet.stop()
    }
}
