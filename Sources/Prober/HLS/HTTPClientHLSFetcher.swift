import AsyncHTTPClient
import CCTVContract
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceRuntime

/// The HLS fetch adapter over AsyncHTTPClient — the only prober code that touches it.
///
/// Redirects and authentication are handled here rather than by the client so the limit, loop
/// detection and the single credentials retry stay under the check's deadline, and so
/// credentials are never sent to a host the camera redirected to without asking.
package final class HTTPClientHLSFetcher: HLSFetching {
    let client: HTTPClient
    let userAgent = "cctv-out-prober/1"
    /// Where a request may go: checked before the first request and before following each redirect.
    let destinations: DestinationPolicy

    /// - Parameter connectionsPerHost: HTTP/1.1 connections kept per host. Cameras behind one
    ///   NVR share a host, so this bounds how many of their checks run at once; set it to the
    ///   HLS concurrency so the pool never queues a check behind another.
    /// - Parameter destinations: addresses refused (link-local and cloud metadata unless allowed).
    package init(connectionsPerHost: Int = 64, destinations: DestinationPolicy = DestinationPolicy()) {
        self.destinations = destinations
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        // A camera that cannot complete a TCP handshake in 3 s is unreachable; waiting out the
        // whole check budget for it would only hold a check slot longer.
        configuration.timeout = .init(connect: .seconds(3))
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connectionsPerHost))
        // A refused connection must fail at once, not be retried until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    // Not `syncShutdown`: it blocks, and traps when the last reference drops on an event loop.
    deinit { client.shutdown(queue: .global()) { _ in } }

    /// Closes pooled connections; call before dropping the last reference in async code.
    package func shutdown() async { try? await client.shutdown() }

    package func fetch(_ request: HLSFetchRequest) async -> HLSFetchOutcome {
        let started = ContinuousClock.now
        guard request.deadline > started else { return .failure(.timeout) }
        do {
            let response = try await withThrowingTaskGroup(of: HLSFetchResponse?.self) { group in
                group.addTask { try await self.exchange(request, started: started) }
                group.addTask {
                    // The client's own deadline covers the head; this also covers a dripping body.
                    try await Task.sleep(until: request.deadline, clock: .continuous)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            guard let response else { return .failure(.timeout) }
            return .response(response)
        } catch let failure as HLSFetchFailure {
            return .failure(failure)
        } catch {
            return .failure(Self.classify(error))
        }
    }

    private func exchange(_ request: HLSFetchRequest, started: ContinuousClock.Instant) async throws -> HLSFetchResponse {
        var url = request.url
        var visited: Set<String> = [url.absoluteString]
        var redirects = 0
        var authorization: String?
        var answeredChallenge = false
        _ = try Self.endpoint(url)
        while true {
            try await checkDestination(url)
            var outgoing = HTTPClientRequest(url: url.absoluteString)
            outgoing.method = HTTPMethod(rawValue: request.method)
            outgoing.headers.add(name: "User-Agent", value: userAgent)
            if let body = request.body {
                outgoing.body = .bytes(ByteBuffer(bytes: body))
                if let contentType = request.contentType { outgoing.headers.add(name: "Content-Type", value: contentType) }
            }
            if let range = request.byteRange { outgoing.headers.add(name: "Range", value: "bytes=\(range.lowerBound)-\(range.upperBound)") }
            if let authorization { outgoing.headers.add(name: "Authorization", value: authorization) }
            let remaining = request.deadline - ContinuousClock.now
            guard remaining > .zero else { throw HLSFetchFailure.timeout }
            let response = try await client.execute(outgoing, deadline: .now() + .nanoseconds(Self.nanoseconds(remaining)))
            let status = Int(response.status.code)

            if [301, 302, 303, 307, 308].contains(status), let location = response.headers.first(name: "Location") {
                _ = try await Self.read(response.body, maxBytes: 16 << 10, overflow: .truncate)
                guard let next = URL(string: location, relativeTo: url)?.absoluteURL else {
                    throw HLSFetchFailure.badURL("redirect to an invalid location")
                }
                _ = try Self.endpoint(next, what: "redirect to")
                guard !visited.contains(next.absoluteString) else { throw HLSFetchFailure.redirectLoop }
                guard redirects < request.maxRedirects else { throw HLSFetchFailure.tooManyRedirects(request.maxRedirects) }
                redirects += 1
                visited.insert(next.absoluteString)
                // Credentials belong to the origin they were entered for; a redirect to another
                // origin (scheme, host or port) goes without them, as browsers do.
                if CameraCredentials.origin(of: next) != CameraCredentials.origin(of: url) { authorization = nil }
                url = next
                continue
            }
            // Not `canonicalForm`: that splits at commas, and a Digest challenge is full of them.
            let challenges = status == 401 ? response.headers["WWW-Authenticate"] : []
            if status == 401, !answeredChallenge, let credentials = request.credentials, credentials.mayBeSent(to: url),
               let answer = Self.answer(challenges, credentials: credentials, method: request.method, url: url,
                                        basic: request.basicInClear || url.scheme?.lowercased() == "https") {
                _ = try await Self.read(response.body, maxBytes: 16 << 10, overflow: .truncate)
                answeredChallenge = true
                authorization = answer
                continue
            }
            var contentLength = response.headers.first(name: "Content-Length").flatMap(Int.init)
            if request.overflow == .fail, let contentLength, contentLength > request.maxBytes {
                throw HLSFetchFailure.tooLarge(limit: request.maxBytes)
            }
            var (body, truncated) = try await Self.read(response.body, maxBytes: request.maxBytes, overflow: request.overflow)
            // A 206 answer carries one part: the resource's size is after the slash of
            // Content-Range (`bytes 0-524287/1048576`), and a part shorter than it is a prefix.
            if status == 206, let total = response.headers.first(name: "Content-Range").flatMap(Self.totalLength) {
                contentLength = total
                if body.count < total { truncated = true }
            }
            return HLSFetchResponse(status: status, body: body, truncated: truncated, contentLength: contentLength,
                                    finalURL: url, latency: ContinuousClock.now - started, challenges: Array(challenges.prefix(8)))
        }
    }

    /// Every URL is validated before AsyncHTTPClient sees it: the client traps on a port above
    /// 65535, so a camera serving one (directly, in a redirect or as a playlist entry) would
    /// otherwise take the whole process down instead of failing its own check.
    static func endpoint(_ url: URL, what: String = "") throws(HLSFetchFailure) -> EndpointURL {
        do {
            return try EndpointURL(validating: url, schemes: EndpointURL.web)
        } catch {
            throw HLSFetchFailure.badURL((what.isEmpty ? "" : what + " ") + "\(Self.redacted(url)): URL \(error)")
        }
    }

    /// Refuses a URL (the first or a redirect target) whose host is, or resolves to, an address the
    /// policy forbids.
    func checkDestination(_ url: URL) async throws {
        if let why = await DestinationCheck.refusal(url, policy: destinations) { throw HLSFetchFailure.blockedAddress(why) }
    }

    /// The complete length in a `Content-Range: bytes a-b/total` header, or `nil` (`*` or malformed).
    static func totalLength(_ contentRange: String) -> Int? {
        guard let slash = contentRange.lastIndex(of: "/") else { return nil }
        return Int(contentRange[contentRange.index(after: slash)...].trimmingCharacters(in: .whitespaces))
    }

    /// Prefers Digest over Basic when the server offers both; Basic only when `basic` allows it.
    static func answer(_ challenges: [String], credentials: StreamCredentials, method: String = "GET", url: URL, basic: Bool = true) -> String? {
        let ordered = challenges.sorted { lhs, _ in lhs.lowercased().hasPrefix("digest") }
        for challenge in ordered where basic || !challenge.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("basic") {
            if let answer = HTTPAuthentication.authorization(for: challenge, credentials: credentials, method: method, url: url) { return answer }
        }
        return nil
    }

    /// Reads at most `maxBytes`; stopping early drops the rest of the body (the client closes
    /// the connection), which is what makes a 1 GB playlist cost only `maxBytes`.
    static func read(_ body: HTTPClientResponse.Body, maxBytes: Int, overflow: HLSFetchRequest.Overflow) async throws -> (Data, Bool) {
        var data = Data()
        for try await buffer in body {
            let room = maxBytes - data.count
            if buffer.readableBytes > room {
                if overflow == .fail { throw HLSFetchFailure.tooLarge(limit: maxBytes) }
                data.append(contentsOf: buffer.readableBytesView.prefix(room))
                return (data, true)
            }
            data.append(contentsOf: buffer.readableBytesView)
        }
        return (data, false)
    }

    static func classify(_ error: any Error) -> HLSFetchFailure {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded, .getConnectionFromPoolTimeout, .cancelled:
                return .timeout
            case .tlsHandshakeTimeout: return .tls
            case .remoteConnectionClosed, .bodyLengthMismatch, .uncleanShutdown: return .connectionClosed
            case .redirectCycleDetected: return .redirectLoop
            case .invalidURL, .emptyHost, .emptyScheme: return .badURL("\(error)")
            default: return .other("\(error)")
            }
        }
        if error is CancellationError { return .timeout }
        if let error = error as? NIOConnectionError {
            if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty { return .dns }
            if error.connectionErrors.contains(where: { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }) { return .connectRefused }
            return .other("could not connect")
        }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED { return .connectRefused }
        if error is ChannelError { return .connectionClosed }
        let typeName = String(reflecting: type(of: error))
        if typeName.contains("NIOSSL") || typeName.contains("TLS") { return .tls }
        if typeName.contains("Resolution") || typeName.contains("DNS") || typeName.contains("SocketAddressError") { return .dns }
        let text = "\(error)".lowercased()
        if text.contains("refused") { return .connectRefused }
        return .other(String("\(error)".prefix(200)))
    }

    /// The URL without user info, for messages.
    static func redacted(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else { return "<url>" }
        components.user = nil; components.password = nil
        return components.string ?? "<url>"
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
