import Foundation

/// Slack incoming webhook: `{"text": …, "blocks": […]}` (Block Kit). `text` is the notification
/// fallback Slack shows where blocks cannot be; Slack answers `200 ok`.
package struct SlackChannel: DeliveryChannel {
    let poster: HTTPPoster

    package init(poster: HTTPPoster) { self.poster = poster }

    /// Slack's limits: header text 150 characters, a section field 2000, at most 10 fields.
    static func payload(_ message: RenderedMessage) -> Data {
        let fields = message.facts.prefix(10).map { fact -> [String: Any] in
            ["type": "mrkdwn", "text": ChannelPayload.truncate("*\(escape(fact.label))*\n\(escape(fact.value))", 2000)]
        }
        let blocks: [[String: Any]] = [
            ["type": "header", "text": ["type": "plain_text", "text": ChannelPayload.truncate(message.title, 150), "emoji": true]],
            ["type": "section", "text": ["type": "mrkdwn", "text": ChannelPayload.truncate(escape(message.summary), 3000)]],
            ["type": "section", "fields": fields],
            ["type": "section", "text": ["type": "mrkdwn", "text": "<\(message.link)|\(escape(message.linkLabel))>"]],
        ]
        return ChannelPayload.json(["text": ChannelPayload.truncate("\(message.title): \(message.summary)", 3000), "blocks": blocks])
    }

    /// Slack mrkdwn needs only these three escaped.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    package func send(_ payload: Data, via channel: ChannelConfig, deliveryID: String) async -> DeliveryOutcome {
        guard let url = channel.url else { return .failed(status: nil, error: "channel \(channel.id) has no url", permanent: true) }
        return await poster.deliver(payload, to: url)
    }
}
