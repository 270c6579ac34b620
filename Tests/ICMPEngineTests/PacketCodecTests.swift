import Testing
@testable import ICMPEngine

@Suite("Internet checksum and echo packet codec")
struct PacketCodecTests {
    @Test("RFC 1071 example sums to 0x220d")
    func rfc1071Vector() {
        #expect(InternetChecksum.compute([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]) == 0x220D)
    }

    @Test("Classic IPv4 header example yields 0xb861")
    func ipv4HeaderVector() {
        let header: [UInt8] = [0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                               0x00, 0x00, 0xC0, 0xA8, 0x00, 0x01, 0xC0, 0xA8, 0x00, 0xC7]
        #expect(InternetChecksum.compute(header) == 0xB861)
    }

    @Test("Odd length pads the last byte with zero")
    func oddLength() {
        #expect(InternetChecksum.compute([0x01]) == ~UInt16(0x0100))
        #expect(InternetChecksum.compute([0xAB, 0xCD, 0x01]) == InternetChecksum.compute([0xAB, 0xCD, 0x01, 0x00]))
    }

    @Test("Empty input and all-zero input give 0xffff")
    func zeros() {
        #expect(InternetChecksum.compute([]) == 0xFFFF)
        #expect(InternetChecksum.compute([0, 0, 0, 0]) == 0xFFFF)
    }

    @Test("A packet that contains its own checksum verifies to zero")
    func verifiesToZero() {
        let bytes = EchoPacket(type: 8, identifier: 0xBEEF, sequence: 7, timestampNanoseconds: 123_456_789, cookie: 0xCAFE_F00D)
            .encode(family: .ipv4, payloadSize: 33)
        #expect(InternetChecksum.compute(bytes) == 0)
    }

    @Test("Echo packet encode/decode round trip keeps every field", arguments: [ICMPFamily.ipv4, .ipv6])
    func roundTrip(family: ICMPFamily) throws {
        let packet = EchoPacket(type: family == .ipv4 ? 8 : 128, identifier: 0x1234, sequence: 0xFFFE,
                                timestampNanoseconds: 0x0102_0304_0506_0708, cookie: 0xA1B2_C3D4)
        let bytes = packet.encode(family: family, payloadSize: 24)
        #expect(bytes.count == 8 + 24)
        let decoded = try #require(EchoPacket.decode(bytes))
        #expect(decoded == packet)
        if family == .ipv6 { #expect(bytes[2] == 0 && bytes[3] == 0, "ICMPv6 checksum is left to the kernel") }
    }

    @Test("Truncated echo is not decoded")
    func truncated() {
        #expect(EchoPacket.decode([0, 0, 0, 0, 0, 1, 0, 1, 9, 9]) == nil)
    }

    /// Builds `IPv4 header + ICMP` as a raw IPv4 socket returns it.
    static func ipv4Datagram(source: [UInt8], destination: [UInt8], icmp: [UInt8]) -> [UInt8] {
        var header: [UInt8] = [0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0] + source + destination
        let total = header.count + icmp.count
        header[2] = UInt8(total >> 8)
        header[3] = UInt8(total & 0xFF)
        return header + icmp
    }

    @Test("Reply with our cookie is matched, after skipping the IPv4 header")
    func ownReplyMatched() throws {
        let icmp = EchoPacket(type: 0, identifier: 77, sequence: 5, timestampNanoseconds: 42, cookie: 0x1111_2222).encode(family: .ipv4)
        let datagram = Self.ipv4Datagram(source: [127, 0, 0, 1], destination: [127, 0, 0, 1], icmp: icmp)
        let message = datagram.withUnsafeBytes {
            InboundMessage.classify($0, family: .ipv4, includesIPv4Header: true, source: nil, cookie: 0x1111_2222)
        }
        #expect(message == .reply(identifier: 77, sequence: 5, source: IPAddress("127.0.0.1"), timestampNanoseconds: 42))
    }

    @Test("Foreign reply with a wrong cookie is ignored")
    func foreignCookieIgnored() {
        let icmp = EchoPacket(type: 0, identifier: 77, sequence: 5, timestampNanoseconds: 42, cookie: 0xDEAD_BEEF).encode(family: .ipv4)
        let datagram = Self.ipv4Datagram(source: [127, 0, 0, 1], destination: [127, 0, 0, 1], icmp: icmp)
        let message = datagram.withUnsafeBytes {
            InboundMessage.classify($0, family: .ipv4, includesIPv4Header: true, source: nil, cookie: 0x1111_2222)
        }
        #expect(message == .ignored)
    }

    @Test("Echo requests (our own, looped back) are never mistaken for replies")
    func requestIgnored() {
        let icmp = EchoPacket(type: 8, identifier: 77, sequence: 5, timestampNanoseconds: 42, cookie: 1).encode(family: .ipv4)
        let datagram = Self.ipv4Datagram(source: [127, 0, 0, 1], destination: [127, 0, 0, 1], icmp: icmp)
        #expect(datagram.withUnsafeBytes { InboundMessage.classify($0, family: .ipv4, includesIPv4Header: true, source: nil, cookie: 1) } == .ignored)
    }

    @Test("IPv4 host-unreachable error yields identifier, sequence, destination and reason")
    func ipv4ErrorQuote() throws {
        let original = EchoPacket(type: 8, identifier: 0xABCD, sequence: 9, timestampNanoseconds: 1, cookie: 2).encode(family: .ipv4)
        let quotedIP = Self.ipv4Datagram(source: [127, 0, 0, 1], destination: [127, 77, 0, 12], icmp: Array(original.prefix(8)))
        let error: [UInt8] = [3, 1, 0, 0, 0, 0, 0, 0] + quotedIP
        let datagram = Self.ipv4Datagram(source: [127, 77, 0, 12], destination: [127, 0, 0, 1], icmp: error)
        let message = datagram.withUnsafeBytes { InboundMessage.classify($0, family: .ipv4, includesIPv4Header: true, source: nil, cookie: 2) }
        guard case .error(let quote) = message else {
            Issue.record("expected an error quote, got \(message)")
            return
        }
        #expect(quote.identifier == 0xABCD)
        #expect(quote.sequence == 9)
        #expect(quote.quotedDestination == IPAddress("127.77.0.12"))
        #expect(quote.reason == "host_unreachable")
    }

    @Test("IPv6 admin-prohibited error is parsed from the quoted IPv6 header")
    func ipv6ErrorQuote() throws {
        var ipv6Header = [UInt8](repeating: 0, count: 40)
        ipv6Header[0] = 0x60
        ipv6Header[6] = 58
        ipv6Header[39] = 1 // destination ::1
        let original = EchoPacket(type: 128, identifier: 0x0102, sequence: 3, timestampNanoseconds: 1, cookie: 2).encode(family: .ipv6)
        let error: [UInt8] = [1, 1, 0, 0, 0, 0, 0, 0] + ipv6Header + Array(original.prefix(8))
        let message = error.withUnsafeBytes { InboundMessage.classify($0, family: .ipv6, includesIPv4Header: false, source: nil, cookie: 2) }
        guard case .error(let quote) = message else {
            Issue.record("expected an error quote, got \(message)")
            return
        }
        #expect(quote.identifier == 0x0102 && quote.sequence == 3)
        #expect(quote.quotedDestination == IPAddress("::1"))
        #expect(quote.reason == "admin_prohibited")
    }

    @Test("Reason vocabulary for common codes", arguments: [
        (UInt8(3), UInt8(0), "net_unreachable"), (3, 1, "host_unreachable"), (3, 3, "port_unreachable"),
        (3, 13, "admin_prohibited"), (11, 0, "ttl_exceeded"),
    ])
    func reasons(type: UInt8, code: UInt8, reason: String) {
        #expect(ICMPErrorQuote.reasonIPv4(type: type, code: code) == reason)
    }

    @Test("IP literals parse and print back; names are not literals")
    func addressLiterals() {
        #expect(IPAddress("127.1.2.3")?.description == "127.1.2.3")
        #expect(IPAddress("::1")?.description == "::1")
        #expect(IPAddress("::1")?.family == .ipv6)
        #expect(IPAddress("camera-17.example") == nil)
    }
}
