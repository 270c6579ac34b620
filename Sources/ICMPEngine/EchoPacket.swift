/// An ICMP / ICMPv6 echo request or reply together with the engine's payload.
///
/// Payload layout (big-endian), chosen so a reply proves it answers *our* probe:
/// `[0..<8]` monotonic send timestamp in ns, `[8..<12]` engine cookie, then
/// filler bytes up to the configured payload size.
public struct EchoPacket: Sendable, Equatable {
    /// ICMPv4 echo request type.
    public static let ipv4Request: UInt8 = 8
    /// ICMPv4 echo reply type.
    public static let ipv4Reply: UInt8 = 0
    /// ICMPv6 echo request type.
    public static let ipv6Request: UInt8 = 128
    /// ICMPv6 echo reply type.
    public static let ipv6Reply: UInt8 = 129
    /// ICMP echo header size (type, code, checksum, identifier, sequence).
    public static let headerSize = 8
    /// Minimum payload: timestamp (8) + cookie (4).
    public static let minimumPayloadSize = 12

    /// ICMP type byte.
    public var type: UInt8
    /// ICMP code byte (0 for echo).
    public var code: UInt8
    /// Echo identifier (on datagram sockets the kernel replaces it with the socket's port).
    public var identifier: UInt16
    /// Echo sequence number.
    public var sequence: UInt16
    /// Monotonic send time in ns, echoed back by the target.
    public var timestampNanoseconds: UInt64
    /// Engine cookie; replies with another cookie belong to someone else.
    public var cookie: UInt32

    /// Creates a packet value.
    public init(type: UInt8, code: UInt8 = 0, identifier: UInt16, sequence: UInt16, timestampNanoseconds: UInt64, cookie: UInt32) {
        self.type = type
        self.code = code
        self.identifier = identifier
        self.sequence = sequence
        self.timestampNanoseconds = timestampNanoseconds
        self.cookie = cookie
    }

    /// Serialises header + payload. For IPv4 the checksum is computed here;
    /// for IPv6 it is left zero because the kernel must compute it (it covers
    /// a pseudo-header with the source address we do not know yet).
    public func encode(family: ICMPFamily, payloadSize: Int = EchoPacket.minimumPayloadSize) -> [UInt8] {
        let payload = max(payloadSize, Self.minimumPayloadSize)
        var bytes = [UInt8](repeating: 0, count: Self.headerSize + payload)
        bytes[0] = type
        bytes[1] = code
        bytes[4] = UInt8(identifier >> 8)
        bytes[5] = UInt8(truncatingIfNeeded: identifier)
        bytes[6] = UInt8(sequence >> 8)
        bytes[7] = UInt8(truncatingIfNeeded: sequence)
        for i in 0..<8 {
            bytes[8 + i] = UInt8(truncatingIfNeeded: timestampNanoseconds >> (56 - 8 * UInt64(i)))
        }
        for i in 0..<4 {
            bytes[16 + i] = UInt8(truncatingIfNeeded: cookie >> (24 - 8 * UInt32(i)))
        }
        // Filler pattern makes captures recognisable and catches truncation.
        var i = 20
        while i < bytes.count {
            bytes[i] = UInt8(truncatingIfNeeded: i)
            i += 1
        }
        if family == .ipv4 {
            let sum = InternetChecksum.compute(bytes)
            bytes[2] = UInt8(sum >> 8)
            bytes[3] = UInt8(truncatingIfNeeded: sum)
        }
        return bytes
    }

    /// Parses an ICMP message that starts at the ICMP header (IP header already
    /// stripped). Returns nil if it is too short to hold our payload.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> EchoPacket? {
        guard bytes.count >= headerSize + minimumPayloadSize else { return nil }
        var timestamp: UInt64 = 0
        for i in 0..<8 { timestamp = timestamp << 8 | UInt64(bytes[8 + i]) }
        var cookie: UInt32 = 0
        for i in 0..<4 { cookie = cookie << 8 | UInt32(bytes[16 + i]) }
        return EchoPacket(
            type: bytes[0], code: bytes[1],
            identifier: UInt16(bytes[4]) << 8 | UInt16(bytes[5]),
            sequence: UInt16(bytes[6]) << 8 | UInt16(bytes[7]),
            timestampNanoseconds: timestamp, cookie: cookie)
    }

    /// Array convenience for `decode(_:)`.
    public static func decode(_ bytes: [UInt8]) -> EchoPacket? {
        bytes.withUnsafeBytes { decode($0) }
    }
}
