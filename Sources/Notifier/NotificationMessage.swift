import CCTVContract
import Foundation

/// A notification's human text in one language: a title, a few labelled facts, and the dashboard link.
package struct RenderedMessage: Sendable, Equatable {
    package var title: String
    /// One line summing up the incident (the old webhook `messageKo` / `messageEn`).
    package var summary: String
    /// Label and value pairs: camera, site, diagnosis, since when, reason.
    package var facts: [(label: String, value: String)]
    package var link: String
    package var linkLabel: String

    /// Title, summary, facts and link as plain text lines (email, Telegram, Discord).
    package var plainText: String {
        ([summary, ""] + facts.map { "\($0.label): \($0.value)" } + ["", "\(linkLabel): \(link)"]).joined(separator: "\n")
    }

    package static func == (lhs: RenderedMessage, rhs: RenderedMessage) -> Bool {
        lhs.title == rhs.title && lhs.summary == rhs.summary && lhs.link == rhs.link && lhs.linkLabel == rhs.linkLabel
            && lhs.facts.map(\.label) == rhs.facts.map(\.label) && lhs.facts.map(\.value) == rhs.facts.map(\.value)
    }
}

/// The notification templates, Korean and English.
package enum NotificationMessage {
    /// Grouped cameras named in a group notice before "and N more".
    static let membersNamed = 10

    /// Renders `event` about `issue` in `language`. Times are shown in `timeZone` (the control
    /// room's, Asia/Seoul by default); `dashboard` is the public URL of the gateway; `change` is
    /// what an `updated` notice is about.
    package static func render(_ event: NotificationEvent, _ issue: IssueRecord, change: NotificationChange? = nil, language: MessageLanguage,
                              dashboard: String, timeZone: TimeZone = TimeZone(identifier: "Asia/Seoul") ?? .gmt) -> RenderedMessage {
        let site = issue.site ?? "-"
        let since = format(issue.openedAt, timeZone)
        let link = dashboardLink(dashboard, issue: issue)
        switch language {
        case .ko:
            var facts: [(String, String)] = []
            if issue.isGroup {
                facts.append((issue.isServerIncident ? "스트림 서버" : "현장", issue.cameraName ?? site))
                facts.append(("카메라 \(issue.groupedCount ?? 0)대", members(issue, language: .ko)))
            } else if !issue.isMonitorIncident {
                facts += [("카메라", camera(issue)), ("현장", site)]
            }
            facts += [("진단", kindKorean(issue.kind)), ("발생 시각", since), ("원인 코드", issue.reason)]
            if let change { facts.append(("변경", changeText(change, language: .ko))) }
            if issue.flapping, event != .resolved {
                facts.append(("불안정", "장애와 정상화를 반복하고 있어 연속 \(issue.recoveryChecks ?? 0)회 정상 확인 후에 해소됩니다"))
            }
            if let snapshot = snapshotLink(dashboard, issue: issue, event: event) { facts.append(("화면 스냅샷", snapshot)) }
            if let resolvedAt = issue.resolvedAt, event == .resolved { facts.append(("정상화 시각", format(resolvedAt, timeZone))) }
            return RenderedMessage(title: koreanTitle(event, issue.kind, change: change), summary: korean(event, issue, change: change),
                                   facts: facts.map { (label: $0.0, value: $0.1) }, link: link, linkLabel: "대시보드")
        case .en:
            var facts: [(String, String)] = []
            if issue.isGroup {
                facts.append((issue.isServerIncident ? "Stream server" : "Site", issue.cameraName ?? site))
                facts.append(("\(issue.groupedCount ?? 0) cameras", members(issue, language: .en)))
            } else if !issue.isMonitorIncident {
                facts += [("Camera", camera(issue)), ("Site", site)]
            }
            facts += [("Diagnosis", issue.kind.rawValue), ("Since", since), ("Reason", issue.reason)]
            if let change { facts.append(("Change", changeText(change, language: .en))) }
            if issue.flapping, event != .resolved {
                facts.append(("Flapping", "it keeps failing and recovering, so it resolves only after \(issue.recoveryChecks ?? 0) good checks in a row"))
            }
            if let snapshot = snapshotLink(dashboard, issue: issue, event: event) { facts.append(("Snapshot", snapshot)) }
            if let resolvedAt = issue.resolvedAt, event == .resolved { facts.append(("Recovered", format(resolvedAt, timeZone))) }
            return RenderedMessage(title: englishTitle(event, issue.kind, change: change), summary: english(event, issue, change: change),
                                   facts: facts.map { (label: $0.0, value: $0.1) }, link: link, linkLabel: "Dashboard")
        }
    }

    /// One line for `event` about `issue`, in Korean.
    package static func korean(_ event: NotificationEvent, _ issue: IssueRecord, change: NotificationChange? = nil) -> String {
        let site = issue.site.map { " [\($0)]" } ?? ""
        let count = issue.groupedCount ?? 0
        let who: String
        if issue.isServerIncident { who = "스트림 서버 \(issue.cameraName ?? issue.cameraID) 카메라 \(count)대" }
        else if issue.isSiteIncident { who = "\(issue.site ?? "-") 현장 카메라 \(count)대" }
        else if issue.isMonitorIncident { who = "감시 시스템(CCTV Out) 네트워크" }
        else { who = camera(issue) + site }
        let flap = issue.flapping ? " — 불안정(반복 장애): 연속 \(issue.recoveryChecks ?? 0)회 정상 확인 후 해소" : ""
        switch (event, issue.kind) {
        case (.channelFailing, _): return "[알림 채널 장애] \(issue.cameraName ?? issue.cameraID) 채널로 알림이 전달되지 않고 있습니다. 담당자에게 직접 연락하고 채널 설정을 확인하세요. (\(issue.reason))"
        case (.resolved, .monitor): return "[정상화] 감시 시스템 네트워크가 복구되어 판정을 재개합니다."
        case (.resolved, _): return "[정상화] \(who) 장애가 해소되었습니다. (\(kindKorean(issue.kind)))"
        case (.escalated, _): return "[미확인 장애 에스컬레이션] \(who) \(kindKorean(issue.kind)) 장애가 아직 확인되지 않았습니다. (\(issue.reason))"
        case (.reminder, _): return "[장애 지속 알림] \(who) \(kindKorean(issue.kind)) 장애가 계속되고 있습니다. (\(issue.reason))\(flap)"
        default: break
        }
        let prefix = change.map { "[\(changeTitle($0, language: .ko))] " } ?? ""
        switch issue.kind {
        case .line where issue.isSiteIncident: return "\(prefix)[현장 회선 장애] \(who) 핑 응답 없음 — 회선 담당자 확인 요망 (\(issue.reason))"
        case .line: return "\(prefix)[회선 장애] \(who) 핑 응답 없음 — 회선 담당자 확인 요망 (\(issue.reason))\(flap)"
        case .lineDegraded: return "\(prefix)[회선 품질 저하] \(who) 패킷 손실 — 회선 담당자 확인 요망 (\(issue.reason))\(flap)"
        case .camera: return "\(prefix)[카메라 장애] \(who) 영상 스트림 이상 — 카메라 업체 확인 요망 (\(issue.reason))\(flap)"
        case .picture:
            return "\(prefix)[화면 이상] \(who) 영상은 수신되나 화면이 검거나 멈춤 (렌즈 가림·방향 변경·센서 고장 의심) — 카메라 업체 확인 요망 (\(issue.reason))\(flap)"
        case .configuration: return "\(prefix)[설정 오류] \(who) 주소를 찾을 수 없습니다(DNS) — 운영자가 카메라 주소를 확인하세요 (\(issue.reason))"
        case .streamServer: return "\(prefix)[스트림 서버 장애] \(who) 영상 중단 — 서버 담당자 확인 요망 (\(issue.reason))"
        case .monitor:
            return "[감시 시스템 네트워크 장애] CCTV Out 자체 네트워크가 끊겼습니다 — 카메라 \(count)대의 결과를 판정할 수 없어 회선팀·업체에는 알리지 않습니다 (\(issue.reason))"
        }
    }

    /// One line for `event` about `issue`, in English.
    package static func english(_ event: NotificationEvent, _ issue: IssueRecord, change: NotificationChange? = nil) -> String {
        let site = issue.site.map { " [\($0)]" } ?? ""
        let count = issue.groupedCount ?? 0
        let who: String
        if issue.isServerIncident { who = "\(count) cameras of stream server \(issue.cameraName ?? issue.cameraID)" }
        else if issue.isSiteIncident { who = "\(count) cameras at \(issue.site ?? "-")" }
        else if issue.isMonitorIncident { who = "The monitor's (CCTV Out's) own network" }
        else { who = camera(issue) + site }
        let flap = issue.flapping ? " — flapping: resolves only after \(issue.recoveryChecks ?? 0) good checks in a row" : ""
        switch (event, issue.kind) {
        case (.channelFailing, _): return "[CHANNEL DOWN] notices through \(issue.cameraName ?? issue.cameraID) are not getting through; call the team directly and check the channel (\(issue.reason))"
        case (.resolved, .monitor): return "[RECOVERED] The monitor's own network is back; checks count again."
        case (.resolved, _): return "[RECOVERED] \(who) \(issue.isGroup ? "are" : "is") back to normal (\(issue.kind.rawValue))."
        case (.escalated, _): return "[ESCALATED] \(who) \(issue.kind.rawValue) incident not acknowledged yet (\(issue.reason))"
        case (.reminder, _): return "[STILL DOWN] \(who) \(issue.kind.rawValue) incident is still open (\(issue.reason))\(flap)"
        default: break
        }
        let prefix = change.map { "[\(changeTitle($0, language: .en).uppercased())] " } ?? ""
        switch issue.kind {
        case .line where issue.isSiteIncident: return "\(prefix)[SITE LINE DOWN] \(who) do not answer ping — network line team please check (\(issue.reason))"
        case .line: return "\(prefix)[LINE DOWN] \(who) does not answer ping — network line team please check (\(issue.reason))\(flap)"
        case .lineDegraded: return "\(prefix)[LINE DEGRADED] \(who) is losing packets — network line team please check (\(issue.reason))\(flap)"
        case .camera: return "\(prefix)[CAMERA DOWN] \(who) stream is broken — camera vendor please check (\(issue.reason))\(flap)"
        case .picture:
            return "\(prefix)[PICTURE FAULT] \(who) streams, but the picture is black or frozen (lens covered, camera turned, sensor dead?) — camera vendor please check (\(issue.reason))\(flap)"
        case .configuration: return "\(prefix)[CONFIGURATION] \(who): its address does not resolve (DNS) — operators please check the camera's address (\(issue.reason))"
        case .streamServer: return "\(prefix)[STREAM SERVER DOWN] \(who) have broken streams — the server's owner please check (\(issue.reason))"
        case .monitor:
            return "[MONITOR NETWORK DOWN] The monitor's own network is down — results from \(count) cameras are inconclusive; no line team or vendor is told (\(issue.reason))"
        }
    }

    static func koreanTitle(_ event: NotificationEvent, _ kind: IssueKind, change: NotificationChange? = nil) -> String {
        switch event {
        case .resolved: "정상화: \(kindKorean(kind)) 장애 해소"
        case .escalated: "에스컬레이션: 미확인 \(kindKorean(kind)) 장애"
        case .reminder: "장애 지속: \(kindKorean(kind)) 장애"
        case .channelFailing: "알림 채널 장애"
        case .opened, .updated:
            change.map { "\(changeTitle($0, language: .ko)): \(changeText($0, language: .ko))" } ?? "\(kindKorean(kind)) 장애 발생"
        }
    }

    static func englishTitle(_ event: NotificationEvent, _ kind: IssueKind, change: NotificationChange? = nil) -> String {
        let name = kindEnglish(kind)
        return switch event {
        case .resolved: "Recovered: \(name) incident"
        case .escalated: "Escalated: unacknowledged \(name.lowercased()) incident"
        case .reminder: "Still down: \(name.lowercased()) incident"
        case .channelFailing: "Notification channel down"
        case .opened, .updated:
            change.map { "\(changeTitle($0, language: .en)): \(changeText($0, language: .en))" } ?? "\(name) incident"
        }
    }

    /// What an `updated` notice is about, as its title's first words.
    static func changeTitle(_ change: NotificationChange, language: MessageLanguage) -> String {
        switch (change, language) {
        case (.rediagnosed, .ko): "재진단"
        case (.rediagnosed, .en): "Re-diagnosed"
        case (.reassigned, .ko): "담당 변경"
        case (.reassigned, .en): "Reassigned"
        case (.maintenanceOver, .ko): "유지보수 종료, 장애 계속"
        case (.maintenanceOver, .en): "Maintenance over, still down"
        case (.leftGroup, .ko): "개별 장애로 분리"
        case (.leftGroup, .en): "Now on its own"
        }
    }

    /// The change itself, e.g. `회선 품질 → 회선` / `Degraded line → Line`.
    static func changeText(_ change: NotificationChange, language: MessageLanguage) -> String {
        switch (change, language) {
        case let (.rediagnosed(from, to), .ko): "\(kindKorean(from)) → \(kindKorean(to))"
        case let (.rediagnosed(from, to), .en): "\(kindEnglish(from)) → \(kindEnglish(to))"
        case (.reassigned, .ko): "다른 담당 팀으로 넘어갔습니다"
        case (.reassigned, .en): "another team is responsible now"
        case (.maintenanceOver, .ko): "유지보수 시간이 끝났지만 장애가 계속됩니다"
        case (.maintenanceOver, .en): "the maintenance window ended and it is still down"
        case (.leftGroup, .ko): "그룹 장애에서 분리되었습니다"
        case (.leftGroup, .en): "no longer part of its group incident"
        }
    }

    static func kindKorean(_ kind: IssueKind) -> String {
        switch kind {
        case .line: "회선"
        case .lineDegraded: "회선 품질"
        case .camera: "카메라"
        case .picture: "화면"
        case .configuration: "설정 오류"
        case .streamServer: "스트림 서버"
        case .monitor: "감시 시스템 네트워크"
        }
    }

    static func kindEnglish(_ kind: IssueKind) -> String {
        switch kind {
        case .line: "Line"
        case .lineDegraded: "Degraded line"
        case .camera: "Camera"
        case .picture: "Picture"
        case .configuration: "Configuration"
        case .streamServer: "Stream server"
        case .monitor: "Monitor network"
        }
    }

    /// `정문 (10.0.0.1)`: a camera's name and address.
    static func camera(_ issue: IssueRecord) -> String {
        "\(issue.cameraName ?? issue.cameraID) (\(issue.address ?? "-"))"
    }

    /// The first grouped cameras by name, then how many more: `A, B, C 외 97대` / `A, B, C and 97 more`.
    static func members(_ issue: IssueRecord, language: MessageLanguage) -> String {
        let names = Array((issue.members ?? []).prefix(membersNamed))
        let rest = max(0, (issue.groupedCount ?? names.count) - names.count)
        let listed = names.joined(separator: ", ")
        guard rest > 0 else { return listed.isEmpty ? "-" : listed }
        return switch language {
        case .ko: listed.isEmpty ? "\(rest)대" : "\(listed) 외 \(rest)대"
        case .en: listed.isEmpty ? "\(rest)" : "\(listed) and \(rest) more"
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

    /// The dashboard's public URL without trailing slashes, for links to be appended to.
    static func origin(_ dashboard: String) -> String {
        var base = dashboard
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// The evidence of a PICTURE incident (black, frozen picture): the newest frame its picture
    /// check kept, served by the gateway to signed-in users. Only PICTURE: a camera whose stream is
    /// broken (CAMERA) has no frame to take, and a line outage none either.
    static func snapshotLink(_ dashboard: String, issue: IssueRecord, event: NotificationEvent) -> String? {
        guard issue.kind == .picture, !issue.isGroup, event != .resolved else { return nil }
        return origin(dashboard) + SnapshotPath.newest(camera: issue.cameraID)
    }

    /// `text` made safe as one value of the dashboard's `#key=value&…` fragment.
    static func part(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=#+"))) ?? text
    }

    /// The dashboard opened at exactly what the notice is about: a site incident (`#incident=ID`),
    /// or the camera with its incident marked (`#camera=ID&incident=ID`).
    static func dashboardLink(_ dashboard: String, issue: IssueRecord) -> String {
        let base = origin(dashboard)
        if issue.isSiteIncident { return "\(base)/#incident=\(part(issue.id))" }
        if issue.cameraID.hasPrefix(ChannelAlarm.cameraPrefix) { return "\(base)/#view=notify" }
        return "\(base)/#camera=\(part(issue.cameraID))&incident=\(part(issue.id))"
    }
}
