import Foundation

/// Microsoft Teams incoming webhook. `adaptive` (default): a message with one Adaptive Card 1.4
/// attachment, what Teams Workflows ("Post to a channel when a webhook request is received")
/// accept; `messagecard`: the legacy Office 365 connector card. Teams answers 200 or 202.
package struct TeamsChannel: DeliveryChannel {
    let poster: HTTPPoster

    package init(poster: HTTPPoster) { self.poster = poster }

    static func payload(_ message: RenderedMessage, format: String) -> Data {
        if format == "messagecard" {
            return ChannelPayload.json([
                "@type": "MessageCard",
                "@context": "https://schema.org/extensions",
                "summary": message.title,
                "themeColor": "D7000F",
                "title": message.title,
                "text": message.summary,
                "sections": [["facts": message.facts.map { ["name": $0.label, "value": $0.value] }]],
                "potentialAction": [["@type": "OpenUri", "name": message.linkLabel, "targets": [["os": "default", "uri": message.link]]]],
            ])
        }
        let card: [String: Any] = [
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                ["type": "TextBlock", "text": message.title, "weight": "Bolder", "size": "Medium", "wrap": true],
                ["type": "TextBlock", "text": message.summary, "wrap": true],
                ["type": "FactSet", "facts": message.facts.map { ["title": $0.label, "value": $0.value] }],
            ],
            "actions": [["type": "Action.OpenUrl", "title": message.linkLabel, "url": message.link]],
        ]
        return ChannelPayload.json([
            "type": "message",
            "attachments": [["contentType": "application/vnd.microsoft.card.adaptive", "content": card]],
        ])
    }

    package func send(_ payload: Data, via channel: ChannelConfig, deliveryID: String) async -> DeliveryOutcome {
        guard let url = channel.url else { return .failed(status: nil, error: "channel \(channel.id) has no url", permanent: true) }
        return await poster.deliver(payload, to: url)
    }
}
