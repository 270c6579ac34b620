import CCTVContract
import Foundation

/// The generic webhook: the full incident as JSON, signed when the channel has a secret.
///
/// Signature: `X-CCTVOut-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with
/// `X-CCTVOut-Timestamp: <unix seconds>`. The timestamp is inside the signed bytes, so a receiver
/// that refuses timestamps older than a few minutes cannot be fed a captured request again
/// (the scheme Stripe and Slack use). `X-CCTVOut-Delivery` and `Idempotency-Key` carry the delivery id:
/// one per (event, channel), unchanged by retries and failovers, for the receiver to dedupe by.
package struct WebhookChannel: DeliveryChannel {
    let poster: HTTPPoster
    let clock: @Sendable () -> Date

    package init(poster: HTTPPoster, clock: @escaping @Sendable () -> Date = Date.init) {
        self.poster = poster
        self.clock = clock
    }

    /// The JSON body of the generic webhook.
    package struct Body: Codable, Sendable, Equatable {
        /// `opened`, `updated`, `resolved`, `escalated` or `reminder`.
        package var event: String
        package var issue: IssueRecord
        package var team: String
        package var channel: String
        /// Title and text in the team's language.
        package var title: String
        package var message: String
        package var messageKo: String
        package var messageEn: String
        package var link: String
        /// The evidence of a PICTURE incident: its camera's newest kept frame (signed-in users only).
        package var snapshot: String?
        package var dashboard: String
        /// Unique per delivery: receivers can drop duplicates by it.
        package var deliveryID: String
    }

    static func payload(event: NotificationEvent, issue: IssueRecord, change: NotificationChange?, message: RenderedMessage, recipient: Recipient,
                        dashboard: String, deliveryID: String) -> Data {
        let body = Body(event: event.rawValue, issue: issue, team: recipient.team.id, channel: recipient.channel.id, title: message.title,
                        message: message.plainText, messageKo: NotificationMessage.korean(event, issue, change: change),
                        messageEn: NotificationMessage.english(event, issue, change: change),
                        link: message.link, snapshot: NotificationMessage.snapshotLink(dashboard, issue: issue, event: event),
                        dashboard: dashboard, deliveryID: deliveryID)
        return (try? ContractCodec.encodeValue(body)) ?? Data("{}".utf8)
    }

    /// The signature header value for `body` sent at `timestamp`.
    package static func signature(secret: String, timestamp: String, body: Data) -> String {
        "sha256=" + hexString(hmacSHA256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + Array(body)))
    }

    package func send(_ payload: Data, via channel: ChannelConfig, deliveryID: String) async -> DeliveryOutcome {
        guard let url = channel.url else { return .failed(status: nil, error: "channel \(channel.id) has no url", permanent: true) }
        let timestamp = String(Int(clock().timeIntervalSince1970))
        // The delivery id is one per (event, channel), the same on every retry and on whichever
        // notifier instance sends it: after a failover the same notice may arrive twice, with the
        // same key, for the receiver to drop.
        var headers = [("X-CCTVOut-Delivery", deliveryID), ("Idempotency-Key", deliveryID), ("X-CCTVOut-Timestamp", timestamp)]
        if let secret = channel.secret {
            headers.append(("X-CCTVOut-Signature", Self.signature(secret: secret, timestamp: timestamp, body: payload)))
        }
        return await poster.deliver(payload, to: url, headers: headers)
    }
}
