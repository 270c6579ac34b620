import CCTVContract
import Foundation
@testable import Prober
import Testing

@Suite("check schedule and back-off")
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

@Suite("field verdict of cctv-out check")
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

    @Test("partial loss is a degraded line for the line team")
    func degraded() {
        let lossy = ICMPVerdict(status: .loss, reason: "partial_loss", sent: 5, received: 3)
        #expect(FieldVerdict(icmp: lossy, hls: nil) == .degradedLine)
        #expect(FieldVerdict(icmp: lossy, hls: nil).exitCode == 2)
    }
}
