import CCTVContract
import Foundation

/// The prober's HTTP port: one bounded request — a GET for HLS, a SOAP POST for ONVIF. The adapter
/// is ``HTTPClientHLSFetcher`` (the only code in the prober that touches AsyncHTTPClient); tests can
/// pass their own.
///
/// Every fetch is bounded three ways so a hostile or broken camera costs only its own budget:
/// a deadline for the whole exchange (connect, head and body — a server dripping one byte a
/// second is cut off), a byte cap on the body, and a redirect limit with loop detection.
package protocol HLSFetching: Sendable {
    /// Fetches `request.url`; never throws, every way of failing is an ``HLSFetchOutcome``.
    func fetch(_ request: HLSFetchRequest) async -> HLSFetchOutcome
}

/// User name and password for a camera's stream. Deliberately not `CustomStringConvertible`
/// with its contents: the description is redacted so it cannot end up in a log line.
package struct StreamCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    package var username: String
    package var password: String
    /// The origin (`scheme://host:port`, see `CameraCredentials.origin(of:)`) they were entered
    /// for: a challenge from any other origin — a redirect target, a variant or segment on another
    /// server — is not answered. Nil: any origin (the one-shot `cctv-out check`, where the person
    /// typing them names the URL).
    package var origin: String?

    package init(username: String, password: String, origin: String? = nil) {
        self.username = username
        self.password = password
        self.origin = origin
    }

    /// Whether these credentials may be sent to `url`: only to the origin they were entered for.
    package func mayBeSent(to url: URL) -> Bool {
        guard let origin else { return true }
        return CameraCredentials.origin(of: url) == origin
    }

    /// Whether these credentials may be sent to the RTSP server at `url`: the same device (host) as
    /// the origin they were entered for, since a camera's HLS and RTSP servers differ in scheme and port.
    package func mayBeSent(toDeviceOf url: URL) -> Bool {
        guard let origin else { return true }
        return url.host?.lowercased() == CameraCredentials.host(ofOrigin: origin)
    }

    package var description: String { "StreamCredentials(username: <redacted>, password: <redacted>, origin: \(origin ?? "any"))" }
    package var debugDescription: String { description }
}

/// One bounded request (GET unless ``method`` says otherwise).
package struct HLSFetchRequest: Sendable {
    /// What to do when the body is longer than ``maxBytes``.
    package enum Overflow: Sendable, Equatable {
        /// Stop reading and fail with ``HLSFetchFailure/tooLarge`` (playlists: a partial
        /// playlist cannot be judged).
        case fail
        /// Stop reading and keep the prefix (segments: the first bytes prove there is video).
        case truncate
    }

    package var url: URL
    /// Upper bound on body bytes kept in memory.
    package var maxBytes: Int
    package var overflow: Overflow
    /// The whole exchange, including following redirects, must end by then.
    package var deadline: ContinuousClock.Instant
    /// Redirects followed before giving up with ``HLSFetchFailure/tooManyRedirects``.
    package var maxRedirects: Int
    /// Basic or digest credentials, answered only when the server asks (401).
    package var credentials: StreamCredentials?
    /// Optional `Range` for byte-range segments (RFC 8216 `EXT-X-BYTERANGE`).
    package var byteRange: ClosedRange<Int>?
    /// `GET` (HLS) or `POST` (ONVIF SOAP, with ``body``).
    package var method: String = "GET"
    /// The request body and its `Content-Type` (POST only).
    package var body: Data?
    package var contentType: String?
    /// Whether a Basic challenge may be answered over plain `http://` (the password then crosses
    /// the network in clear). HLS cameras that accept nothing else need it; ONVIF never does: its
    /// devices offer Digest, and one that offers only Basic in clear is refused.
    package var basicInClear = true

    package init(url: URL, maxBytes: Int, overflow: Overflow, deadline: ContinuousClock.Instant, maxRedirects: Int = 5,
                credentials: StreamCredentials? = nil, byteRange: ClosedRange<Int>? = nil) {
        self.url = url; self.maxBytes = maxBytes; self.overflow = overflow; self.deadline = deadline
        self.maxRedirects = maxRedirects; self.credentials = credentials; self.byteRange = byteRange
    }
}

/// A response that arrived (any status code).
package struct HLSFetchResponse: Sendable {
    package var status: Int
    package var body: Data
    /// True when the body was cut at the byte cap (only with ``HLSFetchRequest/Overflow/truncate``).
    package var truncated: Bool
    /// `Content-Length` as announced, used for bitrate when the body was truncated.
    package var contentLength: Int?
    /// The URL that answered after redirects; relative playlist URIs resolve against it.
    package var finalURL: URL
    /// From sending the first request to the last body byte.
    package var latency: Duration
    /// The `WWW-Authenticate` challenges of a 401 that was not (or could not be) answered.
    package var challenges: [String] = []

    package init(status: Int, body: Data, truncated: Bool = false, contentLength: Int? = nil, finalURL: URL, latency: Duration,
                challenges: [String] = []) {
        self.status = status; self.body = body; self.truncated = truncated; self.contentLength = contentLength
        self.finalURL = finalURL; self.latency = latency; self.challenges = challenges
    }
}

/// Why no usable response arrived. Each case has the contract's reason code.
package enum HLSFetchFailure: Error, Sendable, Equatable {
    case connectRefused
    case timeout
    case dns
    case tls
    case redirectLoop
    case tooManyRedirects(Int)
    /// The body exceeded the byte cap (with ``HLSFetchRequest/Overflow/fail``).
    case tooLarge(limit: Int)
    /// The server closed the connection before the response was complete.
    case connectionClosed
    /// A redirect to something that is not http(s), or a URL that cannot be requested.
    case badURL(String)
    /// The URL or a redirect points at an address the destination policy refuses (link-local,
    /// cloud metadata): nothing was sent there.
    case blockedAddress(String)
    case other(String)

    /// The contract's `reason` code.
    package var reason: String {
        switch self {
        case .connectRefused: "connect_refused"
        case .timeout: "timeout"
        case .dns: "dns_unresolved"
        case .tls: "tls"
        case .redirectLoop: "redirect_loop"
        case .tooManyRedirects: "too_many_redirects"
        case .tooLarge: "playlist_too_large"
        case .connectionClosed: "connection_closed"
        case .badURL: "bad_url"
        case .blockedAddress: "blocked_address"
        case .other: "http_error"
        }
    }

    /// Whether the server answered at all: a loop or an oversize body are a broken stream
    /// (FAIL); a URL that cannot be requested (registered, served in a redirect or a playlist)
    /// and the rest mean it could not be reached (ERROR).
    package var serverAnswered: Bool {
        switch self {
        case .redirectLoop, .tooManyRedirects, .tooLarge, .blockedAddress: true
        case .connectRefused, .timeout, .dns, .tls, .connectionClosed, .badURL, .other: false
        }
    }

    /// One line for people.
    package var message: String {
        switch self {
        case .connectRefused: "connection refused"
        case .timeout: "no complete answer within the check's time budget"
        case .dns: "host name could not be resolved"
        case .tls: "TLS handshake failed"
        case .redirectLoop: "redirects lead back to a URL already visited"
        case let .tooManyRedirects(limit): "more than \(limit) redirects"
        case let .tooLarge(limit): "body larger than the \(limit)-byte limit"
        case .connectionClosed: "server closed the connection before the response was complete"
        case let .badURL(detail): detail
        case let .blockedAddress(why): "not fetched: \(why)"
        case let .other(detail): detail
        }
    }
}

/// The result of one fetch.
package enum HLSFetchOutcome: Sendable {
    case response(HLSFetchResponse)
    case failure(HLSFetchFailure)
}
