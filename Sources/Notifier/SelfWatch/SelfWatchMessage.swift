import CCTVContract
import Foundation

/// The self-watch notices' text, Korean and English, and their payload per channel kind.
package enum SelfWatchMessage {
    /// Renders `notice` in `language`; times in `timeZone`.
    package static func render(_ notice: SelfWatchNotice, language: MessageLanguage, dashboard: String, timeZone: TimeZone) -> RenderedMessage {
        let lasted = duration(notice.at.timeIntervalSince(notice.since), language)
        let since = NotificationMessage.format(notice.since, timeZone)
        let lastResult = notice.lastResultAt.map { NotificationMessage.format($0, timeZone) }
        var facts: [(label: String, value: String)] = []
        switch language {
        case .ko:
            facts = [("상태", notice.condition.key), ("시작 시각", since)]
            if let lastResult { facts.append(("마지막 점검 결과", lastResult)) }
            return RenderedMessage(title: koreanTitle(notice), summary: korean(notice, lasted: lasted, lastResult: lastResult), facts: facts, link: dashboard, linkLabel: "대시보드")
        case .en:
            facts = [("Condition", notice.condition.key), ("Since", since)]
            if let lastResult { facts.append(("Last check result", lastResult)) }
            return RenderedMessage(title: englishTitle(notice), summary: english(notice, lasted: lasted, lastResult: lastResult), facts: facts, link: dashboard, linkLabel: "Dashboard")
        }
    }

    static func koreanTitle(_ notice: SelfWatchNotice) -> String {
        switch (notice.kind, notice.condition) {
        case let (.down, .serviceOffline(name)): "[감시 시스템 경고] 서비스 중단: \(name)"
        case let (.back, .serviceOffline(name)): "[감시 시스템 복구] 서비스 재개: \(name)"
        case (.down, .resultsStalled): "[감시 시스템 경고] 카메라 점검 중단"
        case (.back, .resultsStalled): "[감시 시스템 복구] 카메라 점검 재개"
        case (.down, .brokerUnreachable): "[감시 시스템 경고] 메시지 브로커 연결 끊김"
        case (.back, .brokerUnreachable): "[감시 시스템 복구] 메시지 브로커 연결 복구"
        }
    }

    static func englishTitle(_ notice: SelfWatchNotice) -> String {
        switch (notice.kind, notice.condition) {
        case let (.down, .serviceOffline(name)): "[Monitor alert] Service offline: \(name)"
        case let (.back, .serviceOffline(name)): "[Monitor recovered] Service back: \(name)"
        case (.down, .resultsStalled): "[Monitor alert] Camera checks stalled"
        case (.back, .resultsStalled): "[Monitor recovered] Camera checks resumed"
        case (.down, .brokerUnreachable): "[Monitor alert] Message broker unreachable"
        case (.back, .brokerUnreachable): "[Monitor recovered] Message broker reachable again"
        }
    }

    static func korean(_ notice: SelfWatchNotice, lasted: String, lastResult: String?) -> String {
        switch (notice.kind, notice.condition) {
        case let (.down, .serviceOffline(name)):
            "CCTV Out의 \(name) 서비스가 \(lasted)째 중단되어 있습니다. 복구될 때까지 카메라 장애가 감지되거나 알려지지 않을 수 있습니다."
        case let (.back, .serviceOffline(name)): "CCTV Out의 \(name) 서비스가 다시 동작합니다 (중단 \(lasted))."
        case (.down, .resultsStalled):
            "카메라 점검 결과가 \(lastResult.map { "\($0) 이후" } ?? "시작 이후") 들어오지 않습니다 (\(lasted)). 그동안 카메라 장애를 감지할 수 없습니다."
        case (.back, .resultsStalled): "카메라 점검 결과가 다시 들어옵니다 (중단 \(lasted))."
        case (.down, .brokerUnreachable):
            "알림 서비스가 \(lasted)째 메시지 브로커(MQTT)에 연결하지 못합니다. 점검과 장애 판단이 멈췄을 수 있습니다."
        case (.back, .brokerUnreachable): "메시지 브로커(MQTT) 연결이 복구되었습니다 (중단 \(lasted))."
        }
    }

    static func english(_ notice: SelfWatchNotice, lasted: String, lastResult: String?) -> String {
        switch (notice.kind, notice.condition) {
        case let (.down, .serviceOffline(name)):
            "CCTV Out's \(name) service has been offline for \(lasted). Until it is back, camera failures may go undetected or unannounced."
        case let (.back, .serviceOffline(name)): "CCTV Out's \(name) service is back online (down \(lasted))."
        case (.down, .resultsStalled):
            "No camera check results have arrived \(lastResult.map { "since \($0)" } ?? "since start") (\(lasted)). Camera failures cannot be detected meanwhile."
        case (.back, .resultsStalled): "Camera check results are arriving again (stalled \(lasted))."
        case (.down, .brokerUnreachable):
            "The notifier has not reached the message broker (MQTT) for \(lasted). Checks and incident decisions may have stopped."
        case (.back, .brokerUnreachable): "The message broker (MQTT) is reachable again (down \(lasted))."
        }
    }

    /// `3 min 20 s` / `3분 20초`.
    static func duration(_ seconds: TimeInterval, _ language: MessageLanguage) -> String {
        let total = max(0, Int(seconds.rounded()))
        let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60)
        switch language {
        case .ko:
            if h > 0 { return "\(h)시간 \(m)분" }
            return m > 0 ? "\(m)분 \(s)초" : "\(s)초"
        case .en:
            if h > 0 { return "\(h) h \(m) min" }
            return m > 0 ? "\(m) min \(s) s" : "\(s) s"
        }
    }

    /// The generic webhook's body for a notice.
    package struct WebhookBody: Codable, Sendable, Equatable {
        /// `monitor_down` or `monitor_back`.
        package var event: String
        /// `service_offline:<name>`, `results_stalled` or `broker_unreachable`.
        package var condition: String
        package var since: Date
        package var at: Date
        package var lastResultAt: Date?
        package var team: String
        package var channel: String
        package var title: String
        package var message: String
        package var messageKo: String
        package var messageEn: String
        package var dashboard: String
        package var deliveryID: String
    }

    /// The exact bytes one recipient's channel sends for `notice`.
    static func payload(_ notice: SelfWatchNotice, for recipient: Recipient, dashboard: String, timeZone: TimeZone, deliveryID: String, now: Date) -> Data {
        let message = render(notice, language: recipient.team.language, dashboard: dashboard, timeZone: timeZone)
        return ChannelPayload.render(message, for: recipient, deliveryID: deliveryID, now: now) {
            let ko = render(notice, language: .ko, dashboard: dashboard, timeZone: timeZone)
            let en = render(notice, language: .en, dashboard: dashboard, timeZone: timeZone)
            let body = WebhookBody(event: notice.event, condition: notice.condition.key, since: notice.since, at: notice.at, lastResultAt: notice.lastResultAt,
                                   team: recipient.team.id, channel: recipient.channel.id, title: message.title, message: message.plainText,
                                   messageKo: ko.summary, messageEn: en.summary, dashboard: dashboard, deliveryID: deliveryID)
            return (try? ContractCodec.encodeValue(body)) ?? Data("{}".utf8)
        }
    }
}
