import CCTVContract
import Foundation
import Testing
import TestSupport
@testable import Notifier

/// Camera notices (clock off / right again, camera replaced, firmware changed): when, to whom,
/// in which words, and kept across a restart.
@Suite("camera notices")
struct CameraNoticeTests {
    static let camera = NoticeCamera(id: "CAM-7", name: "정문", address: "10.0.0.7", site: "본관", vendor: "HANWHA")
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func onvif(_ skew: Double?, at minute: Int, limit: Double = 10) -> ONVIFResult {
        ONVIFResult(cameraID: "CAM-7", url: "http://10.0.0.7/onvif/device_service", status: skew == nil ? .error : .success,
                    reason: skew == nil ? "onvif_timeout" : abs(skew ?? 0) > limit ? "clock_skew" : "ok",
                    clockSkewSeconds: skew, clockSkewLimitSeconds: skew == nil ? nil : limit, clockSkewed: skew.map { abs($0) > limit },
                    startedAt: start.addingTimeInterval(Double(minute) * 60), durationMs: 3, prober: "p1")
    }

    /// The notices a sequence of skews (nil = the clock not read) produces.
    static func notices(_ skews: [Double?]) -> [CameraNotice.Subject] {
        var told: ToldCondition?
        var subjects: [CameraNotice.Subject] = []
        for (minute, skew) in skews.enumerated() {
            let (next, notice) = ClockNoticeRule.observe(onvif(skew, at: minute), told: told, camera: camera)
            told = next
            if let notice { subjects.append(notice.subject) }
        }
        return subjects
    }

    @Test("a clock off is told once when it starts and once when it is right again, not on every check")
    func clockOnceEachWay() {
        #expect(Self.notices([0.4, 420, 421, 419, nil, 420, 0.6, 0.5]) == [.clockSkewed, .clockFixed])
        #expect(Self.notices([0.4, 1, 2, nil]).isEmpty, "a right clock is never told")
        // A fixed clock going off again is a new episode.
        #expect(Self.notices([30, 0, 30, 0]) == [.clockSkewed, .clockFixed, .clockSkewed, .clockFixed])
    }

    @Test("a clock hovering at the limit is told off once, and right again only within half the limit")
    func hoveringAtTheLimit() {
        #expect(Self.notices([10.2, 9.8, 10.3, 9.9, 10.1]) == [.clockSkewed])
        #expect(Self.notices([10.2, 9.8, 10.3, 4.9]) == [.clockSkewed, .clockFixed])
    }

    @Test("an older result than the skew told says nothing")
    func reordered() {
        let told = ToldCondition(since: Self.start.addingTimeInterval(600), value: 420)
        let (kept, notice) = ClockNoticeRule.observe(Self.onvif(0, at: 5), told: told, camera: Self.camera)
        #expect(kept == told && notice == nil)
    }

    @Test("a camera notice goes to the camera's vendor team and the operators whose filter takes CAMERA")
    func recipients() {
        let (_, notice) = ClockNoticeRule.observe(Self.onvif(420, at: 0), told: nil, camera: Self.camera)
        let told = NotificationDecision.recipients(of: try! #require(notice), routing: NotificationRouting(book: sampleBook)).map(\.channel.id)
        #expect(told == ["vendor-hook", "ops-hook", "lead-hook"])
        // No vendor on the camera: the default vendor team (the first of its role).
        var unassigned = Self.camera
        unassigned.vendor = nil
        let change = CameraDeviceChange(cameraID: "CAM-7", change: .firmware, previous: CameraDevice(firmware: "1"), current: CameraDevice(firmware: "2"), at: Self.start)
        var device = CameraNotice(change, eventID: "E1")
        device.camera = unassigned
        #expect(NotificationDecision.recipients(of: device, routing: NotificationRouting(book: sampleBook)).map(\.channel.id) == ["vendor-hook", "ops-hook", "lead-hook"])
    }

    @Test("a camera notice says what happened, in Korean and in English")
    func words() {
        let (_, skewed) = ClockNoticeRule.observe(Self.onvif(420, at: 0), told: nil, camera: Self.camera)
        let clock = try! #require(skewed)
        #expect(CameraNoticeMessage.korean(clock).contains("시계가 +420초 어긋나"))
        #expect(CameraNoticeMessage.english(clock).contains("clock is +420 s off (limit 10 s)"))
        let change = CameraDeviceChange(cameraID: "CAM-7", cameraName: "정문", address: "10.0.0.7", site: "본관", vendor: "HANWHA", change: .replaced,
                                        previous: CameraDevice(model: "A", serial: "SN-1"), current: CameraDevice(model: "A", serial: "SN-2"), at: Self.start)
        let replaced = CameraNotice(change, eventID: "E1")
        #expect(replaced.subject == .deviceReplaced && replaced.issueID == "camera:CAM-7:device")
        #expect(CameraNoticeMessage.korean(replaced).contains("교체") && CameraNoticeMessage.korean(replaced).contains("SN-1 → SN-2"))
        #expect(CameraNoticeMessage.english(replaced).contains("[CAMERA REPLACED]"))
        let ko = CameraNoticeMessage.render(replaced, language: .ko, dashboard: "http://dash/", timeZone: .gmt)
        #expect(ko.title == "카메라 교체 감지" && ko.link == "http://dash/#camera=CAM-7")
        #expect(ko.facts.map(\.label).contains("이전 장치"))
    }

    @Test("a clock told off is kept across a restart, so its 'right again' still goes; a notice queued twice goes once; a deleted camera's are forgotten",
          arguments: StoreEngine.allCases)
    func keptAcrossRestart(engine: StoreEngine) async throws {
        let location = try engine.freshLocation()
        defer { location.removeTestFiles() }
        let routing = NotificationRouting(book: sampleBook)
        let policy = NotificationPolicy(dashboard: "http://x")
        let (told, skewed) = ClockNoticeRule.observe(Self.onvif(420, at: 0), told: nil, camera: Self.camera)
        let notice = try #require(skewed)
        do {
            let store = try DeliveryStore(testing: location)
            #expect(try await store.queue(notice, recipients: NotificationDecision.recipients(of: notice, routing: routing), policy: policy) == 3)
            #expect(try await store.queue(notice, recipients: NotificationDecision.recipients(of: notice, routing: routing), policy: policy) == 0)
        }
        let reopened = try DeliveryStore(testing: location)
        #expect(try reopened.conditionsTold() == ["CAM-7": ["clock": try #require(told)]])
        let (after, fixed) = ClockNoticeRule.observe(Self.onvif(0.5, at: 9), told: try reopened.conditionsTold()["CAM-7"]?["clock"], camera: Self.camera)
        #expect(after == nil)
        let back = try #require(fixed)
        #expect(back.subject == .clockFixed && back.since == Self.start)
        #expect(try await reopened.queue(back, recipients: NotificationDecision.recipients(of: back, routing: routing), policy: policy) == 3)
        #expect(try reopened.conditionsTold().isEmpty)
        let history = try reopened.history(cameraID: "CAM-7")
        #expect(Set(history.map(\.event)) == ["clock_skewed", "clock_fixed"] && history.count == 6)
        // A deleted camera's conditions are forgotten (their end can never be told).
        let lost = try #require(ONVIFEventNoticeRule.observe(Self.event(.signalLoss, true, at: 10), told: nil, camera: Self.camera).1)
        #expect(try await reopened.queue(lost, recipients: NotificationDecision.recipients(of: lost, routing: routing), policy: policy) == 3)
        #expect(try reopened.conditionsTold()["CAM-7"]?["signal"] != nil)
        try await reopened.forgetConditions(of: "CAM-7")
        #expect(try reopened.conditionsTold().isEmpty)
    }

    static func event(_ kind: ONVIFEventResult.Kind, _ active: Bool, at minute: Int, operation: String = "Changed") -> ONVIFEventResult {
        ONVIFEventResult(cameraID: "CAM-7", kind: kind, topic: kind == .signalLoss ? "tns1:VideoSource/SignalLoss" : "tns1:RuleEngine/TamperDetector/Tamper",
                         active: active, operation: operation, source: "VideoSource_1", at: start.addingTimeInterval(Double(minute) * 60),
                         receivedAt: start.addingTimeInterval(Double(minute) * 60), prober: "p1")
    }

    @Test("a signal loss is told when it starts and when it ends, whatever the camera repeats (a new subscription's Initialized state too)")
    func signalOnceEachWay() {
        var told: ToldCondition?
        var subjects: [CameraNotice.Subject] = []
        let events = [Self.event(.signalLoss, false, at: 0, operation: "Initialized"), Self.event(.signalLoss, true, at: 1),
                      Self.event(.signalLoss, true, at: 2, operation: "Initialized"), Self.event(.signalLoss, true, at: 3),
                      Self.event(.signalLoss, false, at: 4), Self.event(.signalLoss, false, at: 5, operation: "Initialized")]
        for event in events {
            let (next, notice) = ONVIFEventNoticeRule.observe(event, told: told, camera: Self.camera)
            told = next
            if let notice { subjects.append(notice.subject) }
        }
        #expect(subjects == [.signalLost, .signalBack])
        let (_, tamper) = ONVIFEventNoticeRule.observe(Self.event(.tamper, true, at: 0), told: nil, camera: Self.camera)
        #expect(tamper?.subject == .tampered && tamper?.issueID == "camera:CAM-7:tamper")
        let (kept, none) = ONVIFEventNoticeRule.observe(Self.event(.signalLoss, false, at: 0), told: ToldCondition(since: Self.start.addingTimeInterval(60)), camera: Self.camera)
        #expect(kept != nil && none == nil, "an end older than the start told says nothing")
        let lost = try! #require(ONVIFEventNoticeRule.observe(Self.event(.signalLoss, true, at: 1), told: nil, camera: Self.camera).1)
        #expect(CameraNoticeMessage.korean(lost).contains("영상 신호") && CameraNoticeMessage.english(lost).contains("[VIDEO SIGNAL LOST]"))
    }
}
