import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a camera stream URL may point: the one rule the registry checks when a URL is entered and
/// the prober's HLS fetcher checks before every request and every redirect (after resolving the
/// host name). Link-local addresses — 169.254.0.0/16 with the cloud metadata service at
/// 169.254.169.254, fe80::/10 — and the IPv6 metadata address fd00:ec2::254 are refused unless
/// `streams.allow-link-local` is set: a stream URL must never make the prober fetch a cloud
/// instance's credentials.
package struct DestinationPolicy: Sendable, Equatable {
    package var allowLinkLocal: Bool

    package init(allowLinkLocal: Bool = false) { self.allowLinkLocal = allowLinkLocal }

    /// Why `address` (an IPv4 or IPv6 literal) is refused, or nil when it may be used. Text that is
    /// not an IP address is not judged here (resolve it first).
    package func refusal(address text: String) -> String? {
        guard !allowLinkLocal else { return nil }
        var candidate = text
        if candidate.hasPrefix("["), candidate.hasSuffix("]") { candidate = String(candidate.dropFirst().dropLast()) }
        if let zone = candidate.firstIndex(of: "%") { candidate = String(candidate[..<zone]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, candidate, &v4) == 1 {
            let bytes = withUnsafeBytes(of: v4.s_addr) { Array($0) }
            return Self.refusal(ipv4: bytes, text: candidate)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, candidate, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            // IPv4-mapped (::ffff:a.b.c.d) is judged as the IPv4 address it carries.
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
                return Self.refusal(ipv4: Array(bytes[12..<16]), text: candidate)
            }
            if bytes[0] == 0xfe, bytes[1] & 0xc0 == 0x80 { return "\(candidate) is an IPv6 link-local address (fe80::/10)" }
            if bytes == Self.ec2MetadataV6 { return "\(candidate) is the cloud metadata service (fd00:ec2::254)" }
        }
        return nil
    }

    static func refusal(ipv4 bytes: [UInt8], text: String) -> String? {
        guard bytes.count == 4, bytes[0] == 169, bytes[1] == 254 else { return nil }
        if bytes[2] == 169, bytes[3] == 254 { return "\(text) is the cloud metadata service (169.254.169.254)" }
        return "\(text) is a link-local address (169.254.0.0/16)"
    }

    /// fd00:ec2::254
    static let ec2MetadataV6: [UInt8] = [0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54]

    /// Why a stream URL is refused before any lookup: not http(s) or rtsp(s), no host, or a refused
    /// literal address.
    package func refusal(url: URL) -> String? {
        guard let scheme = url.scheme?.lowercased(), ["http", "https", "rtsp", "rtsps"].contains(scheme) else {
            return "only http(s):// and rtsp(s):// stream URLs are used"
        }
        guard let host = url.host, !host.isEmpty else { return "the URL has no host" }
        return refusal(address: host)
    }

    /// Resolves `host` (blocking: call it off the cooperative pool) and returns why one of its
    /// addresses is refused, or nil when all may be used (or it does not resolve: the fetch then
    /// fails on its own with a DNS error).
    package func refusalAfterResolving(host: String) -> String? {
        guard !allowLinkLocal, refusal(address: host) == nil else { return refusal(address: host) }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0,
               let why = refusal(address: String(cString: buffer)) {
                return "\(host) resolves to \(why)"
            }
            entry = current.pointee.ai_next
        }
        return nil
    }
}
