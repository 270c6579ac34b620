import CCTVContract
import Foundation
import Testing
@testable import Issues

private func openIssue(_ state: IssueState = .open) -> IssueRecord {
    IssueRecord(id: "I-1", cameraID: "CAM-1", kind: .line, state: state, responsible: .lineTeam, reason: "no_reply",
                openedAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0), version: 1)
}

@Suite("incident lifecycle, flapping and silences")
struct IssueLifecycleTests {
    let policy = IssuePolicy(openAfter: 2, recoverAfter: 2)

    @Test("open → acknowledged → dispatched, each step with actor, time and note")
    func happyPath() throws {
        let now = Date()
        let acked = try IssueLifecycle.apply(IssueCommand(.acknowledge(issueID: "ISS-1", note: nil), actor: "관제 김"), to: openIssue(), track: nil, policy: policy, now: now)
        #expect(acked.state == .acknowledged)
        let sent = try IssueLifecycle.apply(IssueCommand(.dispatch(issueID: "ISS-1", note: "KT 기사 출동"), actor: "관제 김"), to: acked, track: nil, policy: policy, now: now)
        #expect(sent.state == .dispatched)
        #expect(sent.history.last == IssueTransition(from: .acknowledged, to: .dispatched, actor: "관제 김", at: now, note: "KT 기사 출동"))
        #expect(sent.version == 3)
    }

    @Test("illegal transitions are refused naming both states")
    func illegal() {
        #expect(throws: ContractError.self) { try IssueLifecycle.apply(IssueCommand(.close(issueID: "ISS-1", note: nil), actor: "a"), to: openIssue(), track: nil, policy: policy, now: Date()) }
        #expect(throws: ContractError.self) { try IssueLifecycle.apply(IssueCommand(.acknowledge(issueID: "ISS-1", note: nil), actor: "a"), to: openIssue(.dispatched), track: nil, policy: policy, now: Date()) }
        do {
            _ = try IssueLifecycle.apply(IssueCommand(.close(issueID: "ISS-1", note: nil), actor: "a"), to: openIssue(), track: nil, policy: policy, now: Date())
        } catch {
            #expect(error.code == "illegal_transition")
            #expect(error.message.contains("OPEN"))
        }
    }

    @Test("a state change without an actor is refused")
    func actorRequired() {
        #expect(throws: ContractError.self) { try IssueLifecycle.apply(IssueCommand(.acknowledge(issueID: "ISS-1", note: nil)), to: openIssue(), track: nil, policy: policy, now: Date()) }
    }

    @Test("marked fixed while still failing waits for the checks; already healthy resolves at once")
    func markFixed() throws {
        var failing = CameraTrack(cameraID: "CAM-1")
        failing.icmpDownStreak = 5
        failing.lastICMP = .timeout
        let waiting = try IssueLifecycle.apply(IssueCommand(.markFixed(issueID: "ISS-1", note: nil), actor: "기사"), to: openIssue(.dispatched), track: failing, policy: policy, now: Date())
        #expect(waiting.state == .dispatched)
        #expect(waiting.fixReportedBy == "기사")
        var healthy = CameraTrack(cameraID: "CAM-1")
        healthy.icmpUpStreak = 3
        healthy.lastICMP = .success
        let done = try IssueLifecycle.apply(IssueCommand(.markFixed(issueID: "ISS-1", note: nil), actor: "기사"), to: openIssue(.dispatched), track: healthy, policy: policy, now: Date())
        #expect(done.state == .resolved)
    }

    @Test("a flapping camera is held in one incident instead of a storm of open/close")
    func flapping() {
        let policy = IssuePolicy(openAfter: 1, recoverAfter: 1, flapCount: 3, flapWindow: 3600, flapHoldFactor: 5)
        var track = CameraTrack(cameraID: "CAM-1")
        var clock = Date(timeIntervalSince1970: 1_800_000_000)
        var opened = 0, resolved = 0
        func feed(_ status: ICMPStatus) {
            clock.addTimeInterval(10)
            let result = ICMPResult(cameraID: "CAM-1", address: "a", status: status, reason: "r", sent: 1, received: status == .success ? 1 : 0,
                                    lossPercent: status == .success ? 0 : 100, startedAt: clock, durationMs: 1, prober: "p")
            let (next, effects) = IncidentStateMachine.apply(.icmp(result, eventID: UUID().uuidString), to: track, camera: nil, policy: policy, now: clock, newIssueID: { UUID().uuidString })
            track = next
            for effect in effects {
                if case .opened = effect { opened += 1 }
                if case .resolved = effect { resolved += 1 }
            }
        }
        for _ in 0..<20 { feed(.timeout); feed(.success) }
        #expect(opened == 3, "after the third opening the camera is held as flapping")
        #expect(resolved == 2)
        #expect(track.openIssue?.flapping == true)
        for _ in 0..<5 { feed(.success) }
        #expect(track.openIssue == nil, "a stable stretch finally resolves it")
    }

    @Test("silences cover a camera, its site or its tag until they expire")
    func silences() {
        let now = Date()
        let info = CameraInfo(site: "본관", tags: ["주차장"])
        let later = now.addingTimeInterval(600)
        #expect(SilenceMatcher.isSilenced(cameraID: "C", info: info, silences: [Silence(scope: .site, value: "본관", until: later)], now: now))
        #expect(SilenceMatcher.isSilenced(cameraID: "C", info: info, silences: [Silence(scope: .tag, value: "주차장", until: later)], now: now))
        #expect(SilenceMatcher.isSilenced(cameraID: "C", info: info, silences: [Silence(scope: .camera, value: "C", until: later)], now: now))
        #expect(!SilenceMatcher.isSilenced(cameraID: "C", info: info, silences: [Silence(scope: .site, value: "별관", until: later)], now: now))
        #expect(!SilenceMatcher.isSilenced(cameraID: "C", info: info, silences: [Silence(scope: .camera, value: "C", until: now.addingTimeInterval(-1))], now: now))
    }

    @Test("a window for a line team or vendor covers their cameras, a future one not yet, a recurring one on its days")
    func silencesByTeamAndSchedule() {
        let now = Date()
        let info = CameraInfo(site: "본관", lineTeam: "KT-1", vendor: "HANWHA")
        let later = now.addingTimeInterval(3600)
        #expect(SilenceMatcher.isSilenced(cameraID: "C", info: info, silences: [Silence(scope: .lineTeam, value: "KT-1", until: later)], now: now))
        #expect(SilenceMatcher.isSilenced(cameraID: "C", info: info, silences: [Silence(scope: .vendor, value: "HANWHA", until: later)], now: now))
        #expect(!SilenceMatcher.isSilenced(cameraID: "C", info: info, silences: [Silence(scope: .vendor, value: "KT-1", until: later)], now: now))
        #expect(!SilenceMatcher.isSilenced(cameraID: "C", info: info, silences: [Silence(scope: .camera, value: "C", startsAt: now.addingTimeInterval(60), until: later)], now: now),
                "a window starting later does not hold yet")
        let zone = TimeZone.current.identifier
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        let today = calendar.component(.weekday, from: now) // 1 = Sunday
        let iso = (today + 5) % 7 + 1 // 1 = Monday … 7 = Sunday
        let hour = calendar.component(.hour, from: now)
        let everyDayNow = Recurrence(days: [iso], start: String(format: "%02d:00", hour), minutes: 120, timeZone: zone)
        #expect(SilenceMatcher.isSilenced(cameraID: "C", info: info, silences: [Silence(scope: .site, value: "본관", until: now.addingTimeInterval(30 * 86_400), recurrence: everyDayNow)], now: now))
        let otherDay = Recurrence(days: [iso % 7 + 1], start: String(format: "%02d:00", hour), minutes: 60, timeZone: zone)
        #expect(!SilenceMatcher.isSilenced(cameraID: "C", info: info, silences: [Silence(scope: .site, value: "본관", until: now.addingTimeInterval(30 * 86_400), recurrence: otherDay)], now: now))
        #expect(SilenceMatcher.isSilenced(cameraID: "SITE:본관", info: nil, silences: [Silence(scope: .site, value: "본관", until: later)], now: now),
                "a site incident is covered by its site's window")
    }

    @Test("an incident opened during maintenance is marked silenced")
    func openedSilenced() {
        var track = CameraTrack(cameraID: "CAM-1")
        let result = ICMPResult(cameraID: "CAM-1", address: "a", status: .timeout, reason: "no_reply", sent: 1, received: 0, lossPercent: 100, startedAt: Date(), durationMs: 1, prober: "p")
        let (next, effects) = IncidentStateMachine.apply(.icmp(result, eventID: "e"), to: track, camera: nil, policy: IssuePolicy(openAfter: 1), now: Date(), silenced: true, newIssueID: { "I" })
        track = next
        guard case let .opened(issue)? = effects.first else { Issue.record("not opened"); return }
        #expect(issue.silenced)
    }
}
