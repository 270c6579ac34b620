/// An ICMP error (Destination Unreachable, Time Exceeded, ...) that quotes one
/// of our echo requests. Routers and firewalls quote the original IP header
/// plus at least the first 8 bytes of the ICMP header, which is exactly enough
/// to recover identifier + sequence and fail the probe fast instead of waiting
/// for its timeout.
public struct ICMPErrorQuote: Sendable, Equatable {
    /// Family of the original probe.
    public var family: ICMPFamily
    /// Identifier of the quoted echo request.
    public var identifier: UInt16
    /// Sequence of the quoted echo request.
    public var sequence: UInt16
    /// Destination of the quoted request, when the quote contains it (raw mode
    /// always; datagram error queue reports it via `msg_name`).
    public var quotedDestination: IPAddress?
    /// Address that sent the error (router / firewall / target).
    public var reporter: IPAddress?
    /// ICMP type of the error message.
    public var type: UInt8
    /// ICMP code of the error message.
    public var code: UInt8
    /// snake_case reason (see `reasonIPv4` / `reasonIPv6`).
    public var reason: String

    /// Creates a quote value.
    public init(family: ICMPFamily, identifier: UInt16, sequence: UInt16, quotedDestination: IPAddress?, reporter: IPAddress?, type: UInt8, code: UInt8) {
        self.family = family
        self.identifier = identifier
        self.sequence = sequence
        self.quotedDestination = quotedDestination
        self.reporter = reporter
        self.type = type
        self.code = code
        self.reason = family == .ipv4 ? Self.reasonIPv4(type: type, code: code) : Self.reasonIPv6(type: type, code: code)
    }

    /// Maps an ICMPv4 error type/code to a stable snake_case reason.
    public static func reasonIPv4(type: UInt8, code: UInt8) -> String {
        switch type {
        case 3:
            switch code {
            case 0, 6, 11: return "net_unreachable"
            case 1, 7, 12: return "host_unreachable"
            case 2: return "protocol_unreachable"
            case 3: return "port_unreachable"
            case 4: return "fragmentation_needed"
            case 5: return "source_route_failed"
            case 9, 10, 13: return "admin_prohibited"
            default: return "destination_unreachable"
            }
        case 11: return "ttl_exceeded"
        case 12: return "parameter_problem"
        default: return "icmp_error"
        }
    }

    /// Maps an ICMPv6 error type/code to the same reason vocabulary as IPv4.
    public static func reasonIPv6(type: UInt8, code: UInt8) -> String {
        switch type {
        case 1:
            switch code {
            case 0: return "net_unreachable"
            case 1, 5, 6: return "admin_prohibited"
            case 2: return "beyond_scope"
            case 3: return "host_unreachable"
            case 4: return "port_unreachable"
            default: return "destination_unreachable"
            }
        case 2: return "packet_too_big"
        case 3: return "ttl_exceeded"
        case 4: return "parameter_problem"
        default: return "icmp_error"
        }
    }

    /// Parses an ICMPv4 error message starting at its ICMP header (outer IP
    /// header already removed): `type code cksum unused | inner IPv4 header | inner ICMP (>= 8 bytes)`.
    /// Returns nil unless it quotes an ICMP echo request.
    public static func parseIPv4(_ icmp: UnsafeRawBufferPointer, reporter: IPAddress?) -> ICMPErrorQuote? {
        guard icmp.count >= 8 + 20 + 8 else { return nil }
        let type = icmp[0]
        guard type == 3 || type == 11 || type == 12 else { return nil }
        let inner = 8
        guard icmp[inner] >> 4 == 4 else { return nil }
        let innerHeaderLength = Int(icmp[inner] & 0x0F) * 4
        guard innerHeaderLength >= 20, icmp[inner + 9] == 1 else { return nil } // protocol ICMP
        let quotedICMP = inner + innerHeaderLength
        guard icmp.count >= quotedICMP + 8, icmp[quotedICMP] == EchoPacket.ipv4Request else { return nil }
        let destination = IPAddress(networkBytes: UnsafeRawBufferPointer(rebasing: icmp[(inner + 16)..<(inner + 20)]))
        return ICMPErrorQuote(
            family: .ipv4,
            identifier: UInt16(icmp[quotedICMP + 4]) << 8 | UInt16(icmp[quotedICMP + 5]),
            sequence: UInt16(icmp[quotedICMP + 6]) << 8 | UInt16(icmp[quotedICMP + 7]),
            quotedDestination: destination, reporter: reporter, type: type, code: icmp[1])
    }

    /// Parses an ICMPv6 error: `type code cksum 4-byte field | IPv6 header (40) | ICMPv6 echo request`.
    /// Extension headers in the quote are not walked (echo requests we send carry none).
    public static func parseIPv6(_ icmp: UnsafeRawBufferPointer, reporter: IPAddress?) -> ICMPErrorQuote? {
        guard icmp.count >= 8 + 40 + 8 else { return nil }
        let type = icmp[0]
        guard (1...4).contains(type) else { return nil }
        let inner = 8
        guard icmp[inner] >> 4 == 6, icmp[inner + 6] == 58 else { return nil } // next header ICMPv6
        let quotedICMP = inner + 40
        guard icmp[quotedICMP] == EchoPacket.ipv6Request else { return nil }
        let destination = IPAddress(networkBytes: UnsafeRawBufferPointer(rebasing: icmp[(inner + 24)..<(inner + 40)]))
        return ICMPErrorQuote(
            family: .ipv6,
            identifier: UInt16(icmp[quotedICMP + 4]) << 8 | UInt16(icmp[quotedICMP + 5]),
            sequence: UInt16(icmp[quotedICMP + 6]) << 8 | UInt16(icmp[quotedICMP + 7]),
            quotedDestination: destination, reporter: reporter, type: type, code: icmp[1])
    }
}

/// What one received datagram means to the engine. Classification is pure
/// (no locks, no syscalls) so the receive thread can do it before taking the
/// shared lock, and tests can feed it hand-made bytes.
enum InboundMessage: Equatable {
    /// An echo reply carrying our cookie.
    case reply(identifier: UInt16, sequence: UInt16, source: IPAddress?, timestampNanoseconds: UInt64)
    /// An ICMP error quoting one of our echo requests.
    case error(ICMPErrorQuote)
    /// Anything else: other ICMP types, other programs' replies, truncated junk.
    case ignored

    /// Classifies a datagram from an ICMP socket.
    /// - Parameters:
    ///   - includesIPv4Header: true for raw IPv4 sockets, whose reads start with the IP header.
    ///   - cookie: this engine's cookie; replies without it are foreign.
    static func classify(_ bytes: UnsafeRawBufferPointer, family: ICMPFamily, includesIPv4Header: Bool, source: IPAddress?, cookie: UInt32) -> InboundMessage {
        var icmp = bytes
        var reporter = source
        if family == .ipv4 && includesIPv4Header {
            guard bytes.count >= 20, bytes[0] >> 4 == 4 else { return .ignored }
            let headerLength = Int(bytes[0] & 0x0F) * 4
            guard headerLength >= 20, bytes.count >= headerLength + 8 else { return .ignored }
            if reporter == nil {
                reporter = IPAddress(networkBytes: UnsafeRawBufferPointer(rebasing: bytes[12..<16]))
            }
            icmp = UnsafeRawBufferPointer(rebasing: bytes[headerLength...])
        }
        guard icmp.count >= 8 else { return .ignored }
        let replyType = family == .ipv4 ? EchoPacket.ipv4Reply : EchoPacket.ipv6Reply
        if icmp[0] == replyType {
            guard let packet = EchoPacket.decode(icmp), packet.cookie == cookie else { return .ignored }
            return .reply(identifier: packet.identifier, sequence: packet.sequence, source: reporter, timestampNanoseconds: packet.timestampNanoseconds)
        }
        let quote = family == .ipv4 ? ICMPErrorQuote.parseIPv4(icmp, reporter: reporter) : ICMPErrorQuote.parseIPv6(icmp, reporter: reporter)
        if let quote { return .error(quote) }
        return .ignored
    }
}
