import AsyncHTTPClient
import CCTVContract
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// POSTs JSON over HTTP(S). The only code in the notifier that touches AsyncHTTPClient; every HTTP
/// channel (webhook, Slack, Teams, Telegram, Discord) goes through it.
package struct HTTPPoster: Sendable {
    /// A response, with at most ``maxResponseBytes`` of its body read.
    package struct Response: Sendable {
        package var status: Int
        package var body: Data
    }

    /// Responses are only inspected for a status word (`ok`): more is never read, so a misbehaving
    /// endpoint cannot hold memory.
    package static let maxResponseBytes = 64 * 1024

    let client: HTTPClient
    let timeout: TimeAmount

    package init(client: HTTPClient, timeoutSeconds: Int) {
        self.client = client
        self.timeout = .seconds(Int64(timeoutSeconds))
    }

    /// Redirects followed (307/308 only) before a delivery fails.
    package static let maxRedirects = 5

    /// A URL the poster refuses to request (a contacts entry, or a receiver's redirect): the
    /// delivery fails with this reason instead of reaching AsyncHTTPClient, which traps on a
    /// port above 65535 and took the whole process down on every retry of the pending delivery.
    package struct RefusedURL: Error, Sendable, CustomStringConvertible {
        /// The redirect's status, or `nil` for the configured URL itself.
        package var status: Int?
        package var description: String
    }

    /// The HTTP client every HTTP channel shares. It never follows redirects itself: the poster
    /// does, so each `Location` is validated first (see ``RefusedURL``).
    package static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// POSTs `body` to `url` with `headers` (plus JSON content type and user agent). A 307/308
    /// redirect is followed with the same POST (at most ``maxRedirects``); 301/302/303 would
    /// turn the POST into a GET that delivers nothing, so they are answered as they are.
    /// - Throws: ``RefusedURL`` for a URL that is not http(s) with a port from 1 to 65535.
    package func post(_ body: Data, to url: String, headers: [(String, String)] = []) async throws -> Response {
        var target = try Self.validated(url, status: nil)
        var visited: Set<String> = [target.url.absoluteString]
        while true {
            var request = HTTPClientRequest(url: target.url.absoluteString)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.headers.add(name: "User-Agent", value: "cctv-out-notifier")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await client.execute(request, timeout: timeout)
            let status = Int(response.status.code)
            var collected = Data()
            for try await chunk in response.body {
                let room = Self.maxResponseBytes - collected.count
                if room <= 0 { break }
                collected.append(contentsOf: chunk.readableBytesView.prefix(room))
            }
            guard status == 307 || status == 308, let location = response.headers.first(name: "Location") else {
                return Response(status: status, body: collected)
            }
            guard let next = URL(string: location, relativeTo: target.url)?.absoluteURL else {
                throw RefusedURL(status: status, description: "bad_url: redirect (HTTP \(status)) to an invalid location")
            }
            target = try Self.validated(next.absoluteString, status: status)
            guard visited.insert(target.url.absoluteString).inserted, visited.count <= Self.maxRedirects + 1 else {
                throw RefusedURL(status: status, description: "redirect_loop: more than \(Self.maxRedirects) redirects or a loop (last HTTP \(status) to \(target.host))")
            }
        }
    }

    static func validated(_ url: String, status: Int?) throws -> EndpointURL {
        do {
            return try EndpointURL(validating: url, schemes: EndpointURL.web)
        } catch {
            // Host only: a webhook URL's path is often its secret (Slack, Discord, Telegram's token).
            let host = URLComponents(string: url)?.host.map { " on \($0.prefix(100))" } ?? ""
            let what = status.map { "redirect (HTTP \($0)) to a URL\(host) that" } ?? "the URL\(host)"
            throw RefusedURL(status: status, description: "bad_url: \(what) \(error)")
        }
    }

    /// The usual reading of an HTTP status: 2xx delivered; 4xx other than 408/429 permanent
    /// (the request itself is wrong: bad URL, revoked hook); anything else worth retrying.
    package static func outcome(status: Int, body: Data) -> DeliveryOutcome {
        if (200..<300).contains(status) { return .delivered(status: status) }
        let permanent = (400..<500).contains(status) && status != 408 && status != 429
        let detail = String(decoding: body.prefix(200), as: UTF8.self).filter { !$0.isNewline }
        return .failed(status: status, error: "HTTP \(status)" + (detail.isEmpty ? "" : ": \(detail)"), permanent: permanent)
    }

    /// Keeps the start of the endpoint's answer for a test send (`cctv-out notify test`, the
    /// dashboard's "send test"): set around a send, every channel's POST reports into it.
    package final class AnswerRecorder: Sendable {
        let text = Mutex<String?>(nil)
        package init() {}
        /// The first 500 characters of the last answer, if any.
        package var answer: String? { text.withLock { $0 } }
    }
    @TaskLocal package static var recorder: AnswerRecorder?

    /// POSTs and reads the status; a transport error (refused, timeout, TLS) is a transient failure.
    package func deliver(_ body: Data, to url: String, headers: [(String, String)] = []) async -> DeliveryOutcome {
        do {
            let response = try await post(body, to: url, headers: headers)
            Self.recorder?.text.withLock { $0 = String(String(decoding: response.body.prefix(2048), as: UTF8.self).prefix(500)) }
            return Self.outcome(status: response.status, body: response.body)
        } catch let refused as RefusedURL {
            // Retrying cannot fix a URL: the contacts file or the receiver must change.
            return .failed(status: refused.status, error: refused.description, permanent: true)
        } catch {
            return .failed(status: nil, error: String("\(error)".prefix(300)), permanent: false)
        }
    }
}
