import Glibc

/// Address family of a probe; each family has its own shared socket.
public enum ICMPFamily: UInt8, Sendable, Hashable, CustomStringConvertible {
    /// IPv4 / ICMP.
    case ipv4 = 4
    /// IPv6 / ICMPv6.
    case ipv6 = 6

    /// `"ipv4"` / `"ipv6"`, used in mode reports.
    public var description: String { self == .ipv4 ? "ipv4" : "ipv6" }
}

/// A numeric IPv4 or IPv6 address stored inline (no heap allocation), so that
/// 100,000 in-flight probes do not cost 100,000 small arrays.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// Family of the address.
    public let family: ICMPFamily
    // Raw network-order bytes, packed into two words. IPv4 uses only `high`'s low 32 bits.
    let high: UInt64
    let low: UInt64

    /// Parses an IP literal with `inet_pton`. Returns nil for host names,
    /// so callers can decide whether to resolve them.
    public init?(_ literal: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 {
            self.init(v4)
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, literal, &v6) == 1 {
            self.init(v6)
            return
        }
        return nil
    }

    /// Wraps a kernel IPv4 address.
    init(_ address: in_addr) {
        family = .ipv4
        high = UInt64(address.s_addr)
        low = 0
    }

    /// Wraps a kernel IPv6 address.
    init(_ address: in6_addr) {
        family = .ipv6
        var copy = address
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeBytes(of: &copy) { src in
            withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: src) }
        }
        high = words.0
        low = words.1
    }

    /// Builds an address from raw network-order bytes (4 or 16), as found in
    /// packet headers. Returns nil for any other length.
    init?(networkBytes bytes: UnsafeRawBufferPointer) {
        if bytes.count == 4 {
            var a = in_addr()
            withUnsafeMutableBytes(of: &a) { $0.copyMemory(from: bytes) }
            self.init(a)
        } else if bytes.count == 16 {
            var a = in6_addr()
            withUnsafeMutableBytes(of: &a) { $0.copyMemory(from: bytes) }
            self.init(a)
        } else {
            return nil
        }
    }

    /// Kernel representation for IPv4 (only meaningful when `family == .ipv4`).
    var inAddr: in_addr { in_addr(s_addr: UInt32(truncatingIfNeeded: high)) }

    /// Kernel representation for IPv6 (only meaningful when `family == .ipv6`).
    var in6Addr: in6_addr {
        var result = in6_addr()
        var words = (high, low)
        withUnsafeBytes(of: &words) { src in
            withUnsafeMutableBytes(of: &result) { $0.copyMemory(from: src) }
        }
        return result
    }

    /// Calls `body` with a `sockaddr` for this address (port 0), as `sendto` needs.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch family {
        case .ipv4:
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_addr = inAddr
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .ipv6:
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_addr = in6Addr
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    /// Extracts the address from a `sockaddr_storage` filled by `recvfrom`/`recvmsg`.
    init?(storage: UnsafePointer<sockaddr_storage>) {
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            let sin = UnsafeRawPointer(storage).assumingMemoryBound(to: sockaddr_in.self).pointee
            self.init(sin.sin_addr)
        case AF_INET6:
            let sin6 = UnsafeRawPointer(storage).assumingMemoryBound(to: sockaddr_in6.self).pointee
            self.init(sin6.sin6_addr)
        default:
            return nil
        }
    }

    /// Presentation form via `inet_ntop` (e.g. `127.0.0.1`, `::1`).
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch family {
        case .ipv4:
            var a = inAddr
            inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count))
        case .ipv6:
            var a = in6Addr
            inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count))
        }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
