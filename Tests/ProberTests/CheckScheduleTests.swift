import CCTVContract
import Foundation
@testable import Prober
import Testing
import TestSupport

@Suite("check schedule and back-off", .runsAlone)
struct CheckScheduleTests {
    static func camera(_ id: String, interval: Int? = nil, hls: String? = nil, enabled: Bool = true) -> CameraDefinition {
        CameraDefinition(id: id, name: id, address: "127.0.0.1", hlsURL: hls, enabled: enabled, intervalSeconds: interval,
                         createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0), version: 1)
    }

    @Test("new cameras spread over their interval instead of all checking at once")
    func jitter() {
        var schedule = CheckSchedule(defaultInterval: 60)
        var fraction = 0.0
        for index in 0..<100 {
            schedule.upsert(Self.camera("c\(index)"), now: 0, random: { defer { fraction += 0.01 }; return fraction })
        }
        #expect(schedule.takeDue(now: 0, limit: 1000).count == 1)
        #expect(schedule.takeDue(now: 29.95, limit: 1000).count == 49)
        #expect(schedule.takeDue(now: 60, limit: 1000).count == 50)
    }

    @Test("a running camera is not handed out twice, and takeDue respects the limit")
    func runningAndLimit() {
        var schedule = CheckSchedule(defaultInterval: 10)
        for index in 0..<5 { schedule.upsert(Self.camera("c\(index)"), now: 0, random: { 0 }) }
        #expect(schedule.takeDue(now: 1, limit: 3).count == 3)
        #expect(schedule.takeDue(now: 1, limit: 10).count == 2)
        #expect(schedule.takeDue(now: 100, limit: 10).isEmpty)
        #expect(schedule.nextDue(now: 100) == nil)
    }

    @Test("a check started after its slot says how late it was, once; one on time says 0")
    func lateness() {
        var schedule = CheckSchedule(defaultInterval: 60)
        for index in 0..<3 { schedule.upsert(Self.camera("c\(index)"), now: 0, random: { 0.5 }) }
        #expect(schedule.takeDue(now: 30, limit: 1).count == 1)
        #expect(schedule.takeLateness() == 0)
        // No free slot until 45 s: the other two start 15 s after their slot.
        #expect(schedule.takeDue(now: 45, limit: 2).count == 2)
        #expect(schedule.takeLateness() == 15)
        #expect(schedule.takeLateness() == 0)
    }

    @Test("the next check is one interval after the previous slot, so the cadence does not drift")
    func cadence() {
        var schedule = CheckSchedule(defaultInterval: 10)
        schedule.upsert(Self.camera("a"), now: 0, random: { 0.5 })
        #expect(schedule.takeDue(now: 5, limit: 1).map(\.id) == ["a"])
        schedule.finished("a", now: 7)
        #expect(schedule.due(of: "a") == 15)
        #expect(schedule.nextDue(now: 7) == 8)
    }

    @Test("a camera's own interval overrides the default")
    func ownInterval() {
        var schedule = CheckSchedule(defaultInterval: 60)
        schedule.upsert(Self.camera("a", interval: 5), now: 0, random: { 0 })
        _ = schedule.takeDue(now: 0, limit: 1)
        schedule.finished("a", now: 1)
        #expect(schedule.due(of: "a") == 5)
    }

    @Test("a changed camera is checked within a second; a disabled or removed one never again")
    func changes() {
        var schedule = CheckSchedule(defaultInterval: 60)
        schedule.upsert(Self.camera("a"), now: 0, random: { 0.9 })
        schedule.upsert(Self.camera("a", hls: "http://127.0.0.1/x.m3u8"), now: 10)
        #expect(schedule.takeDue(now: 11, limit: 10).map(\.id) == ["a"])
        schedule.finished("a", now: 11)
        schedule.upsert(Self.camera("a", enabled: false), now: 12)
        #expect(schedule.count == 0)
        #expect(schedule.takeDue(now: 1_000, limit: 10).isEmpty)
        schedule.upsert(Self.camera("b"), now: 0, random: { 0 })
        schedule.remove("b")
        #expect(schedule.takeDue(now: 1_000, limit: 10).isEmpty)
    }

    @Test("back-off: after 5 failures a dead camera is checked every 2× its interval, capped at 5 minutes")
    func backoffPolicy() {
        let policy = BackoffPolicy()
        #expect(policy.interval(base: 60, failures: 4) == 60)
        #expect(policy.interval(base: 60, failures: 5) == 120)
        #expect(policy.interval(base: 60, failures: 500) == 120)
        #expect(policy.interval(base: 200, failures: 5) == 300)
        #expect(policy.interval(base: 900, failures: 5) == 900)
        #expect(policy.interval(base: 30, failures: 5) == 60)
    }

    @Test("back-off in the schedule starts at the 5th failure and ends at the first success")
    func backoffInSchedule() {
        var schedule = CheckSchedule(defaultInterval: 10)
        schedule.upsert(Self.camera("dead"), now: 0, random: { 0 })
        var now = 0.0
        var gaps: [Double] = []
        for outcome in [true, true, true, true, true, true, false, false] {
            let due = schedule.due(of: "dead")!
            now = due
            #expect(schedule.takeDue(now: now, limit: 1).map(\.id) == ["dead"])
            schedule.finished("dead", now: now, failed: outcome)
            gaps.append(schedule.due(of: "dead")! - due)
        }
        #expect(gaps == [10, 10, 10, 10, 20, 20, 10, 10])
        #expect(schedule.failures(of: "dead") == 0)
    }

    @Test("after an outage that held every check, checks stay spread over the interval instead of all at one instant")
    func spreadAfterOutage() {
        var schedule = CheckSchedule(defaultInterval: 10)
        var slots = CheckSlots(total: 1_000)
        var fraction = 0.0
        for index in 0..<100 { schedule.upsert(Self.camera("c\(index)"), now: 0, random: { defer { fraction += 0.01 }; return fraction }) }
        // Every check of the first round starts on time and then hangs on publishing (broker down)
        // until t = 47.35, when they all finish at once.
        var started: [String] = []
        var now = 0.0
        while now < 10 { started += schedule.takeDue(now: now, slots: &slots, host: { _ in nil }).map(\.id); now += 0.05 }
        #expect(started.count == 100)
        for id in started { schedule.finished(id, now: 47.35, slots: &slots) }
        #expect(slots.running == 0)
        // Each keeps its own phase: the next round is spread over [47.35, 57.35) as the first was over [0, 10).
        let dues = started.map { schedule.due(of: $0)! }
        #expect(dues.allSatisfy { $0 >= 47.35 && $0 < 57.35 }, "\(dues)")
        let phases = Set(dues.map { Int(($0.truncatingRemainder(dividingBy: 10) * 100).rounded()) })
        #expect(phases.count == 100, "every camera kept a phase of its own: \(phases.count) distinct")
        let perSecond = Dictionary(grouping: dues, by: { Int($0) }).values.map(\.count).max() ?? 0
        #expect(perSecond <= 11, "at most ~10 checks in any one second, got \(perSecond)")
    }

    @Test("slow cameras may hold only their share of the slots; the rest stay free for cameras that answer")
    func slowLane() {
        var schedule = CheckSchedule(defaultInterval: 10)
        var slots = CheckSlots(total: 8, slowShare: 0.25)
        for index in 0..<8 { schedule.upsert(Self.camera("hung\(index)"), now: 0, random: { 0 }) }
        // First round: nobody is known to be slow yet, the hung cameras fill the pool.
        let first = schedule.takeDue(now: 0, slots: &slots, host: { _ in nil })
        #expect(first.count == 8)
        for camera in first { schedule.finished(camera.id, now: 10, failed: true, slow: true, slots: &slots) }
        for index in 0..<6 { schedule.upsert(Self.camera("good\(index)"), now: 10, random: { 0 }) }
        // Now the 8 slow hung cameras and 6 good ones are due together: the slow get 2 slots, the good all 6.
        let second = schedule.takeDue(now: 10, slots: &slots, host: { _ in nil })
        #expect(second.filter { schedule.isSlow($0.id) }.count == 2)
        #expect(second.filter { $0.id.hasPrefix("good") }.count == 6)
        #expect(slots.running == 8 && slots.runningSlow == 2)
        // A refused camera keeps its phase (its slot stays at 10, offered again when one frees).
        let refused = first.map(\.id).first { id in !second.contains { $0.id == id } }!
        #expect(schedule.due(of: refused) == 10)
    }

    @Test("one host gets at most its per-host limit of checks at once; other hosts still start")
    func perHost() {
        var schedule = CheckSchedule(defaultInterval: 10)
        var slots = CheckSlots(total: 10, perHostLimit: 3)
        for index in 0..<8 { schedule.upsert(Self.camera("nvr\(index)", hls: "http://10.0.0.1:8080/\(index).m3u8"), now: 0, random: { 0 }) }
        for index in 0..<4 { schedule.upsert(Self.camera("own\(index)", hls: "http://10.0.1.\(index)/live.m3u8"), now: 0, random: { 0.5 }) }
        let taken = schedule.takeDue(now: 6, slots: &slots, host: CheckRunner.streamHost)
        #expect(taken.filter { $0.id.hasPrefix("nvr") }.count == 3)
        #expect(taken.filter { $0.id.hasPrefix("own") }.count == 4)
        #expect(slots.running(host: "10.0.0.1:8080") == 3)
        #expect(schedule.waitingForSlot, "five cameras of the full host wait for its slots")
        schedule.finished(taken.first { $0.id.hasPrefix("nvr") }!.id, now: 7, slots: &slots)
        #expect(schedule.takeDue(now: 7, slots: &slots, host: CheckRunner.streamHost).count == 1, "the freed host slot goes to the next camera of that host")
    }

    @Test("a due camera the slots refuse waits for a slot (a finished check then wakes the runner); with slots to spare none does")
    func waitingForSlot() {
        var schedule = CheckSchedule(defaultInterval: 10)
        var slots = CheckSlots(total: 2)
        for index in 0..<3 { schedule.upsert(Self.camera("c\(index)"), now: 0, random: { 0 }) }
        let taken = schedule.takeDue(now: 0, slots: &slots, host: { _ in nil })
        #expect(taken.count == 2)
        #expect(schedule.waitingForSlot, "the third is due and both slots are taken")
        let left = Set(["c0", "c1", "c2"]).subtracting(taken.map(\.id))
        schedule.finished(taken[0].id, now: 0.1, slots: &slots)
        #expect(Set(schedule.takeDue(now: 0.1, slots: &slots, host: { _ in nil }).map(\.id)) == left)
        #expect(!schedule.waitingForSlot, "nobody else is due")
        schedule.finished(taken[1].id, now: 0.2, slots: &slots)
        for id in left { schedule.finished(id, now: 0.3, slots: &slots) }
        #expect(schedule.takeDue(now: 10, slots: &slots, host: { _ in nil }).count == 2)
        #expect(schedule.waitingForSlot, "three due at 10 s, two slots")
    }

    @Test("a camera removed while its check runs still gives its slot back")
    func removedWhileRunning() {
        var schedule = CheckSchedule(defaultInterval: 10)
        var slots = CheckSlots(total: 2)
        schedule.upsert(Self.camera("a"), now: 0, random: { 0 })
        #expect(schedule.takeDue(now: 0, slots: &slots, host: { _ in nil }).count == 1)
        schedule.remove("a")
        schedule.finished("a", now: 1, slots: &slots)
        #expect(slots.running == 0)
    }

    @Test("100,000 cameras: due cameras come out in due order, each exactly once")
    func fleetScale() {
        var schedule = CheckSchedule(defaultInterval: 60)
        var generator = SystemRandomNumberGenerator()
        for index in 0..<100_000 { schedule.upsert(Self.camera("c\(index)"), now: 0, random: { Double.random(in: 0..<1, using: &generator) }) }
        var seen = Set<String>()
        var lastDue = -1.0
        var step = 0.0
        while step <= 60 {
            for camera in schedule.takeDue(now: step, limit: 100_000) {
                let due = schedule.due(of: camera.id)!
                #expect(due >= lastDue)
                lastDue = due
                #expect(seen.insert(camera.id).inserted)
            }
            step += 0.5
        }
        #expect(seen.count == 100_000)
    }
}

@Suite("field verdict of cctv-out check", .runsAlone)
struct FieldVerdictTests {
    static let answering = ICMPVerdict(status: .success, reason: "ok", sent: 3, received: 3, rttMinMs: 0.1, rttAvgMs: 0.2, rttMaxMs: 0.3)
    static let silent = ICMPVerdict(status: .timeout, reason: "no_reply", sent: 3, received: 0)

    @Test("ping fails: 회선 문제, whatever the stream does")
    func line() {
        #expect(FieldVerdict(icmp: Self.silent, hls: HLSVerdict(status: .error, reason: "timeout")) == .line)
        #expect(FieldVerdict(icmp: Self.silent, hls: nil).headline.hasPrefix("회선 문제 (network line problem)"))
    }

    @Test("ping fine, stream broken: 카메라 문제; both fine: 정상")
    func camera() {
        #expect(FieldVerdict(icmp: Self.answering, hls: HLSVerdict(status: .fail, reason: "playlist_stale")) == .camera)
        #expect(FieldVerdict(icmp: Self.answering, hls: HLSVerdict(status: .success, reason: "ok")) == .ok)
        #expect(FieldVerdict(icmp: Self.answering, hls: nil).exitCode == 0)
        let report = FieldVerdict.report(address: "10.0.0.1", hlsURL: "http://10.0.0.1/a.m3u8", icmp: Self.answering,
                                         hls: HLSVerdict(status: .fail, reason: "playlist_stale"), verdict: .camera)
        #expect(report.contains("카메라 문제 (camera problem)"))
        #expect(report.contains("playlist_stale"))
    }

    @Test("RTSP broken is a camera problem; a black picture behind working streams is 화면 이상 for the vendor; every rung is printed")
    func ladder() {
        let rtspDown = RTSPVerdict(status: .fail, reason: "rtsp_auth_rejected", detail: "DESCRIBE answered 401", rtspStatus: 401)
        #expect(FieldVerdict(icmp: Self.answering, hls: nil, rtsp: rtspDown) == .camera)
        let black = PictureCheck.Outcome(status: .black, reason: "picture_black", blackSeconds: 4, frozenSeconds: 4, sampledSeconds: 4)
        let verdict = FieldVerdict(icmp: Self.answering, hls: HLSVerdict(status: .success, reason: "ok"), rtsp: nil, picture: black)
        #expect(verdict == .picture && verdict.exitCode == 3)
        #expect(FieldVerdict(icmp: Self.silent, hls: nil, picture: black) == .line)
        let report = FieldVerdict.report(address: "10.0.0.1", hlsURL: nil, icmp: Self.answering, hls: nil, verdict: .camera,
                                         rtspURL: "rtsp://10.0.0.1/live", rtsp: rtspDown, picture: black)
        #expect(report.contains("RTSP  rtsp://10.0.0.1/live") && report.contains("rtsp_auth_rejected"))
        #expect(report.contains("검은 화면 (black)"))
    }

    @Test("echoes refused by this host are shown as lost")
    func refusedEchoes() {
        let refused = ICMPVerdict(status: .loss, reason: "send_refused", sent: 10, received: 5, refused: 5)
        let report = FieldVerdict.report(address: "127.84.0.4", hlsURL: nil, icmp: refused, hls: nil, verdict: .degradedLine)
        #expect(report.contains("5/10, 손실 (loss) 50 %") && report.contains("refused by this host"))
    }

    @Test("partial loss is a degraded line for the line team")
    func degraded() {
        let lossy = ICMPVerdict(status: .loss, reason: "partial_loss", sent: 5, received: 3)
        #expect(FieldVerdict(icmp: lossy, hls: nil) == .degradedLine)
        #expect(FieldVerdict(icmp: lossy, hls: nil).exitCode == 2)
    }
}
