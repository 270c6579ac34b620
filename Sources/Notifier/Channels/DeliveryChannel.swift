import CCTVContract
import Foundation

/// The outcome of one delivery attempt.
package enum DeliveryOutcome: Sendable, Equatable {
    /// Accepted by the endpoint; `status` is the HTTP status or the SMTP reply code.
    case delivered(status: Int?)
    /// Not accepted. `permanent` = retrying cannot help (e.g. HTTP 400/404, SMTP 550).
    case failed(status: Int?, error: String, permanent: Bool)
}

/// Sends a prepared payload through one kind of channel. One adapter per kind, one file each.
package protocol DeliveryChannel: Sendable {
    /// Sends `payload` (rendered by ``ChannelPayload/render(_:event:issue:dashboard:timeZone:deliveryID:now:)``)
    /// through `channel`. Never throws: every problem is an outcome, bounded in time.
    func send(_ payload: Data, via channel: ChannelConfig, deliveryID: String) async -> DeliveryOutcome
}

/// Renders what is stored in the outbox for one recipient: the exact bytes the channel sends,
/// so a retry sends the same thing and the history shows what went out.
package enum ChannelPayload {
    /// The payload for `recipient` about `event` on `issue` (with what changed, for an update), in
    /// the recipient team's language.
    package static func render(_ recipient: Recipient, event: NotificationEvent, issue: IssueRecord, change: NotificationChange? = nil, dashboard: String,
                              timeZone: TimeZone, deliveryID: String, now: Date = Date()) -> Data {
        let message = NotificationMessage.render(event, issue, change: change, language: recipient.team.language, dashboard: dashboard, timeZone: timeZone)
        return render(message, for: recipient, deliveryID: deliveryID, now: now) {
            WebhookChannel.payload(event: event, issue: issue, change: change, message: message, recipient: recipient, dashboard: dashboard, deliveryID: deliveryID)
        }
    }

    /// `message` as `recipient`'s kind of channel sends it; the generic webhook's JSON body,
    /// which differs per kind of notice, comes from `webhook`.
    static func render(_ message: RenderedMessage, for recipient: Recipient, deliveryID: String, now: Date, webhook: () -> Data) -> Data {
        switch recipient.channel.type {
        case .webhook: return webhook()
        case .slack: return SlackChannel.payload(message)
        case .teams: return TeamsChannel.payload(message, format: recipient.channel.format ?? "adaptive")
        case .telegram: return TelegramChannel.payload(message, chatID: recipient.channel.chatID ?? "")
        case .discord: return DiscordChannel.payload(message)
        case .email: return EmailChannel.payload(message, channel: recipient.channel, deliveryID: deliveryID, date: now)
        }
    }

    /// JSON bytes of a value tree built from dictionaries, arrays and strings (sorted keys, so a
    /// payload is reproducible and tests can compare it).
    static func json(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }

    /// `text` cut to at most `limit` characters, marking the cut; services reject longer fields.
    static func truncate(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }
}
