import Foundation

/// Telegram Bot API: `POST {apiBase}/bot<token>/sendMessage` with `{"chat_id", "text"}`. Telegram
/// answers `{"ok": true, …}`; `{"ok": false, "error_code": 400, "description": …}` otherwise.
/// `apiBase` is configurable (default `https://api.telegram.org`) for a local Bot API server or tests.
package struct TelegramChannel: DeliveryChannel {
    let poster: HTTPPoster

    package init(poster: HTTPPoster) { self.poster = poster }

    /// Telegram's limit for a message text is 4096 characters.
    static func payload(_ message: RenderedMessage, chatID: String) -> Data {
        ChannelPayload.json([
            "chat_id": chatID,
            "text": ChannelPayload.truncate("\(message.title)\n\n\(message.plainText)", 4096),
            "disable_web_page_preview": true,
        ])
    }

    /// The sendMessage URL. The token is part of the path, so this URL is never logged or published.
    static func endpoint(_ channel: ChannelConfig) -> String {
        var base = channel.apiBase ?? "https://api.telegram.org"
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/bot\(channel.token ?? "")/sendMessage"
    }

    package func send(_ payload: Data, via channel: ChannelConfig, deliveryID: String) async -> DeliveryOutcome {
        do {
            let response = try await poster.post(payload, to: Self.endpoint(channel))
            let answer = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
            if (200..<300).contains(response.status), answer?["ok"] as? Bool == true { return .delivered(status: response.status) }
            let description = (answer?["description"] as? String).map { String($0.prefix(200)) } ?? "no ok:true in the answer"
            let permanent = (400..<500).contains(response.status) && response.status != 429
            return .failed(status: response.status, error: "Telegram \(response.status): \(description)", permanent: permanent)
        } catch let refused as HTTPPoster.RefusedURL {
            // A redirect's Location is the receiver's text, not the token-carrying request URL.
            return .failed(status: refused.status, error: "Telegram: " + refused.description, permanent: true)
        } catch {
            // The error text can contain the URL, and with it the token: keep only its type.
            return .failed(status: nil, error: "Telegram unreachable: \(type(of: error))", permanent: false)
        }
    }
}
