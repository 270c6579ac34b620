import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceRuntime
import Testing
import TestSupport
@testable import Notifier

/// Two real `cctv-out notifier` processes on one PostgreSQL and one broker (same `instance`, as an
/// operator runs a pair): one leads, the other stands by. The test plays the issues service
/// (publishes issue events, republishes until acknowledged) and is the webhook receiver, which
/// counts raw requests and distinct `Idempotency-Key`s.
@Suite("notifier active/standby failover", .runsAlone)
struct NotifierFailoverTests {
    /// The pair and everything around it.
    final class Pair: Sendable {
        let broker: MosquittoFixture
        let sink: HTTPSink
        let database: String
        let instance = "pair-\(UUID().uuidString.prefix(6))"
        let dirs = (0..<2).map { _ in temporaryDirectory() }
        let healthPorts: [Int]

        init(answerAfter delay: Duration) async throws {
            broker = try MosquittoFixture()
            sink = try await HTTPSink()
            sink.answer(after: delay)
            database = try PostgresFixture.shared().database()
            healthPorts = try (0..<2).map { _ in try FreePort.find() }
            for dir in dirs { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        }

        func start(_ index: Int) throws -> ChildProcess {
            try ChildProcess.dyingWithTests(executable: ProductBinary.path, arguments: [
                "notifier", "--broker-url", "mqtt://127.0.0.1:\(broker.port)", "--data-dir", dirs[index], "--instance", instance,
                "--database", database, "--health-port", "\(healthPorts[index])",
                "--notifier-webhook-line-team", sink.url("/line"), "--notifier-webhook-operators", sink.url("/ops"), "--log-level", "info",
            ], logFile: dirs[index] + "/notifier.log")
        }

        /// What the process's health endpoint says (`cctv-out health`), e.g. `"standby":["notifier"]`.
        func health(_ index: Int) -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ProductBinary.path)
            process.arguments = ["health", "--health-port", "\(healthPorts[index])"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            guard (try? process.run()) != nil else { return "" }
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: output, as: UTF8.self)
        }

        /// Starts instance 0, waits until it leads (says `online`), then instance 1 and waits until it stands by.
        func startLeaderAndStandby(seenBy issues: IssuesStandIn) async throws -> (leader: ChildProcess, standby: ChildProcess) {
            let leader = try start(0)
            #expect(await issues.availability.first(timeout: .seconds(60)) { $0.payload == Array("online".utf8) } != nil, "the first instance leads")
            let standby = try start(1)
            #expect(await eventually(timeout: .seconds(60)) { self.isStandby(1) }, "the second instance stands by: \(health(1))")
            return (leader, standby)
        }

        func isStandby(_ index: Int) -> Bool { health(index).contains(#""standby":["notifier"]"#) }

        func log(_ index: Int) -> String { (try? String(contentsOfFile: dirs[index] + "/notifier.log", encoding: .utf8)) ?? "" }

        /// Notices received: "path issueID" → distinct Idempotency-Keys.
        func notices() -> [String: Set<String>] {
            var result: [String: Set<String>] = [:]
            for request in sink.all {
                guard let key = request.headers["idempotency-key"], let issue = (request.json?["issue"] as? [String: Any])?["id"] as? String else { continue }
                result["\(request.path) \(issue)", default: []].insert(key)
            }
            return result
        }

        func stop() {
            sink.stop()
            broker.stop()
            // CCTVOUT_KEEP_TEST_LOGS=1 keeps both processes' logs for a look after a failure.
            if ProcessInfo.processInfo.environment["CCTVOUT_KEEP_TEST_LOGS"] == nil {
                for dir in dirs { try? FileManager.default.removeItem(atPath: dir) }
            }
        }
    }

    /// The issues service's side: publishes `count` openings, republishes until acknowledged.
    struct IssuesStandIn {
        let client: MQTTClient
        let acks: Collector<MQTTMessage>
        let availability: Collector<MQTTMessage>
        let events: [Envelope<IssueRecord>]

        init(port: Int, count: Int) async throws {
            var logger = Logger(label: "failover-test")
            logger.logLevel = .critical
            client = MQTTClient(configuration: .init(port: port, clientID: "issues-standin-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
            acks = try await Collector.subscribing(client, to: "notifications/acks")
            availability = try await Collector.subscribing(client, to: "services/notifier/availability")
            client.start()
            try await client.waitUntilConnected()
            events = (0..<count).map { Envelope(type: .issueOpened, id: "EV-\($0)", source: "issues", data: sampleIssue(kind: .line, id: "I-\($0)")) }
        }

        func acknowledged() -> Set<String> {
            Set(acks.all.compactMap { try? ContractCodec.decode($0.payload, as: NotificationAck.self, expecting: [.notificationAck]).data.eventID })
        }

        func publish(_ events: [Envelope<IssueRecord>]) async throws {
            for event in events { try await client.publish("issues/opened", payload: ContractCodec.encode(event), timeout: .seconds(10)) }
        }

        /// Republishes what is not acknowledged yet, every 2 s, until all are (or 120 s pass).
        func republishUntilAcknowledged() async throws {
            for _ in 0..<60 where acknowledged().count < events.count {
                try await Task.sleep(for: .seconds(2))
                let done = acknowledged()
                try await publish(events.filter { !done.contains($0.id) })
            }
        }
    }

    @Test("SIGKILL the leader mid-stream: the standby takes over and every notice reaches its channel under one Idempotency-Key, none lost")
    func sigkillLeader() async throws {
        try #require(ProductBinary.isBuilt, "build cctv-out first (swift build --build-tests): \(ProductBinary.path)")
        let delay = Duration.milliseconds(15)
        let pair = try await Pair(answerAfter: delay)
        defer { pair.stop() }
        let issues = try await IssuesStandIn(port: pair.broker.port, count: 150)
        let (leader, standby) = try await pair.startLeaderAndStandby(seenBy: issues)
        defer { leader.stop(); standby.stop() }

        try await issues.publish(issues.events)
        #expect(await eventually(timeout: .seconds(60)) { pair.sink.all.count >= 30 }, "deliveries started")
        let killedAt = ContinuousClock.now
        leader.send(SIGKILL)
        #expect(leader.waitForExit(timeout: 10))
        let receivedAtKill = pair.sink.all.count

        try await issues.republishUntilAcknowledged()
        #expect(issues.acknowledged().count == issues.events.count, "every issue event acknowledged")
        let expected = 2 * issues.events.count
        #expect(await eventually(timeout: .seconds(60)) { pair.notices().count == expected }, "got \(pair.notices().count) of \(expected)")
        let notices = pair.notices()
        #expect(notices.values.allSatisfy { $0.count == 1 }, "a notice went out under two keys")
        #expect(!pair.isStandby(1), "the second instance leads now: \(pair.health(1))")
        // The sink stamps a request after its answer delay: arrival = stamp − delay.
        let firstByNewLeader = pair.sink.all.map { $0.at - delay }.filter { $0 > killedAt }.min()
        let failover = firstByNewLeader.map { killedAt.duration(to: $0) }
        #expect(failover != nil && failover! < .seconds(10), "failover within 10 s: \(String(describing: failover))")
        let raw = pair.sink.all.count
        let keys = Set(pair.sink.all.compactMap { $0.headers["idempotency-key"] }).count
        print("notifier failover (SIGKILL): \(receivedAtKill) received before the kill; raw receipts \(raw), distinct Idempotency-Keys \(keys), expected \(expected), lost \(expected - notices.count); kill → first delivery by the new leader \(failover.map { "\($0)" } ?? "none")")
        await issues.client.shutdown()
    }

    @Test("SIGSTOP the leader: the standby takes over once its lease session times out; the resumed old leader is fenced, sends nothing new and stands by")
    func sigstopLeader() async throws {
        try #require(ProductBinary.isBuilt, "build cctv-out first (swift build --build-tests): \(ProductBinary.path)")
        // Slow enough that work is left for the old leader to try when it resumes.
        let delay = Duration.milliseconds(300)
        let pair = try await Pair(answerAfter: delay)
        defer { pair.stop() }
        let issues = try await IssuesStandIn(port: pair.broker.port, count: 100)
        let (leader, standby) = try await pair.startLeaderAndStandby(seenBy: issues)
        defer { leader.stop(); standby.stop() }

        try await issues.publish(issues.events)
        #expect(await eventually(timeout: .seconds(60)) { pair.sink.all.count >= 20 }, "deliveries started")
        let stoppedAt = ContinuousClock.now
        leader.send(SIGSTOP)
        #expect(await eventually(timeout: .seconds(30)) { pair.sink.all.contains { $0.at - delay > stoppedAt } }, "the standby took over")
        let firstByNewLeader = pair.sink.all.map { $0.at - delay }.filter { $0 > stoppedAt }.min()
        let failover = firstByNewLeader.map { stoppedAt.duration(to: $0) }
        // Resume the old leader while the new one still has work queued.
        #expect(await eventually(timeout: .seconds(30)) { pair.sink.all.count >= 60 })
        let resumedAt = ContinuousClock.now
        leader.send(SIGCONT)
        #expect(await eventually(timeout: .seconds(30)) { pair.isStandby(0) },
                "the resumed old leader stands by: \(pair.health(0))\n\(pair.log(0).split(separator: "\n").suffix(25).joined(separator: "\n"))")
        #expect(!pair.isStandby(1), "the new leader keeps leading")

        try await issues.republishUntilAcknowledged()
        let expected = 2 * issues.events.count
        #expect(await eventually(timeout: .seconds(90)) { pair.notices().count == expected }, "got \(pair.notices().count) of \(expected)")
        let notices = pair.notices()
        #expect(notices.values.allSatisfy { $0.count == 1 }, "a notice went out under two keys")
        let raw = pair.sink.all.count
        let keys = Set(pair.sink.all.compactMap { $0.headers["idempotency-key"] }).count
        // Only what the old leader had on the wire when it stopped may arrive twice (≤ 4 sending + 4
        // answered-unrecorded per endpoint); a leader that kept sending after losing would add more.
        #expect(raw - keys <= 16, "resent \(raw - keys)")
        let log = pair.log(0)
        let refused = log.components(separatedBy: "could not mark deliveries as sending").count - 1
        #expect(log.contains("standing by"), "the old leader noticed")
        print("notifier failover (SIGSTOP/SIGCONT): raw receipts \(raw), distinct Idempotency-Keys \(keys), expected \(expected), lost \(expected - notices.count); stop → first delivery by the new leader \(failover.map { "\($0)" } ?? "none"); resumed \(stoppedAt.duration(to: resumedAt)) after the stop; old leader's dispatch rounds refused by the fence after resuming: \(refused)")
        await issues.client.shutdown()
    }
}
