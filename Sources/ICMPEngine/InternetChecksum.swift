/// RFC 1071 Internet checksum (one's-complement sum of 16-bit big-endian words).
///
/// Needed because ICMPv4 over a raw socket is sent exactly as we build it: the
/// kernel does not fill in the ICMP checksum for IPv4 (it does for ICMPv6 and
/// for datagram "ping" sockets, but computing it anyway is harmless).
public enum InternetChecksum {
    /// Checksum of `bytes`, returned as the 16-bit value to store big-endian.
    ///
    /// An odd trailing byte is padded with zero, as the RFC requires. Verifying
    /// a message that already contains its checksum yields `0`.
    public static func compute(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var sum: UInt64 = 0
        var index = 0
        let count = bytes.count
        // Summing into a 64-bit accumulator lets us fold carries once at the end.
        while index + 1 < count {
            sum &+= UInt64(bytes[index]) << 8 | UInt64(bytes[index + 1])
            index += 2
        }
        if index < count {
            sum &+= UInt64(bytes[index]) << 8
        }
        while sum >> 16 != 0 {
            sum = (sum & 0xFFFF) &+ (sum >> 16)
        }
        return ~UInt16(truncatingIfNeeded: sum)
    }

    /// Convenience overload for byte arrays (tests and packet building).
    public static func compute(_ bytes: [UInt8]) -> UInt16 {
        bytes.withUnsafeBytes { compute($0) }
    }
}
