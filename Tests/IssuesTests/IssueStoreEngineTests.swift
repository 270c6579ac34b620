import CCTVContract
import Foundation
import Logging
import ServiceRuntime
import Testing
import TestSupport
@testable import Issues

/// The issues store behaves the same on SQLite (one box) and PostgreSQL (schema `issues`, shared by
/// an active and a standby instance): every test runs once per engine.
@Suite("the issues store on SQLite and PostgreSQL", .serialized, .runsAlone)
struct IssueStoreEngineTests {
    static let quiet: Logger = {
        var logger = Logger(label: "issue-store-test")
        logger.logLevel = .critical
        return logger
    }()

    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func intake() -> ResultIntake {
        let policy = IssuePolicy(openAfter: 1, recoverAfter: 1, flapCount: 3, flapWindow: 3600, flapHoldFactor: 5)
        var storm = IssuesConfiguration().storm
        storm.minimumCameras = 0
        return ResultIntake(recorder: IncidentRecorder(policy: policy, stormPolicy: storm, topics: Topics(), ackTimeout: 30),
                            monitorPolicy: IssuesConfiguration().monitor)
    }

    func failure(_ cameraID: String, at time: Date) -> ResultIntake.Item {
        let result = ICMPResult(cameraID: cameraID, address: "10.9.0.1", status: .timeout, reason: "no_reply", sent: 1, received: 0,
                                lossPercent: 100, startedAt: time, durationMs: 1000, prober: "p")
        return .result(cameraID: cameraID, .icmp(result, eventID: UUID().uuidString), prober: "p")
    }

    @Test("results through the intake open incidents, queue their events and statuses, and a reopened store rebuilds the same memory",
          arguments: StoreEngine.allCases)
    func intakeRoundTrip(engine: StoreEngine) async throws {
        let location = try engine.freshLocation()
        let store = try IssueStore(location: location, logger: Self.quiet)
        let intake = intake()
        let now = now
        let items: [ResultIntake.Item] = [.config(cameraID: "C-1", CameraInfo(name: "정문", site: "본관", enabled: true)),
                                          .config(cameraID: "C-2", CameraInfo(name: "후문", site: "본관", enabled: false)),
                                          failure("C-1", at: now), failure("C-2", at: now)]
        let effects = try await store.write { tx in
            var memory = try intake.loadMemory(tx, now: now)
            let effects = try intake.apply(items, memory: &memory, tx: tx, now: now)
            memory.commit()
            return effects.count
        }
        #expect(effects > 0)
        let open = try store.issues(openOnly: true)
        #expect(Set(open.map(\.cameraID)) == ["C-1", "C-2"])
        #expect(open.allSatisfy { $0.kind == .line })
        #expect(try store.unacknowledged() >= 2, "each opened event waits for the notifier's acknowledgement")
        #expect(try await store.read { tx in try tx.issue(open[0].id) } == open[0])

        // A second store on the same location (the standby becoming leader) sees it all.
        let reopened = try IssueStore(location: location, logger: Self.quiet)
        let memory = try await reopened.read { tx in try intake.loadMemory(tx, now: now) }
        #expect(memory.tally.failing(in: .site("본관")) == 2)
        #expect(memory.tally.judged == 2)
        let infos = try await reopened.read { tx in try tx.infos(["C-1", "C-2", "C-3"]) }
        #expect(infos["C-1"]?.name == "정문" && infos["C-3"] == nil)
        let pulse = ResultPulse(every: 5, database: reopened.database, logger: Self.quiet)
        #expect(try await pulse.enabledCameras() == 1, "a camera whose definition says disabled is not counted")
        let statuses = try await reopened.write { tx in try IssueStore.enqueueEveryStatus(topics: Topics())(tx.db) }
        #expect(statuses == 2, "every camera's last status can be queued again for a broker that lost them")
        await store.database.close()
        await reopened.database.close()
    }

    @Test("unacknowledged events come back when due, are counted and forgotten once acknowledged", arguments: StoreEngine.allCases)
    func acknowledgements(engine: StoreEngine) async throws {
        let store = try IssueStore(location: try engine.freshLocation(), logger: Self.quiet)
        let now = now
        try await store.write { tx in
            try tx.awaitAcknowledgement(eventID: "e1", issueID: "i1", topic: "issues/opened", payload: [1, 2, 3], retryAt: now)
            try tx.awaitAcknowledgement(eventID: "e2", issueID: "i2", topic: "issues/opened", payload: [4], retryAt: now.addingTimeInterval(60))
            // The same event again (a re-queued one) replaces, never duplicates.
            try tx.awaitAcknowledgement(eventID: "e1", issueID: "i1", topic: "issues/opened", payload: [1, 2, 3], retryAt: now)
        }
        let due = try await store.read { tx in try tx.unacknowledged(dueAt: now, limit: 10) }
        #expect(due.map(\.eventID) == ["e1"])
        #expect(due.first?.payload == [1, 2, 3])
        try await store.write { tx in try tx.republished("e1", attempts: 1, retryAt: now.addingTimeInterval(120)) }
        #expect(try await store.read { tx in try tx.unacknowledged(dueAt: now.addingTimeInterval(90), limit: 10).map(\.eventID) } == ["e2"])
        try await store.write { tx in try tx.acknowledged(["e1", "e2", "unknown"]) }
        #expect(try store.unacknowledged() == 0)
        await store.database.close()
    }

    @Test("silences are stored, replaced by id and removed", arguments: StoreEngine.allCases)
    func silences(engine: StoreEngine) async throws {
        let store = try IssueStore(location: try engine.freshLocation(), logger: Self.quiet)
        let until = now.addingTimeInterval(3600)
        try await store.write { tx in
            try tx.saveSilence(Silence(id: "s1", scope: .site, value: "본관", until: until))
            try tx.saveSilence(Silence(id: "s1", scope: .site, value: "별관", until: until))
            try tx.saveSilence(Silence(id: "s2", scope: .camera, value: "C-1", until: until.addingTimeInterval(60)))
        }
        #expect(try await store.read { tx in try tx.silences().map(\.value) } == ["별관", "C-1"])
        try await store.write { tx in try tx.removeSilence("s1") }
        #expect(try await store.read { tx in try tx.silences().map(\.id) } == ["s2"])
        await store.database.close()
    }

    @Test("resolved incidents older than the retention are deleted in batches; open and recent ones stay", arguments: StoreEngine.allCases)
    func retention(engine: StoreEngine) async throws {
        let store = try IssueStore(location: try engine.freshLocation(), logger: Self.quiet)
        let now = Date()
        @Sendable func incident(_ id: String, state: IssueState, openedDaysAgo: Double, resolvedDaysAgo: Double?) -> IssueRecord {
            IssueRecord(id: id, cameraID: "CAM-\(id)", kind: .line, state: state, responsible: .lineTeam, reason: "no_reply",
                        openedAt: now.addingTimeInterval(-openedDaysAgo * 86_400), updatedAt: now.addingTimeInterval(-(resolvedDaysAgo ?? 0) * 86_400),
                        resolvedAt: resolvedDaysAgo.map { now.addingTimeInterval(-$0 * 86_400) }, version: 1)
        }
        try await store.write { tx in
            for n in 0..<1_200 { try tx.saveIssue(incident("old-\(n)", state: .resolved, openedDaysAgo: 500, resolvedDaysAgo: 450)) }
            try tx.saveIssue(incident("open-ancient", state: .open, openedDaysAgo: 900, resolvedDaysAgo: nil))
            try tx.saveIssue(incident("closed-recently", state: .closed, openedDaysAgo: 600, resolvedDaysAgo: 10))
            try tx.saveIssue(incident("recent", state: .resolved, openedDaysAgo: 20, resolvedDaysAgo: 19))
        }
        let sweeper = RetentionSweeper(database: store.database, logger: Self.quiet, rules: IssueRetention.rules(incidentDays: 400), batchSize: 500)
        #expect(try await sweeper.sweep(now: now)["resolved incidents"] == 1_200, "three batches of at most 500")
        #expect(Set(try store.issues(openOnly: false).map(\.id)) == ["closed-recently", "open-ancient", "recent"],
                "an open incident never expires; a long one resolved recently stays")
        await store.database.close()
    }

    @Test("an instance that lost the leadership cannot write: its fence refuses, the new leader's passes")
    func fencedWrites() async throws {
        let location = try StoreEngine.postgres.freshLocation()
        let old = try IssueStore(location: location, logger: Self.quiet)
        let new = try IssueStore(location: location, logger: Self.quiet)
        let first = LeaderLease(location: location, role: "issues", holder: "old", logger: Self.quiet)
        let second = LeaderLease(location: location, role: "issues", holder: "new", logger: Self.quiet)
        let until = now
        let oldFence = try await first.withLeadership { fence in
            old.use(fence)
            try await old.write { tx in try tx.saveSilence(Silence(id: "by-old", scope: .site, value: "A", until: until)) }
            return fence
        }
        try await second.withLeadership { fence in
            #expect(fence.epoch > oldFence.epoch)
            new.use(fence)
            try await new.write { tx in try tx.saveSilence(Silence(id: "by-new", scope: .site, value: "B", until: until)) }
        }
        await #expect(throws: LeadershipError.self) {
            try await old.write { tx in try tx.saveSilence(Silence(id: "late", scope: .site, value: "C", until: until)) }
        }
        #expect(try await new.read { tx in try tx.silences().map(\.id) }.sorted() == ["by-new", "by-old"], "the fenced write left nothing")
        await old.database.close()
        await new.database.close()
    }
}
