import CCTVContract
import Foundation

/// The camera notices' text, Korean and English, and their payload per channel kind.
package enum CameraNoticeMessage {
    /// Renders `notice` in `language`; times in `timeZone`.
    package static func render(_ notice: CameraNotice, language: MessageLanguage, dashboard: String, timeZone: TimeZone) -> RenderedMessage {
        let camera = notice.camera
        let link = NotificationMessage.origin(dashboard) + "/#camera=" + NotificationMessage.part(camera.id)
        let at = NotificationMessage.format(notice.at, timeZone)
        var facts: [(label: String, value: String)]
        switch language {
        case .ko:
            facts = [("카메라", who(notice)), ("현장", camera.site ?? "-"), ("확인 시각", at)]
            if let skew = notice.skewSeconds { facts.append(("시계 오차", "\(seconds(skew))초 (허용 \(seconds(notice.limitSeconds ?? 0, signed: false))초)")) }
            if notice.subject == .clockFixed, let since = notice.since { facts.append(("오차 시작", NotificationMessage.format(since, timeZone))) }
            if let previous = notice.previous, let current = notice.current {
                facts.append(("이전 장치", device(previous))); facts.append(("현재 장치", device(current)))
            }
            if let topic = notice.eventTopic { facts.append(("ONVIF 이벤트", [topic, notice.eventSource].compactMap { $0 }.joined(separator: ", "))) }
            if notice.subject.condition == .ends, notice.eventTopic != nil, let since = notice.since { facts.append(("시작 시각", NotificationMessage.format(since, timeZone))) }
            return RenderedMessage(title: koreanTitle(notice.subject), summary: korean(notice), facts: facts, link: link, linkLabel: "대시보드")
        case .en:
            facts = [("Camera", who(notice)), ("Site", camera.site ?? "-"), ("Seen", at)]
            if let skew = notice.skewSeconds { facts.append(("Clock offset", "\(seconds(skew)) s (limit \(seconds(notice.limitSeconds ?? 0, signed: false)) s)")) }
            if notice.subject == .clockFixed, let since = notice.since { facts.append(("Off since", NotificationMessage.format(since, timeZone))) }
            if let previous = notice.previous, let current = notice.current {
                facts.append(("Was", device(previous))); facts.append(("Now", device(current)))
            }
            if let topic = notice.eventTopic { facts.append(("ONVIF event", [topic, notice.eventSource].compactMap { $0 }.joined(separator: ", "))) }
            if notice.subject.condition == .ends, notice.eventTopic != nil, let since = notice.since { facts.append(("Since", NotificationMessage.format(since, timeZone))) }
            return RenderedMessage(title: englishTitle(notice.subject), summary: english(notice), facts: facts, link: link, linkLabel: "Dashboard")
        }
    }

    static func koreanTitle(_ subject: CameraNotice.Subject) -> String {
        switch subject {
        case .clockSkewed: "카메라 시계 오차"
        case .clockFixed: "카메라 시계 정상화"
        case .deviceReplaced: "카메라 교체 감지"
        case .firmwareChanged: "카메라 펌웨어 변경"
        case .signalLost: "영상 신호 끊김"
        case .signalBack: "영상 신호 복구"
        case .tampered: "카메라 훼손 감지"
        case .tamperCleared: "카메라 훼손 감지 해제"
        }
    }

    static func englishTitle(_ subject: CameraNotice.Subject) -> String {
        switch subject {
        case .clockSkewed: "Camera clock off"
        case .clockFixed: "Camera clock right again"
        case .deviceReplaced: "Camera replaced"
        case .firmwareChanged: "Camera firmware changed"
        case .signalLost: "Video signal lost"
        case .signalBack: "Video signal back"
        case .tampered: "Camera tampered with"
        case .tamperCleared: "Tampering over"
        }
    }

    /// One line, in Korean.
    package static func korean(_ notice: CameraNotice) -> String {
        let who = who(notice) + (notice.camera.site.map { " [\($0)]" } ?? "")
        let skew = seconds(notice.skewSeconds ?? 0)
        switch notice.subject {
        case .clockSkewed:
            return "[카메라 시계 오차] \(who) 카메라 시계가 \(skew)초 어긋나 있습니다 (허용 \(seconds(notice.limitSeconds ?? 0, signed: false))초) — 녹화 영상의 시각이 틀립니다. 카메라 업체는 시간 동기화(NTP) 설정을 확인하세요."
        case .clockFixed:
            return "[카메라 시계 정상화] \(who) 카메라 시계 오차가 해소되었습니다 (현재 \(skew)초)."
        case .deviceReplaced:
            return "[카메라 교체 감지] \(who) 주소에서 다른 장치가 응답합니다 (일련번호 \(notice.previous?.serial ?? "-") → \(notice.current?.serial ?? "-")) — 계획된 교체인지 확인하세요."
        case .firmwareChanged:
            return "[카메라 펌웨어 변경] \(who) 펌웨어가 바뀌었습니다 (\(notice.previous?.firmware ?? "-") → \(notice.current?.firmware ?? "-")) — 계획된 업데이트인지 확인하세요."
        case .signalLost:
            return "[영상 신호 끊김] \(who) 카메라가 영상 신호 손실을 알렸습니다 (ONVIF SignalLoss) — 카메라 업체 확인 요망."
        case .signalBack:
            return "[영상 신호 복구] \(who) 영상 신호가 돌아왔습니다."
        case .tampered:
            return "[카메라 훼손 감지] \(who) 카메라가 가림·방향 변경 등 훼손을 감지했습니다 (ONVIF Tamper) — 현장 확인 요망."
        case .tamperCleared:
            return "[카메라 훼손 감지 해제] \(who) 훼손 감지가 해제되었습니다."
        }
    }

    /// One line, in English.
    package static func english(_ notice: CameraNotice) -> String {
        let who = who(notice) + (notice.camera.site.map { " [\($0)]" } ?? "")
        let skew = seconds(notice.skewSeconds ?? 0)
        switch notice.subject {
        case .clockSkewed:
            return "[CAMERA CLOCK OFF] \(who): its clock is \(skew) s off (limit \(seconds(notice.limitSeconds ?? 0, signed: false)) s) — recorded timestamps are wrong; camera vendor please check its time sync (NTP)."
        case .clockFixed:
            return "[CAMERA CLOCK FIXED] \(who): its clock is right again (now \(skew) s)."
        case .deviceReplaced:
            return "[CAMERA REPLACED] \(who): another device answers at its address (serial \(notice.previous?.serial ?? "-") → \(notice.current?.serial ?? "-")) — please confirm the replacement was planned."
        case .firmwareChanged:
            return "[FIRMWARE CHANGED] \(who): firmware \(notice.previous?.firmware ?? "-") → \(notice.current?.firmware ?? "-") — please confirm the update was planned."
        case .signalLost:
            return "[VIDEO SIGNAL LOST] \(who) reports its video signal lost (ONVIF SignalLoss) — camera vendor please check."
        case .signalBack:
            return "[VIDEO SIGNAL BACK] \(who): its video signal is back."
        case .tampered:
            return "[CAMERA TAMPERED] \(who) reports tampering (covered, turned, defocused: ONVIF Tamper) — please check on site."
        case .tamperCleared:
            return "[TAMPERING OVER] \(who) no longer reports tampering."
        }
    }

    /// `정문 (10.0.0.1)`.
    static func who(_ notice: CameraNotice) -> String {
        "\(notice.camera.name ?? notice.camera.id) (\(notice.camera.address ?? "-"))"
    }

    /// `+420` / `-3.5`: whole seconds unless small.
    static func seconds(_ value: Double, signed: Bool = true) -> String {
        let text = abs(value) >= 10 ? String(format: "%.0f", value) : String(format: "%.1f", value)
        return signed && value >= 0 ? "+" + text : text
    }

    /// `HANWHA XNO-6080R, firmware 2.1, serial SN-1`.
    static func device(_ device: CameraDevice) -> String {
        let model = [device.manufacturer, device.model].compactMap { $0 }.joined(separator: " ")
        return [model.isEmpty ? nil : model, device.firmware.map { "firmware \($0)" }, device.serial.map { "serial \($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
    }

    /// The generic webhook's body for a camera notice.
    package struct WebhookBody: Codable, Sendable, Equatable {
        /// `clock_skewed`, `clock_fixed`, `device_replaced`, `firmware_changed`, `signal_lost`,
        /// `signal_back`, `tampered` or `tamper_cleared`.
        package var event: String
        package var cameraID: String
        package var cameraName: String?
        package var address: String?
        package var site: String?
        package var at: Date
        package var since: Date?
        package var clockSkewSeconds: Double?
        package var clockSkewLimitSeconds: Double?
        package var previous: CameraDevice?
        package var current: CameraDevice?
        /// Events: the ONVIF topic and source.
        package var topic: String?
        package var source: String?
        package var team: String
        package var channel: String
        package var title: String
        package var message: String
        package var messageKo: String
        package var messageEn: String
        package var link: String
        package var dashboard: String
        package var deliveryID: String
    }

    /// The exact bytes one recipient's channel sends for `notice`.
    static func payload(_ notice: CameraNotice, for recipient: Recipient, dashboard: String, timeZone: TimeZone, deliveryID: String, now: Date) -> Data {
        let message = render(notice, language: recipient.team.language, dashboard: dashboard, timeZone: timeZone)
        return ChannelPayload.render(message, for: recipient, deliveryID: deliveryID, now: now) {
            let camera = notice.camera
            let body = WebhookBody(event: notice.subject.rawValue, cameraID: camera.id, cameraName: camera.name, address: camera.address, site: camera.site,
                                   at: notice.at, since: notice.since, clockSkewSeconds: notice.skewSeconds, clockSkewLimitSeconds: notice.limitSeconds,
                                   previous: notice.previous, current: notice.current, topic: notice.eventTopic, source: notice.eventSource, team: recipient.team.id, channel: recipient.channel.id,
                                   title: message.title, message: message.plainText, messageKo: korean(notice), messageEn: english(notice),
                                   link: message.link, dashboard: dashboard, deliveryID: deliveryID)
            return (try? ContractCodec.encodeValue(body)) ?? Data("{}".utf8)
        }
    }
}
