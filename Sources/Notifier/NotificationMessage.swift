import CCTVContract
import Foundation

/// The human text of a notification, in Korean and English.
public enum NotificationMessage {
    /// One line for `event` about `issue`, in Korean.
    public static func korean(_ event: String, _ issue: IssueRecord) -> String {
        let camera = "\(issue.cameraName ?? issue.cameraID) (\(issue.address ?? "-"))"
        let site = issue.site.map { " [\($0)]" } ?? ""
        switch (event, issue.kind) {
        case ("resolved", _): return "[정상화] \(camera)\(site) 장애가 해소되었습니다. (\(kindKorean(issue.kind)))"
        case (_, .line): return "[회선 장애] \(camera)\(site) 핑 응답 없음 — 회선 담당자 확인 요망 (\(issue.reason))"
        case (_, .lineDegraded): return "[회선 품질 저하] \(camera)\(site) 패킷 손실 — 회선 담당자 확인 요망 (\(issue.reason))"
        case (_, .camera): return "[카메라 장애] \(camera)\(site) 영상 스트림 이상 — 카메라 업체 확인 요망 (\(issue.reason))"
        }
    }

    /// One line for `event` about `issue`, in English.
    public static func english(_ event: String, _ issue: IssueRecord) -> String {
        let camera = "\(issue.cameraName ?? issue.cameraID) (\(issue.address ?? "-"))"
        let site = issue.site.map { " [\($0)]" } ?? ""
        switch (event, issue.kind) {
        case ("resolved", _): return "[RECOVERED] \(camera)\(site) is back to normal (\(issue.kind.rawValue))."
        case (_, .line): return "[LINE DOWN] \(camera)\(site) does not answer ping — network line team please check (\(issue.reason))"
        case (_, .lineDegraded): return "[LINE DEGRADED] \(camera)\(site) is losing packets — network line team please check (\(issue.reason))"
        case (_, .camera): return "[CAMERA DOWN] \(camera)\(site) stream is broken — camera vendor please check (\(issue.reason))"
        }
    }

    static func kindKorean(_ kind: IssueKind) -> String {
        switch kind {
        case .line: "회선"
        case .lineDegraded: "회선 품질"
        case .camera: "카메라"
        }
    }
}

/// The JSON body of the generic webhook.
public struct WebhookBody: Codable, Sendable, Equatable {
    /// `opened`, `updated` or `resolved`.
    public var event: String
    public var issue: IssueRecord
    public var messageKo: String
    public var messageEn: String
    public var dashboard: String
    /// Unique per delivery: receivers can drop duplicates by it.
    public var deliveryID: String
}
