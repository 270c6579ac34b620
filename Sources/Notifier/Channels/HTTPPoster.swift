import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// POSTs JSON over HTTP(S). The only code in the notifier that touches AsyncHTTPClient; every HTTP
/// channel (webhook, Slack, Teams, Telegram, Discord) goes through it.
public struct HTTPPoster: Sendable {
    /// A response, with at most ``maxResponseBytes`` of its body read.
    public struct Response: Sendable {
        public var status: Int
        public var body: Data
    }

    /// Responses are only inspected for a status word (`ok`): more is never read, so a misbehaving
    /// endpoint cannot hold memory.
    public static let maxResponseBytes = 64 * 1024

    let client: HTTPClient
    let timeout: TimeAmount

    public init(client: HTTPClient, timeoutSeconds: Int) {
        self.client = client
        self.timeout = .seconds(Int64(timeoutSeconds))
    }

    /// POSTs `body` to `url` with `headers` (plus JSON content type and user agent).
    public func post(_ body: Data, to url: String, headers: [(String, String)] = []) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "cctv-out-notifier")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: timeout)
        var collected = Data()
        for try await chunk in response.body {
            let room = Self.maxResponseBytes - collected.count
            if room <= 0 { break }
            collected.append(contentsOf: chunk.readableBytesView.prefix(room))
        }
        return Response(status: Int(response.status.code), body: collected)
    }

    /// The usual reading of an HTTP status: 2xx delivered; 4xx other than 408/429 permanent
    /// (the request itself is wrong: bad URL, revoked hook); anything else worth retrying.
    public static func outcome(status: Int, body: Data) -> DeliveryOutcome {
        if (200..<300).contains(status) { return .delivered(status: status) }
        let permanent = (400..<500).contains(status) && status != 408 && status != 429
        let detail = String(decoding: body.prefix(200), as: UTF8.self).filter { !$0.isNewline }
        return .failed(status: status, error: "HTTP \(status)" + (detail.isEmpty ? "" : ": \(detail)"), permanent: permanent)
    }

    /// Keeps the start of the endpoint's answer for a test send (`cctv-out notify test`, the
    /// dashboard's "send test"): set around a send, every channel's POST reports into it.
    public final class AnswerRecorder: Sendable {
        let text = Mutex<String?>(nil)
        public init() {}
        /// The first 500 characters of the last answer, if any.
        public var answer: String? { text.withLock { $0 } }
    }
    @TaskLocal public static var recorder: AnswerRecorder?

    /// POSTs and reads the status; a transport error (refused, timeout, TLS) is a transient failure.
    public func deliver(_ body: Data, to url: String, headers: [(String, String)] = []) async -> DeliveryOutcome {
        do {
            let response = try await post(body, to: url, headers: headers)
            Self.recorder?.text.withLock { $0 = String(String(decoding: response.body.prefix(2048), as: UTF8.self).prefix(500)) }
            return Self.outcome(status: response.status, body: response.body)
        } catch {
            return .failed(status: nil, error: String("\(error)".prefix(300)), permanent: false)
        }
    }
}
