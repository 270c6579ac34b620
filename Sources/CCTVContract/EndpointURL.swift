import Foundation

/// An absolute URL that a service may connect to: a scheme it speaks, a host, and a port that
/// fits a TCP port number. The one validator for every URL that comes from outside — a camera's
/// stream URL (REST, MQTT, CSV/XLSX import), a URL a camera serves (redirect, playlist entry), a
/// contacts file's webhook, a webhook receiver's redirect.
///
/// Why it exists: Foundation's `URL` accepts `http://cam:70000/`, and AsyncHTTPClient then traps
/// converting 70000 to `UInt16` — one camera or one webhook receiver took the whole `serve`
/// process down, again on every restart. Every URL is checked here before a client sees it.
///
/// ```swift
/// let stream = try EndpointURL(validating: "http://10.0.0.5:8080/live.m3u8", schemes: EndpointURL.web)
/// stream.port // 8080
/// ```
public struct EndpointURL: Sendable, Hashable, CustomStringConvertible {
    /// `http` and `https`: HLS streams, webhooks.
    public static let web: Set<String> = ["http", "https"]
    /// `rtsp`: camera RTSP streams (RTSP over TLS is not checked yet).
    public static let rtsp: Set<String> = ["rtsp"]
    /// Longest URL accepted, in UTF-8 bytes.
    public static let maxBytes = 2048

    /// The parsed URL, exactly the text that was validated.
    public let url: URL
    /// Lower-case scheme.
    public let scheme: String
    /// Host as written (IPv6 without brackets).
    public let host: String
    /// The explicit port, or the scheme's default.
    public let port: Int

    /// Validates `text` as an absolute URL of one of `schemes`.
    /// - Throws: ``EndpointURLError`` naming what is wrong.
    public init(validating text: String, schemes: Set<String>) throws(EndpointURLError) {
        guard text.utf8.count <= Self.maxBytes else { throw .tooLong(limit: Self.maxBytes) }
        guard !text.contains(where: { $0.isWhitespace || $0.isNewline }) else { throw .malformed }
        guard let components = URLComponents(string: text), let url = URL(string: text) else { throw .malformed }
        guard let scheme = components.scheme?.lowercased(), schemes.contains(scheme) else {
            throw .scheme(components.scheme, allowed: schemes.sorted())
        }
        guard var host = components.host, !host.isEmpty else { throw .noHost }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw .noHost }
        var port = Self.defaultPort(scheme)
        if let range = components.rangeOfPort {
            let written = text[range]
            // Five digits at most before converting, so a 30-digit port cannot overflow `Int` either.
            guard (1...5).contains(written.count), written.allSatisfy(\.isASCII), written.allSatisfy(\.isNumber),
                  let value = Int(written), (1...65_535).contains(value) else {
                throw .port(String(written.prefix(24)))
            }
            port = value
        }
        self.url = url
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Validates an already parsed URL (e.g. a playlist entry resolved against its playlist).
    public init(validating url: URL, schemes: Set<String>) throws(EndpointURLError) {
        try self.init(validating: url.absoluteString, schemes: schemes)
    }

    /// Whether `other` is the same origin (scheme, host, port): credentials entered for one
    /// origin are never sent to another.
    public func isSameOrigin(as other: EndpointURL) -> Bool {
        scheme == other.scheme && host.lowercased() == other.host.lowercased() && port == other.port
    }

    /// The URL without user info, for messages and logs.
    public var description: String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else { return "<url>" }
        components.user = nil
        components.password = nil
        return components.string ?? "<url>"
    }

    static func defaultPort(_ scheme: String) -> Int {
        switch scheme {
        case "https": 443
        case "rtsp": 554
        case "rtsps": 322
        case "smtp": 25
        case "smtps": 465
        default: 80
        }
    }
}

/// Why a URL was refused, in words a user can act on.
public enum EndpointURLError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLong(limit: Int)
    /// Not a URL at all (spaces, bad characters).
    case malformed
    /// The scheme is missing or not one of `allowed`.
    case scheme(String?, allowed: [String])
    case noHost
    /// The port is not a number from 1 to 65535.
    case port(String)

    public var description: String {
        switch self {
        case let .tooLong(limit): "is longer than \(limit) bytes"
        case .malformed: "is not a valid URL"
        case let .scheme(scheme, allowed):
            "must be a " + allowed.map { "\($0)://" }.joined(separator: " or ") + " URL" + (scheme.map { " (got \($0)://)" } ?? "")
        case .noHost: "has no host"
        case let .port(port): "has port \(port.debugDescription), which is not a port number (1–65535)"
        }
    }
}
