import CCTVContract
import Foundation

/// A notification's human text in one language: a title, a few labelled facts, and the dashboard link.
public struct RenderedMessage: Sendable, Equatable {
    public var title: String
    /// One line summing up the incident (the old webhook `messageKo` / `messageEn`).
    public var summary: String
    /// Label and value pairs: camera, site, diagnosis, since when, reason.
    public var facts: [(label: String, value: String)]
    public var link: String
    public var linkLabel: String

    /// Title, summary, facts and link as plain text lines (email, Telegram, Discord).
    public var plainText: String {
        ([summary, ""] + facts.map { "\($0.label): \($0.value)" } + ["", "\(linkLabel): \(link)"]).joined(separator: "\n")
    }

    public static func == (lhs: RenderedMessage, rhs: RenderedMessage) -> Bool {
        lhs.title == rhs.title && lhs.summary == rhs.summary && lhs.link == rhs.link && lhs.linkLabel == rhs.linkLabel
            && lhs.facts.map(\.label) == rhs.facts.map(\.label) && lhs.facts.map(\.value) == rhs.facts.map(\.value)
    }
}

/// The notification templates, Korean and English.
public enum NotificationMessage {
    /// Renders `event` about `issue` in `language`. Times are shown in `timeZone` (the control
    /// room's, Asia/Seoul by default); `dashboard` is the public URL of the gateway.
    public static func render(_ event: NotificationEvent, _ issue: IssueRecord, language: MessageLanguage, dashboard: String,
                              timeZone: TimeZone = TimeZone(identifier: "Asia/Seoul") ?? .gmt) -> RenderedMessage {
        let camera = "\(issue.cameraName ?? issue.cameraID) (\(issue.address ?? "-"))"
        let site = issue.site ?? "-"
        let since = format(issue.openedAt, timeZone)
        let link = dashboardLink(dashboard, cameraID: issue.cameraID)
        switch language {
        case .ko:
            let title = koreanTitle(event, issue.kind)
            var facts: [(String, String)] = [("카메라", camera), ("현장", site), ("진단", kindKorean(issue.kind)), ("발생 시각", since), ("원인 코드", issue.reason)]
            if let resolvedAt = issue.resolvedAt, event == .resolved { facts.append(("정상화 시각", format(resolvedAt, timeZone))) }
            return RenderedMessage(title: title, summary: korean(event, issue), facts: facts.map { (label: $0.0, value: $0.1) }, link: link, linkLabel: "대시보드")
        case .en:
            let title = englishTitle(event, issue.kind)
            var facts: [(String, String)] = [("Camera", camera), ("Site", site), ("Diagnosis", issue.kind.rawValue), ("Since", since), ("Reason", issue.reason)]
            if let resolvedAt = issue.resolvedAt, event == .resolved { facts.append(("Recovered", format(resolvedAt, timeZone))) }
            return RenderedMessage(title: title, summary: english(event, issue), facts: facts.map { (label: $0.0, value: $0.1) }, link: link, linkLabel: "Dashboard")
        }
    }

    /// One line for `event` about `issue`, in Korean.
    public static func korean(_ event: NotificationEvent, _ issue: IssueRecord) -> String {
        let camera = "\(issue.cameraName ?? issue.cameraID) (\(issue.address ?? "-"))"
        let site = issue.site.map { " [\($0)]" } ?? ""
        switch (event, issue.kind) {
        case (.resolved, _): return "[정상화] \(camera)\(site) 장애가 해소되었습니다. (\(kindKorean(issue.kind)))"
        case (.escalated, _): return "[미확인 장애 에스컬레이션] \(camera)\(site) \(kindKorean(issue.kind)) 장애가 아직 확인되지 않았습니다. (\(issue.reason))"
        case (.reminder, _): return "[장애 지속 알림] \(camera)\(site) \(kindKorean(issue.kind)) 장애가 계속되고 있습니다. (\(issue.reason))"
        case (_, .line): return "[회선 장애] \(camera)\(site) 핑 응답 없음 — 회선 담당자 확인 요망 (\(issue.reason))"
        case (_, .lineDegraded): return "[회선 품질 저하] \(camera)\(site) 패킷 손실 — 회선 담당자 확인 요망 (\(issue.reason))"
        case (_, .camera): return "[카메라 장애] \(camera)\(site) 영상 스트림 이상 — 카메라 업체 확인 요망 (\(issue.reason))"
        case (_, .picture): return "[화면 이상] \(camera)\(site) 영상은 수신되나 화면이 검거나 멈춤 (렌즈 가림·방향 변경·센서 고장 의심) — 카메라 업체 확인 요망 (\(issue.reason))"
        }
    }

    /// One line for `event` about `issue`, in English.
    public static func english(_ event: NotificationEvent, _ issue: IssueRecord) -> String {
        let camera = "\(issue.cameraName ?? issue.cameraID) (\(issue.address ?? "-"))"
        let site = issue.site.map { " [\($0)]" } ?? ""
        switch (event, issue.kind) {
        case (.resolved, _): return "[RECOVERED] \(camera)\(site) is back to normal (\(issue.kind.rawValue))."
        case (.escalated, _): return "[ESCALATED] \(camera)\(site) \(issue.kind.rawValue) incident not acknowledged yet (\(issue.reason))"
        case (.reminder, _): return "[STILL DOWN] \(camera)\(site) \(issue.kind.rawValue) incident is still open (\(issue.reason))"
        case (_, .line): return "[LINE DOWN] \(camera)\(site) does not answer ping — network line team please check (\(issue.reason))"
        case (_, .lineDegraded): return "[LINE DEGRADED] \(camera)\(site) is losing packets — network line team please check (\(issue.reason))"
        case (_, .camera): return "[CAMERA DOWN] \(camera)\(site) stream is broken — camera vendor please check (\(issue.reason))"
        case (_, .picture): return "[PICTURE FAULT] \(camera)\(site) streams, but the picture is black or frozen (lens covered, camera turned, sensor dead?) — camera vendor please check (\(issue.reason))"
        }
    }

    static func koreanTitle(_ event: NotificationEvent, _ kind: IssueKind) -> String {
        switch event {
        case .resolved: "정상화: \(kindKorean(kind)) 장애 해소"
        case .escalated: "에스컬레이션: 미확인 \(kindKorean(kind)) 장애"
        case .reminder: "장애 지속: \(kindKorean(kind)) 장애"
        case .opened, .updated: "\(kindKorean(kind)) 장애 발생"
        }
    }

    static func englishTitle(_ event: NotificationEvent, _ kind: IssueKind) -> String {
        let name = switch kind { case .line: "Line"; case .lineDegraded: "Degraded line"; case .camera: "Camera"; case .picture: "Picture" }
        return switch event {
        case .resolved: "Recovered: \(name) incident"
        case .escalated: "Escalated: unacknowledged \(name.lowercased()) incident"
        case .reminder: "Still down: \(name.lowercased()) incident"
        case .opened, .updated: "\(name) incident"
        }
    }

    static func kindKorean(_ kind: IssueKind) -> String {
        switch kind {
        case .line: "회선"
        case .lineDegraded: "회선 품질"
        case .camera: "카메라"
        case .picture: "화면"
        }
    }

    /// `2026-11-24 21:15 KST` in the control room's zone.
    static func format(_ date: Date, _ timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        // Linux Foundation has no abbreviation for Asia/Seoul ("GMT+9"); Korean control rooms say KST.
        let zone = timeZone.identifier == "Asia/Seoul" ? "KST" : timeZone.abbreviation(for: date) ?? timeZone.identifier
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0) + zone
    }

    /// The dashboard page of one camera.
    static func dashboardLink(_ dashboard: String, cameraID: String) -> String {
        var base = dashboard
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/#camera=\(cameraID)"
    }
}
