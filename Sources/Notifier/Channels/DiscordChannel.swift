import Foundation

/// Discord webhook: `{"content": …}` (at most 2000 characters), mentions disabled so an incident
/// text can never ping `@everyone`. Discord answers 204 No Content.
package struct DiscordChannel: DeliveryChannel {
    let poster: HTTPPoster

    package init(poster: HTTPPoster) { self.poster = poster }

    static func payload(_ message: RenderedMessage) -> Data {
        ChannelPayload.json([
            "content": ChannelPayload.truncate("**\(message.title)**\n\(message.plainText)", 2000),
            "allowed_mentions": ["parse": [String]()],
        ])
    }

    package func send(_ payload: Data, via channel: ChannelConfig, deliveryID: String) async -> DeliveryOutcome {
        guard let url = channel.url else { return .failed(status: nil, error: "channel \(channel.id) has no url", permanent: true) }
        return await poster.deliver(payload, to: url)
    }
}
