import ArgumentParser
import CCTVContract
import Foundation
import Hummingbird
import Issues
import Logging
import MQTTBus
import Notifier
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// `cctv-out-bench pipeline`: the event path from a failing check result to the delivered
/// notification, through a private mosquitto, the issues service and the notifier, into a
/// webhook receiver on loopback. Everything runs on this machine; nothing leaves loopback.
struct PipelineBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Latency (failing result → webhook, p50/p99), a mass-failure storm with grouping off and on, and the monitor's own outage, through broker, issues and notifier.")

    @Option(help: "Cameras for the latency run (one failure each, spaced so they do not queue).") var latencyCameras = 200
    @Option(help: "Cameras failing at once in the storm run.") var stormCameras = 10_000
    @Option(help: "Cameras per site in the storm run.") var perSite = 100
    @Option(help: "Healthy cameras (in sites of their own) checked OK before the storm: a storm of most of the fleet at once is the monitor's own outage, so the failing share stays below issues.monitor-share (0.9).")
    var healthy = 2_000
    @Option(help: "Seconds to wait for the last notification.") var timeout = 300.0
    @Option(help: "Log level of the services (to see where the time goes: info).") var logLevel = "error"
    @Option(help: "Runs to do: latency, storm, grouped, monitor (comma-separated).") var runs = "latency,storm,grouped,monitor"
    @Option(help: "The issues service's store: empty = SQLite in a temp folder, or postgres://user@host:port/database (a fresh, empty database per run is best).")
    var database = ""

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .error
        let runs = Set(runs.split(separator: ",").map(String.init))
        let database = try PostgresAddress.parse(database)
        Observability.bootstrapMetrics()
        let hold = IssuesConfiguration().policy.announceHold
        print("pipeline benchmark: \(ProcessInfo.processInfo.activeProcessorCount) cores, issues.announce-hold \(hold) s (default), issues store \(database.map { "PostgreSQL \($0)" } ?? "SQLite")")
        for announceHold in [nil, 0.0] where runs.contains("latency") {
            let line = try await Harness.run({ issues in
                issues.storm.minimumCameras = 0
                if let announceHold { issues.policy.announceHold = announceHold }
            }, database: database, logger: logger) { harness in
                try await harness.latency(cameras: latencyCameras, healthy: healthy)
            }
            print(line + (announceHold == nil ? " (hold \(hold) s)" : " (hold 0: the pipeline alone)"))
        }
        for stormMin in [0, 5] where runs.contains(stormMin == 0 ? "storm" : "grouped") {
            let line = try await Harness.run({ $0.storm.minimumCameras = stormMin }, database: database, logger: logger) { harness in
                try await harness.storm(cameras: stormCameras, perSite: perSite, healthy: healthy, grouping: stormMin > 0, everyone: false, timeout: timeout)
            }
            print(line)
        }
        guard runs.contains("monitor") else { return }
        let line = try await Harness.run({ $0.storm.minimumCameras = 5 }, operators: true, database: database, logger: logger) { harness in
            try await harness.storm(cameras: stormCameras, perSite: perSite, healthy: healthy, grouping: true, everyone: true, timeout: timeout)
        }
        print(line)
    }
}

/// One private broker, issues and notifier services and a webhook receiver, torn down after use.
struct Harness: Sendable {
    /// Plays the registry (configs), on the registry's account of the locked-down broker.
    let registry: MQTTClient
    /// Plays the prober (results), on the prober's account.
    let prober: MQTTClient
    let received: Received

    /// Every notice the receiver got.
    final class Received: Sendable {
        struct Notice: Sendable {
            var path: String
            var event: String
            var cameraID: String
            var kind: String
            var at: ContinuousClock.Instant
        }
        let notices = Mutex<[Notice]>([])
        /// When the first failing result of each camera was published.
        let failedAt = Mutex<[String: ContinuousClock.Instant]>([:])
        var count: Int { notices.withLock { $0.count } }
    }

    /// - Parameter configure: the issues service's configuration for this run (open after 1 result).
    /// - Parameter database: the issues service's PostgreSQL (its schema is emptied first); `nil` = SQLite.
    static func run(_ configure: (inout IssuesConfiguration) -> Void, operators: Bool = false, database: PostgresAddress? = nil, logger: Logger,
                    _ body: (Harness) async throws -> String) async throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let received = Received()
        let hookPort = try LoopbackPort.free()
        let router = Router()
        router.post("/:party") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            if let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
               let issue = object["issue"] as? [String: Any], let camera = issue["cameraID"] as? String, let event = object["event"] as? String {
                let notice = Received.Notice(path: context.parameters.get("party") ?? "", event: event, cameraID: camera, kind: issue["kind"] as? String ?? "", at: .now)
                received.notices.withLock { $0.append(notice) }
            }
            return Response(status: .ok)
        }
        var quiet = logger
        quiet.logLevel = .critical
        let hook = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: hookPort)), logger: quiet)
        let hookTask = Task { try await hook.runService() }
        defer { hookTask.cancel() }

        var runtime = RuntimeConfiguration()
        runtime.dataDir = dir
        runtime.database = database
        if let database { try await dropIssuesSchema(database, logger: logger) }
        runtime.instance = "bench"
        runtime.broker.port = try LoopbackPort.free()
        var issues = IssuesConfiguration()
        issues.policy.openAfter = 1
        configure(&issues)
        var notifier = NotifierConfiguration()
        notifier.lineTeamWebhook = "http://127.0.0.1:\(hookPort)/line"
        if operators { notifier.operatorsWebhook = "http://127.0.0.1:\(hookPort)/operators" }
        let broker = try await PrivateBroker.start(configuration: runtime.broker, dataDir: dir, topics: Topics(),
                                                   services: BrokerAccount.services(instance: "bench"), logger: logger)
        defer { broker.stop() }
        let context = RuntimeContext(configuration: runtime, endpoint: BrokerEndpoint(host: "127.0.0.1", port: broker.port,
                                                                                     servicePasswords: broker.servicePasswords), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [
            .init(service: try IssuesService(context: context, configuration: issues)),
            .init(service: try NotifierService(context: context, configuration: notifier)),
        ], logger: logger))
        let services = Task { try await group.run() }
        func client(_ service: String) -> MQTTClient {
            // The service's publishing account: its subscribing one may not write.
            let account = ServiceConnection.outbox.clientID(instance: "bench", service: service)
            return MQTTClient(configuration: .init(port: broker.port, clientID: account, cleanStart: true, username: account,
                                                   password: broker.servicePasswords[account], sendMaximum: 1000), logger: logger)
        }
        let registry = client("registry"), prober = client("prober")
        for client in [registry, prober] { client.start(); try await client.waitUntilConnected() }
        // Results published before the issues service subscribed would be lost (not retained): wait
        // for its `online` (said once its subscriptions are in place; with PostgreSQL it first wins
        // the leadership), on the gateway's account, the one allowed to read every availability.
        let gateway = ServiceConnection.inbox.clientID(instance: "bench", service: "gateway")
        let watcher = MQTTClient(configuration: .init(port: broker.port, clientID: gateway, cleanStart: true, username: gateway,
                                                      password: broker.servicePasswords[gateway]), logger: logger)
        watcher.start()
        try await watcher.waitUntilConnected()
        try await watcher.withSubscription(to: Topics().availability("issues")) { messages in
            for await message in messages where String(decoding: message.payload, as: UTF8.self) == "online" { break }
        }
        await watcher.shutdown()
        try await Task.sleep(for: .seconds(1))
        let output = try await body(Harness(registry: registry, prober: prober, received: received))
        for client in [registry, prober] { await client.shutdown() }
        await group.triggerGracefulShutdown()
        _ = try? await services.value
        return output
    }

    func publishConfig(_ id: String, site: String) async throws {
        let camera = CameraDefinition(id: id, name: id, address: "127.0.0.1", site: site, lineTeam: "line", createdAt: Date(), updatedAt: Date(), version: 1)
        try await registry.publish("cctv/\(id)/config", payload: ContractCodec.encode(Envelope(type: .cameraConfig, source: "bench", data: camera)), retain: true)
    }

    func publishResult(_ id: String, failing: Bool) async throws {
        let result = ICMPResult(cameraID: id, address: "127.0.0.1", status: failing ? .timeout : .success, reason: failing ? "no_reply" : "ok",
                                sent: 3, received: failing ? 0 : 3, lossPercent: failing ? 100 : 0, startedAt: Date(), durationMs: 3000, prober: "bench")
        if failing { received.failedAt.withLock { if $0[id] == nil { $0[id] = .now } } }
        try await prober.publish("cctv/\(id)/icmp", payload: ContractCodec.encode(Envelope(type: .probeICMP, source: "bench", data: result)))
    }

    /// Publishes for every id with at most 500 in flight.
    func publishAll(_ ids: [String], _ publish: @escaping @Sendable (String) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for id in ids {
                if inFlight >= 500 { try await group.next(); inFlight -= 1 }
                group.addTask { try await publish(id) }
                inFlight += 1
            }
            try await group.waitForAll()
        }
    }

    func latency(cameras: Int, healthy: Int) async throws -> String {
        for n in 0..<cameras { try await publishConfig("LAT-\(n)", site: "site-\(n)") }
        // A fleet that is mostly fine, so the failures are not taken for the monitor's own outage.
        let fine = (0..<healthy).map { "OK-\($0)" }
        try await publishAll(fine) { try await publishConfig($0, site: "ok-site-\(Int($0.dropFirst(3))! / 100)") }
        try await Task.sleep(for: .seconds(1))
        try await publishAll(fine + (0..<cameras).map { "LAT-\($0)" }) { try await publishResult($0, failing: false) }
        try await Task.sleep(for: .seconds(2))
        for n in 0..<cameras {
            try await publishResult("LAT-\(n)", failing: true)
            try await Task.sleep(for: .milliseconds(25))
        }
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while received.count < cameras && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let samples = latencies(received.notices.withLock { $0 }.filter { $0.event == "opened" })
        guard !samples.isEmpty else { return "latency: no notification arrived" }
        return String(format: "latency, failing result published → webhook received (%d/%d delivered): p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                      samples.count, cameras, quantile(samples, 0.5), quantile(samples, 0.99), samples.last!)
    }

    /// Milliseconds from the first failing result of each notice's camera (of the first camera of
    /// its site, for a site notice) to the notice's arrival, sorted.
    func latencies(_ notices: [Received.Notice], perSite: Int = 100) -> [Double] {
        let failedAt = received.failedAt.withLock { $0 }
        var firstBySite: [String: ContinuousClock.Instant] = [:]
        for (id, at) in failedAt {
            let site = id.hasPrefix("ST-") ? "site-\(Int(id.dropFirst(3))! / perSite)" : ""
            if let known = firstBySite[site], known <= at { continue }
            firstBySite[site] = at
        }
        return notices.compactMap { notice -> Double? in
            let start = notice.cameraID.hasPrefix(IssueRecord.sitePrefix) ? firstBySite[String(notice.cameraID.dropFirst(IssueRecord.sitePrefix.count))] : failedAt[notice.cameraID]
            return start.map { (notice.at - $0).milliseconds }
        }.sorted()
    }

    func quantile(_ sorted: [Double], _ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }

    /// `cameras` (in sites of `perSite`) fail at once, after `healthy` cameras were checked OK;
    /// with `everyone`, the healthy ones fail too: the monitor's own outage.
    func storm(cameras: Int, perSite: Int, healthy: Int, grouping: Bool, everyone: Bool, timeout: Double) async throws -> String {
        let failing = (0..<cameras).map { "ST-\($0)" }
        let fine = (0..<healthy).map { "OK-\($0)" }
        try await publishAll(failing) { try await publishConfig($0, site: "site-\(Int($0.dropFirst(3))! / perSite)") }
        try await publishAll(fine) { try await publishConfig($0, site: "ok-site-\(Int($0.dropFirst(3))! / perSite)") }
        try await Task.sleep(for: .seconds(2))
        try await publishAll(failing + fine) { try await publishResult($0, failing: false) }
        try await Task.sleep(for: .seconds(3))

        let start = ContinuousClock.now
        try await publishAll(everyone ? failing + fine : failing) { try await publishResult($0, failing: true) }
        let published = ContinuousClock.now - start
        // Wait until notifications stop arriving (announce hold + 3 s quiet) or the timeout.
        var last = -1
        var quietSince = ContinuousClock.now
        let deadline = ContinuousClock.now.advanced(by: .seconds(timeout))
        while ContinuousClock.now < deadline {
            let now = received.count
            if now != last { last = now; quietSince = .now }
            if (now > 0 || everyone) && ContinuousClock.now - quietSince > .seconds(6) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let notices = received.notices.withLock { $0 }
        let opened = notices.filter { $0.event == "opened" }
        let lastArrival = opened.map(\.at).max() ?? start
        let sites = (cameras + perSite - 1) / perSite
        let scenario = everyone
            ? String(format: "monitor's own outage, all %d cameras at %d sites failing at once", cameras + healthy, sites + (healthy + perSite - 1) / perSite)
            : String(format: "storm, %d cameras in %d sites failing at once (of %d), grouping %@", cameras, sites, cameras + healthy, grouping ? "on" : "off")
        let siteNotices = opened.filter { $0.cameraID.hasPrefix(IssueRecord.sitePrefix) && $0.path == "line" }
        let perSiteMax = Dictionary(grouping: siteNotices, by: \.cameraID).values.map(\.count).max() ?? 0
        let singles = opened.filter { !$0.cameraID.hasPrefix(IssueRecord.sitePrefix) && $0.path == "line" }.count
        let samples = latencies(opened.filter { $0.path == "line" }, perSite: perSite)
        var text = String(format: "%@: results published in %.2f s; line team: %d notices (%d site notices for %d sites, at most %d per site; %d single-camera)",
                          scenario, published.seconds, opened.filter { $0.path == "line" }.count, siteNotices.count,
                          Set(siteNotices.map(\.cameraID)).count, perSiteMax, singles)
        if everyone {
            let operators = opened.filter { $0.path == "operators" }
            text += String(format: "; operators: %d notices (%d about the monitor)", operators.count, operators.filter { $0.kind == IssueKind.monitor.rawValue }.count)
        }
        if !samples.isEmpty {
            text += String(format: "; last delivered %.2f s after the first result; failing result → notice p50 %.2f s, p99 %.2f s",
                           (lastArrival - start).seconds, quantile(samples, 0.5) / 1000, quantile(samples, 0.99) / 1000)
        }
        return text
    }
}

extension Duration {
    var milliseconds: Double { seconds * 1000 }
}

/// Empties the issues service's schema so each run starts from no incidents, as with a fresh SQLite folder.
func dropIssuesSchema(_ address: PostgresAddress, logger: Logger) async throws {
    let database = try PostgresDatabase(address: address, schema: "public", migrations: [], logger: logger)
    try await database.write { db in try db.execute("DROP SCHEMA IF EXISTS issues CASCADE") }
    await database.close()
}
