import CCTVContract
import Foundation
import ServiceRuntime
import Testing
import TestSupport
@testable import Issues

/// A result that changes nothing about its camera (a healthy camera's ICMP every minute) costs no
/// track read and no row write: the intake remembers its meaning and run time (``SteadyCheck``).
@Suite("results that change nothing write nothing, and decide what reading every track decides")
struct SteadyResultTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func intake(flapHoldFactor: Int = 1) -> ResultIntake {
        let policy = IssuePolicy(openAfter: 3, recoverAfter: 2, flapCount: 3, flapWindow: 3600, flapHoldFactor: flapHoldFactor)
        return ResultIntake(recorder: IncidentRecorder(policy: policy, stormPolicy: IssuesConfiguration().storm, topics: Topics(), ackTimeout: 30),
                            monitorPolicy: IssuesConfiguration().monitor)
    }

    func icmp(_ cameraID: String, _ status: ICMPStatus, at time: Date, eventID: String = UUID().uuidString) -> ResultIntake.Item {
        let loss: Double = status == .success ? 0 : status == .loss ? 50 : 100
        let result = ICMPResult(cameraID: cameraID, address: "10.9.0.1", status: status, reason: status == .success ? "ok" : "no_reply",
                                sent: 2, received: status == .success ? 2 : status == .loss ? 1 : 0, lossPercent: loss,
                                startedAt: time, durationMs: 10, prober: "p")
        return .result(cameraID: cameraID, .icmp(result, eventID: eventID), prober: "p")
    }

    /// A new SQLite store, the intake and its memory as the service starts them.
    func freshIntake(_ intake: ResultIntake? = nil) async throws -> (IssueStore, ResultIntake, IntakeMemoryCell) {
        let intake = intake ?? self.intake()
        let store = try IssueStore(location: try StoreEngine.sqlite.freshLocation(), logger: IssueStoreEngineTests.quiet)
        let now = t0
        return (store, intake, IntakeMemoryCell(try await store.read { tx in try intake.loadMemory(tx, now: now) }))
    }

    /// Applies `items` in one transaction with the service's long-lived memory.
    func apply(_ items: [ResultIntake.Item], _ intake: ResultIntake, _ store: IssueStore, _ memory: IntakeMemoryCell, now: Date)
        async throws -> [IncidentStateMachine.Effect] {
        let effects = try await store.write { tx in try memory.withMemory { try intake.apply(items, memory: &$0, tx: tx, now: now) } }
        memory.withMemory { $0.commit() }
        return effects
    }

    func storedTrack(_ cameraID: String, _ store: IssueStore) async throws -> (json: Data?, track: CameraTrack) {
        let json = try await store.read { tx in try tx.db.row("SELECT json FROM track WHERE cameraID = ?", cameraID)?.data("json") }
        return (json, try await store.read { tx in try tx.track(cameraID) })
    }

    @Test("an unchanged result writes no row; a redelivered or older one is still ignored; the next change writes the latest run time")
    func unchangedWritesNothing() async throws {
        let (store, intake, memory) = try await freshIntake()
        let minute = { (i: Int) in t0.addingTimeInterval(Double(i) * 60) }

        // Streaks count up to the policy's ceiling (3 here): until then every result is a change.
        var rows: [Data?] = []
        for i in 0..<8 {
            let effects = try await apply([icmp("C-1", .success, at: minute(i), eventID: "e\(i)")], intake, store, memory, now: minute(i))
            #expect(effects.count == (i == 0 ? 1 : 0), "only the first result publishes a status")
            rows.append(try await storedTrack("C-1", store).json)
        }
        #expect(Set(rows[0..<3]).count == 3, "the streaks still count: each result is written")
        #expect(Set(rows[2...]).count == 1, "once the streaks reached the ceiling, healthy results write nothing")
        #expect(try await storedTrack("C-1", store).track.icmpUpStreak == 3)
        #expect(memory.withMemory { $0.steady["C-1"]?.icmp?.at } == minute(7), "the last run time is kept in memory")

        // A redelivered result and an older failing one change nothing, although the stored run
        // time is older than both.
        let redelivered = try await apply([icmp("C-1", .success, at: minute(7), eventID: "e7")], intake, store, memory, now: minute(8))
        let older = try await apply([icmp("C-1", .timeout, at: minute(6))], intake, store, memory, now: minute(8))
        #expect(redelivered.isEmpty && older.isEmpty)
        #expect(try await storedTrack("C-1", store).json == rows[7])

        // The next change is written, with its own run time; the steady check is forgotten.
        let down = try await apply([icmp("C-1", .timeout, at: minute(8))], intake, store, memory, now: minute(8))
        #expect(down.contains { if case .status(let health) = $0 { health.state == .lineDown } else { false } })
        let stored = try await storedTrack("C-1", store).track
        #expect(stored.lastICMPAt == minute(8) && stored.icmpDownStreak == 1 && stored.icmpUpStreak == 0)
        #expect(memory.withMemory { $0.steady["C-1"] } == nil)
        await store.database.close()
    }

    @Test("a camera with an open incident is never steady: its recovery counts and resolves it")
    func openIncidentIsNotSteady() async throws {
        let (store, intake, memory) = try await freshIntake()
        let minute = { (i: Int) in t0.addingTimeInterval(Double(i) * 60) }
        var effects: [IncidentStateMachine.Effect] = []
        for i in 0..<6 { effects += try await apply([icmp("C-1", .timeout, at: minute(i))], intake, store, memory, now: minute(i)) }
        #expect(effects.contains { if case .opened = $0 { true } else { false } })
        #expect(memory.withMemory { $0.steady["C-1"] } == nil, "still down with an open incident: never taken from memory")
        effects = []
        for i in 6..<8 { effects += try await apply([icmp("C-1", .success, at: minute(i))], intake, store, memory, now: minute(i)) }
        #expect(effects.contains { if case .resolved = $0 { true } else { false } }, "recovers after recoverAfter good checks")
        await store.database.close()
    }

    /// An effect without its generated ids and times, to compare two runs.
    func summary(_ effect: IncidentStateMachine.Effect) -> String {
        switch effect {
        case let .opened(issue): "opened \(issue.cameraID) \(issue.kind.rawValue) \(issue.reason) \(issue.flapping)"
        case let .updated(issue): "updated \(issue.cameraID) \(issue.kind.rawValue) \(issue.reason) \(issue.state.rawValue)"
        case let .resolved(issue): "resolved \(issue.cameraID) \(issue.kind.rawValue)"
        case let .status(health): "status \(health.cameraID) \(health.state.rawValue) \(health.icmp?.rawValue ?? "-") \(health.reason ?? "-")"
        }
    }

    @Test("with steady checks remembered or forgotten (a restart), the same results decide the same incidents, statuses and tracks")
    func sameDecisions() async throws {
        let intake = intake(flapHoldFactor: 2)
        var generator = SeededGenerator(seed: 20_261_201)
        let cameras = (0..<6).map { "C-\($0)" }
        // Long healthy or failing runs (so checks become steady), with flaps and redeliveries, in
        // order per camera as one prober publishes them. Forgetting the steady checks after every
        // batch is what a restart does: the stored tracks alone then decide the same.
        var batches: [[ResultIntake.Item]] = []
        var status: [String: ICMPStatus] = [:]
        var time = 0
        var sent: [ResultIntake.Item] = []
        for _ in 0..<150 {
            var batch: [ResultIntake.Item] = []
            for _ in 0..<Int(generator.next() % 4 + 1) {
                let camera = cameras[Int(generator.next() % 6)]
                if generator.next() % 10 == 0 { status[camera] = [.success, .timeout, .loss, .success][Int(generator.next() % 4)] }
                time += 1
                let roll = generator.next() % 20
                if roll == 0, let earlier = sent.last {
                    batch.append(earlier)  // a redelivery
                } else {
                    let item = icmp(camera, status[camera] ?? .success, at: t0.addingTimeInterval(Double(time)))
                    sent.append(item)
                    batch.append(item)
                }
            }
            batches.append(batch)
        }

        var runs: [(effects: [String], tracks: [String: CameraTrack])] = []
        for remembering in [true, false] {
            let (store, _, memory) = try await freshIntake(intake)
            var effects: [String] = []
            for (index, batch) in batches.enumerated() {
                let now = t0.addingTimeInterval(Double(index))
                effects += try await apply(batch, intake, store, memory, now: now).map(summary)
                if !remembering { memory.withMemory { m in cameras.forEach { m.forgetSteady($0) } } }
            }
            if remembering { #expect(memory.withMemory { !$0.steady.isEmpty }, "some results were taken from memory") }
            runs.append((effects, try await store.read { tx in try tx.tracks(cameras) }))
            await store.database.close()
        }
        #expect(runs[0].effects == runs[1].effects)
        // Incident ids are generated: compared without them.
        let withoutIDs = { (track: CameraTrack?) -> CameraTrack? in
            var track = track
            track?.openIssue?.id = ""
            if track?.published?.issueID != nil { track?.published?.issueID = "" }
            return track
        }
        for camera in cameras {
            let (remembered, forgotten) = (withoutIDs(runs[0].tracks[camera]), withoutIDs(runs[1].tracks[camera]))
            #expect(remembered != nil && forgotten.map { remembered?.isSameState(as: $0) } == true, "\(camera)")
        }
    }
}

