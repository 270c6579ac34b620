import CCTVContract
import Foundation
import Testing
@testable import Issues

let policy = IssuePolicy(openAfter: 3, recoverAfter: 2, lossThreshold: 20)
private let info = CameraInfo(name: "정문", address: "10.0.0.1", site: "본관", lineTeam: "KT-1", vendor: "Hanwha")

/// Feeds results one by one, one second apart, and collects every effect.
private struct Feeder {
    var policy = IssuesTests.policy
    var track = CameraTrack(cameraID: "CAM-1")
    var clock = Date(timeIntervalSince1970: 1_800_000_000)
    var effects: [IncidentStateMachine.Effect] = []
    var ids = 0

    mutating func icmp(_ status: ICMPStatus, loss: Double? = nil, eventID: String? = nil, at: Date? = nil, reason: String? = nil, inconclusive: String? = nil) {
        clock.addTimeInterval(1)
        let sent = 3
        let lossPercent = loss ?? (status == .success ? 0 : status == .loss ? 33.3 : 100)
        let result = ICMPResult(cameraID: "CAM-1", address: "10.0.0.1", status: status, reason: reason ?? (status == .success ? "ok" : "no_reply"),
                                sent: sent, received: 0, lossPercent: lossPercent, startedAt: at ?? clock, durationMs: 1, prober: "t", inconclusive: inconclusive)
        apply(.icmp(result, eventID: eventID ?? UUID().uuidString))
    }

    mutating func hls(_ status: HLSStatus, reason: String = "playlist_stale") {
        clock.addTimeInterval(1)
        let result = HLSResult(cameraID: "CAM-1", url: "http://c/x.m3u8", status: status, reason: status == .success ? "ok" : reason, startedAt: clock, durationMs: 1, prober: "t")
        apply(.hls(result, eventID: UUID().uuidString))
    }

    mutating func rtsp(_ status: HLSStatus, reason: String = "rtsp_auth_rejected") {
        clock.addTimeInterval(1)
        let result = RTSPResult(cameraID: "CAM-1", url: "rtsp://c/x", status: status, reason: status == .success ? "ok" : reason, startedAt: clock, durationMs: 1, prober: "t")
        apply(.rtsp(result, eventID: UUID().uuidString))
    }

    mutating func picture(_ status: PictureStatus) {
        clock.addTimeInterval(1)
        let reason = switch status { case .black: "picture_black"; case .frozen: "picture_frozen"; case .error: "picture_timeout"; case .ok: "ok" }
        apply(.picture(PictureResult(cameraID: "CAM-1", status: status, reason: reason, startedAt: clock, durationMs: 1, prober: "t"), eventID: UUID().uuidString))
    }

    mutating func apply(_ observation: IncidentStateMachine.Observation) {
        var counter = ids
        let (next, new) = IncidentStateMachine.apply(observation, to: track, camera: info, policy: policy, now: clock, newIssueID: { counter += 1; return "I-\(counter)" })
        ids = counter
        track = next
        effects += new
    }

    var incidents: [IncidentStateMachine.Effect] { effects.filter { if case .status = $0 { false } else { true } } }
}

@Suite("incident state machine")
struct IncidentStateMachineTests {
    @Test("ping fine and RTSP failing opens CAMERA for the vendor with the RTSP reason; RTSP recovering resolves it")
    func rtspCamera() {
        var feeder = Feeder()
        feeder.icmp(.success)
        for _ in 0..<3 { feeder.rtsp(.fail) }
        guard case let .opened(issue)? = feeder.incidents.first else { Issue.record("no incident"); return }
        #expect(issue.kind == .camera && issue.responsible == .cameraVendor && issue.reason == "rtsp_auth_rejected")
        #expect(feeder.track.published?.state == .cameraDown && feeder.track.published?.reason == "rtsp_auth_rejected")
        feeder.rtsp(.success); feeder.rtsp(.success)
        guard case .resolved? = feeder.incidents.last else { Issue.record("not resolved: \(feeder.incidents)"); return }
    }

    @Test("line and stream fine, picture black twice: PICTURE for the vendor; one good picture resolves it")
    func picture() {
        var feeder = Feeder()
        feeder.icmp(.success); feeder.hls(.success)
        feeder.picture(.black)
        #expect(feeder.incidents.isEmpty)
        feeder.picture(.error)
        #expect(feeder.incidents.isEmpty, "a picture that could not be judged counts for nothing")
        feeder.picture(.frozen)
        guard case let .opened(issue)? = feeder.incidents.first else { Issue.record("no incident"); return }
        #expect(issue.kind == .picture && issue.responsible == .cameraVendor && issue.responsibleTeam == "Hanwha")
        #expect(issue.reason == "picture_frozen")
        #expect(feeder.track.published?.state == .pictureFault)
        feeder.picture(.ok)
        guard case .resolved? = feeder.incidents.last else { Issue.record("not resolved: \(feeder.incidents)"); return }
    }

    @Test("a picture fault is not judged while the stream or the line is down")
    func pictureNeedsStreamAndLine() {
        var feeder = Feeder()
        feeder.icmp(.success); feeder.hls(.fail)
        feeder.picture(.black); feeder.picture(.black)
        #expect(feeder.incidents.isEmpty)
        feeder.icmp(.timeout); feeder.icmp(.timeout); feeder.icmp(.timeout)
        guard case let .opened(issue)? = feeder.incidents.first else { Issue.record("no incident"); return }
        #expect(issue.kind == .line)
    }

    @Test("a LINE incident opens only after N consecutive ICMP failures")
    func opensAfterN() {
        var feeder = Feeder()
        feeder.icmp(.timeout); feeder.icmp(.timeout)
        #expect(feeder.incidents.isEmpty)
        feeder.icmp(.fail)
        guard case let .opened(issue)? = feeder.incidents.first else { Issue.record("no incident"); return }
        #expect(issue.kind == .line)
        #expect(issue.responsible == .lineTeam)
        #expect(issue.responsibleTeam == "KT-1")
        #expect(issue.site == "본관")
    }

    @Test("a success in between resets the count (hysteresis)")
    func successResets() {
        var feeder = Feeder()
        feeder.icmp(.timeout); feeder.icmp(.timeout); feeder.icmp(.success); feeder.icmp(.timeout); feeder.icmp(.timeout)
        #expect(feeder.incidents.isEmpty)
    }

    @Test("recovery needs M consecutive successes and resolves the same incident")
    func recovery() {
        var feeder = Feeder()
        for _ in 0..<3 { feeder.icmp(.timeout) }
        feeder.icmp(.success)
        #expect(feeder.incidents.count == 1)
        feeder.icmp(.success)
        guard case let .resolved(issue)? = feeder.incidents.last else { Issue.record("not resolved"); return }
        #expect(issue.state == .resolved)
        #expect(issue.id == "I-1")
        #expect(feeder.track.openIssue == nil)
    }

    @Test("ICMP fine and HLS failing opens a CAMERA incident for the vendor")
    func cameraProblem() {
        var feeder = Feeder()
        feeder.icmp(.success)
        for _ in 0..<3 { feeder.hls(.fail) }
        guard case let .opened(issue)? = feeder.incidents.first else { Issue.record("no incident"); return }
        #expect(issue.kind == .camera)
        #expect(issue.responsible == .cameraVendor)
        #expect(issue.responsibleTeam == "Hanwha")
        #expect(issue.reason == "playlist_stale")
    }

    @Test("both failing is a line problem only")
    func bothFailing() {
        var feeder = Feeder()
        for _ in 0..<3 { feeder.icmp(.timeout); feeder.hls(.error, reason: "connect_timeout") }
        let kinds = feeder.incidents.compactMap { effect -> IssueKind? in if case let .opened(i) = effect { i.kind } else { nil } }
        #expect(kinds == [.line])
    }

    @Test("a camera problem that becomes a line problem updates the same incident and re-routes it")
    func reDiagnosis() {
        var feeder = Feeder()
        feeder.icmp(.success)
        for _ in 0..<3 { feeder.hls(.fail) }
        for _ in 0..<3 { feeder.icmp(.timeout) }
        guard case let .updated(issue)? = feeder.incidents.last else { Issue.record("not updated: \(feeder.incidents)"); return }
        #expect(issue.id == "I-1")
        #expect(issue.kind == .line)
        #expect(issue.responsible == .lineTeam)
        #expect(issue.version == 2)
    }

    @Test("LOSS above the threshold is a degraded line; below it is fine")
    func degraded() {
        var feeder = Feeder()
        for _ in 0..<3 { feeder.icmp(.loss, loss: 10) }
        #expect(feeder.incidents.isEmpty)
        for _ in 0..<3 { feeder.icmp(.loss, loss: 66.7) }
        guard case let .opened(issue)? = feeder.incidents.first else { Issue.record("no incident"); return }
        #expect(issue.kind == .lineDegraded)
    }

    @Test("a redelivered or older result changes nothing")
    func idempotent() {
        var feeder = Feeder()
        feeder.icmp(.timeout, eventID: "E1")
        let before = feeder.track
        feeder.icmp(.timeout, eventID: "E1")
        #expect(feeder.track == before)
        feeder.icmp(.timeout, at: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(feeder.track == before, "a result older than the last one is ignored")
    }

    @Test("status is published only when it changes")
    func statusOnChange() {
        var feeder = Feeder()
        feeder.icmp(.success); feeder.icmp(.success); feeder.icmp(.success)
        let statuses = feeder.effects.filter { if case .status = $0 { true } else { false } }
        #expect(statuses.count == 1)
    }

    @Test("deleting a camera with an open incident resolves it")
    func removal() {
        var feeder = Feeder()
        for _ in 0..<3 { feeder.icmp(.timeout) }
        let effects = IncidentStateMachine.cameraRemoved(feeder.track, now: Date())
        guard case let .resolved(issue)? = effects.first else { Issue.record("not resolved"); return }
        #expect(issue.reason == "camera_removed")
    }

    @Test("an incident says its latest cause, and its recovery too; the history keeps every cause")
    func latestCause() {
        var feeder = Feeder()
        feeder.icmp(.success)
        for _ in 0..<3 { feeder.hls(.error, reason: "connect_refused") }
        feeder.hls(.fail, reason: "http_404")
        guard case let .updated(updated)? = feeder.incidents.last else { Issue.record("no update: \(feeder.incidents)"); return }
        #expect(updated.reason == "http_404")
        #expect(updated.history.compactMap(\.note).contains("cause connect_refused → http_404"))
        feeder.hls(.success); feeder.hls(.success)
        guard case let .resolved(resolved)? = feeder.incidents.last else { Issue.record("not resolved"); return }
        #expect(resolved.reason == "http_404", "the recovery repeats the latest cause, not the first")
    }

    @Test("a stream failure seen before a line outage does not count toward a CAMERA incident after the line returns")
    func streaksRestartAfterLineOutage() {
        var feeder = Feeder()
        feeder.icmp(.success)
        feeder.hls(.fail); feeder.hls(.fail)
        for _ in 0..<3 { feeder.icmp(.timeout); feeder.hls(.error, reason: "timeout") }
        feeder.icmp(.success); feeder.icmp(.success)
        let kinds = feeder.incidents.map { effect -> String in
            switch effect { case let .opened(i): "opened \(i.kind.rawValue)"; case let .resolved(i): "resolved \(i.kind.rawValue)"; default: "other" }
        }
        #expect(kinds == ["opened LINE", "resolved LINE"])
        feeder.hls(.fail)
        #expect(feeder.incidents.count == 2, "one stream failure after the line returned is not three")
        feeder.hls(.fail); feeder.hls(.fail)
        guard case let .opened(camera)? = feeder.incidents.last else { Issue.record("no camera incident"); return }
        #expect(camera.kind == .camera)
    }

    @Test("a flapping camera's incident and status say it needs more good checks, and how many")
    func flappingSaysWhy() {
        var feeder = Feeder()
        for _ in 0..<3 {
            for _ in 0..<3 { feeder.icmp(.timeout) }
            for _ in 0..<2 { feeder.icmp(.success) }
        }
        for _ in 0..<3 { feeder.icmp(.timeout) }
        guard case let .opened(issue)? = feeder.incidents.last else { Issue.record("no incident"); return }
        #expect(issue.flapping)
        #expect(issue.recoveryChecks == 10, "recover-after 2 × hold factor 5")
        #expect(issue.history.first?.note?.contains("resolves only after 10 good checks") == true)
        #expect(feeder.track.published?.flapping == true)
        #expect(feeder.track.published?.recoveryChecks == 10)
    }

    @Test("a re-diagnosis keeps the kind it came from, so the notice can say what changed")
    func previousKind() {
        var feeder = Feeder()
        for _ in 0..<3 { feeder.icmp(.loss, loss: 66.7) }
        for _ in 0..<3 { feeder.icmp(.timeout) }
        guard case let .updated(issue)? = feeder.incidents.last else { Issue.record("not updated"); return }
        #expect(issue.previousKind == .lineDegraded)
        #expect(issue.kind == .line)
    }

    @Test("an address that does not resolve is a CONFIGURATION fault for operators, not the line team", arguments: [true, false])
    func unresolvedAddress(byICMP: Bool) {
        var feeder = Feeder()
        if byICMP {
            for _ in 0..<3 { feeder.icmp(.fail, reason: "dns_unresolved") }
        } else {
            feeder.icmp(.success)
            for _ in 0..<3 { feeder.hls(.error, reason: "dns_unresolved") }
        }
        guard case let .opened(issue)? = feeder.incidents.first else { Issue.record("no incident"); return }
        #expect(issue.kind == .configuration)
        #expect(issue.responsible == .operators)
        #expect(issue.responsibleTeam == nil)
        #expect(issue.holdUntil == nil, "nothing to group: operators are told at once")
        if byICMP { for _ in 0..<2 { feeder.icmp(.success) } } else { for _ in 0..<2 { feeder.hls(.success) } }
        guard case .resolved? = feeder.incidents.last else { Issue.record("not resolved by the check that failed"); return }
    }

    @Test("an inconclusive result judges nothing, shows the camera as unknown, and restarts its streaks")
    func inconclusive() {
        var feeder = Feeder()
        feeder.icmp(.timeout); feeder.icmp(.timeout)
        feeder.icmp(.timeout, inconclusive: "reference_unreachable")
        #expect(feeder.incidents.isEmpty)
        #expect(feeder.track.published?.state == .unknown)
        #expect(feeder.track.published?.reason == "reference_unreachable")
        feeder.icmp(.timeout); feeder.icmp(.timeout)
        #expect(feeder.incidents.isEmpty, "the count restarted after the monitor's own outage")
        feeder.icmp(.timeout)
        #expect(feeder.incidents.count == 1)
    }

    @Test("a new camera incident is held for the announce hold; withdrawn, it resolves and its streaks restart")
    func holdAndWithdraw() {
        var feeder = Feeder()
        feeder.policy.announceHold = 3
        for _ in 0..<3 { feeder.icmp(.timeout) }
        guard case let .opened(issue)? = feeder.incidents.first else { Issue.record("no incident"); return }
        #expect(issue.holdUntil == feeder.clock.addingTimeInterval(3))
        let (track, effects) = IncidentStateMachine.withdraw(feeder.track, reason: "fleet_failed_at_once", policy: feeder.policy, now: feeder.clock)
        guard case let .resolved(withdrawn)? = effects.first else { Issue.record("not withdrawn"); return }
        #expect(withdrawn.history.last?.note?.contains("monitor's own network") == true)
        #expect(track.openIssue == nil)
        #expect(track.icmpDownStreak == 0)
    }
}
