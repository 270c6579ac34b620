import Glibc

/// Kind of kernel socket carrying ICMP for one family.
public enum ICMPSocketMode: String, Sendable, Hashable {
    /// `SOCK_RAW`: needs root / CAP_NET_RAW; sees every ICMP packet on the host,
    /// IPv4 reads include the IP header; errors arrive as ordinary ICMP messages.
    case raw
    /// `SOCK_DGRAM` "ping socket": unprivileged if `net.ipv4.ping_group_range`
    /// allows; the kernel owns the identifier (the socket's port) and delivers
    /// only our replies; ICMP errors arrive through `MSG_ERRQUEUE`.
    case datagram
}

/// Which socket kind the engine should open.
public enum ICMPSocketModePreference: String, Sendable, Hashable {
    /// Datagram first (least privilege), raw as fallback.
    case automatic
    /// Raw only; fail if it cannot be opened.
    case raw
    /// Datagram only; fail if it cannot be opened.
    case datagram
}

/// Errors thrown while setting up the engine.
public enum ICMPEngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The socket for `family` could not be opened in any allowed mode.
    case socketUnavailable(family: ICMPFamily, preference: ICMPSocketModePreference, errno: Int32)
    /// Neither IPv4 nor IPv6 could be opened (or both are disabled).
    case noUsableSocket
    /// A pipe / thread resource could not be created.
    case resourceUnavailable(String)
    /// `start()` was called twice or after `shutdown()`.
    case invalidLifecycle(String)

    /// Human-readable description including `strerror`.
    public var description: String {
        switch self {
        case let .socketUnavailable(family, preference, code):
            return "cannot open \(family) ICMP socket (preference \(preference.rawValue)): \(String(cString: strerror(code)))"
        case .noUsableSocket: return "no ICMP socket could be opened for any enabled family"
        case .resourceUnavailable(let what): return "resource unavailable: \(what)"
        case .invalidLifecycle(let what): return "invalid lifecycle: \(what)"
        }
    }
}

/// One entry read from a datagram socket's error queue.
struct ErrorQueueEntry {
    /// `SO_EE_ORIGIN_*`: 1 local, 2 ICMP, 3 ICMPv6.
    var origin: UInt8
    var type: UInt8
    var code: UInt8
    var errnoValue: UInt32
    var offender: IPAddress?
    var destination: IPAddress?
    /// Identifier/sequence of the original echo request (first bytes of the payload).
    var identifier: UInt16?
    var sequence: UInt16?
}

/// A shared ICMP socket for one address family. A value type holding the fd:
/// the engine owns the lifetime and closes it exactly once at shutdown.
struct ICMPSocket: Sendable {
    let fd: Int32
    let family: ICMPFamily
    let mode: ICMPSocketMode
    /// Identifier the kernel will put in replies: the bound port for datagram
    /// sockets; for raw sockets the random base the engine rotates from.
    let identifier: UInt16

    // Linux constants not reliably imported by Glibc (macros / enums).
    static let solIP: Int32 = 0
    static let ipRecvErr: Int32 = 11
    static let solIPv6: Int32 = 41
    static let ipv6RecvErr: Int32 = 25
    static let solRaw: Int32 = 255
    static let icmpFilter: Int32 = 1
    static let icmp6Filter: Int32 = 1
    static let soRcvBufForce: Int32 = 33
    static let soSndBufForce: Int32 = 32
    static let msgErrQueue: Int32 = 0x2000
    static let msgDontWait: Int32 = 0x40
    /// `SO_TIMESTAMPNS` (`SO_TIMESTAMPNS_OLD`, 64-bit Linux), also the type of its `SCM_TIMESTAMPNS`
    /// record: Swift cannot import the macro, which picks between old and new at compile time.
    static let soTimestampNS: Int32 = 35

    /// Opens the socket following `preference`. Automatic tries datagram first
    /// because it needs no privilege and the kernel already filters replies.
    static func open(family: ICMPFamily, preference: ICMPSocketModePreference, identifier: UInt16, bufferBytes: Int) throws(ICMPEngineError) -> ICMPSocket {
        var lastErrno: Int32 = 0
        if preference != .raw {
            let result = openDatagram(family: family, identifier: identifier, bufferBytes: bufferBytes)
            switch result {
            case .success(let socket): return socket
            case .failure(let box): lastErrno = box.code
            }
            if preference == .datagram {
                throw .socketUnavailable(family: family, preference: preference, errno: lastErrno)
            }
        }
        let domain = family == .ipv4 ? AF_INET : AF_INET6
        let proto: Int32 = family == .ipv4 ? 1 : 58
        let fd = socket(domain, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), proto)
        guard fd >= 0 else {
            throw .socketUnavailable(family: family, preference: preference, errno: errno)
        }
        // Kernel-side type filter: raw sockets otherwise also receive our own
        // outgoing requests (on loopback) and every ICMP type on the host,
        // which would double receive-buffer pressure during big sweeps.
        if family == .ipv4 {
            let wanted: UInt32 = (1 << 0) | (1 << 3) | (1 << 11) | (1 << 12)
            var filter: UInt32 = ~wanted
            _ = setsockopt(fd, solRaw, icmpFilter, &filter, socklen_t(MemoryLayout<UInt32>.size))
        } else {
            var filter = [UInt32](repeating: 0xFFFF_FFFF, count: 8) // bit set = blocked
            for type in [1, 2, 3, 4, 129] { filter[type >> 5] &= ~(UInt32(1) << UInt32(type & 31)) }
            _ = setsockopt(fd, 58, icmp6Filter, &filter, socklen_t(32))
        }
        setBuffers(fd: fd, bytes: bufferBytes)
        enableArrivalTimes(fd: fd)
        return ICMPSocket(fd: fd, family: family, mode: .raw, identifier: identifier)
    }

    private static func openDatagram(family: ICMPFamily, identifier: UInt16, bufferBytes: Int) -> Result<ICMPSocket, ErrnoBox> {
        let domain = family == .ipv4 ? AF_INET : AF_INET6
        let proto: Int32 = family == .ipv4 ? 1 : 58
        let fd = socket(domain, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), proto)
        guard fd >= 0 else { return .failure(ErrnoBox(errno)) }
        // Binding the port chooses the echo identifier; if our random choice is
        // taken, let the kernel pick one and read it back.
        if !bindPort(fd: fd, family: family, port: identifier) && !bindPort(fd: fd, family: family, port: 0) {
            let code = errno
            close(fd)
            return .failure(ErrnoBox(code))
        }
        guard let bound = boundPort(fd: fd, family: family) else {
            let code = errno
            close(fd)
            return .failure(ErrnoBox(code))
        }
        var on: Int32 = 1
        if family == .ipv4 {
            _ = setsockopt(fd, solIP, ipRecvErr, &on, socklen_t(MemoryLayout<Int32>.size))
        } else {
            _ = setsockopt(fd, solIPv6, ipv6RecvErr, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        setBuffers(fd: fd, bytes: bufferBytes)
        enableArrivalTimes(fd: fd)
        return .success(ICMPSocket(fd: fd, family: family, mode: .datagram, identifier: bound))
    }

    struct ErrnoBox: Error { let code: Int32; init(_ c: Int32) { code = c } }

    private static func bindPort(fd: Int32, family: ICMPFamily, port: UInt16) -> Bool {
        if family == .ipv4 {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        } else {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
            }
        }
    }

    private static func boundPort(fd: Int32, family: ICMPFamily) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { return nil }
        return withUnsafePointer(to: &storage) { ptr -> UInt16 in
            let raw = UnsafeRawPointer(ptr)
            if family == .ipv4 { return UInt16(bigEndian: raw.assumingMemoryBound(to: sockaddr_in.self).pointee.sin_port) }
            return UInt16(bigEndian: raw.assumingMemoryBound(to: sockaddr_in6.self).pointee.sin6_port)
        }
    }

    /// Every datagram gets the time it arrived (see ``receive(into:source:arrivedAt:)``). Without
    /// it the receive thread would have to wake for every reply to time it.
    private static func enableArrivalTimes(fd: Int32) {
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, soTimestampNS, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Large buffers matter more than anything else for sweeps: a burst of
    /// replies beyond the receive buffer is silently dropped = false loss.
    /// As root the *FORCE variants bypass `net.core.rmem_max`.
    private static func setBuffers(fd: Int32, bytes: Int) {
        var size = Int32(clamping: bytes)
        let len = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(fd, SOL_SOCKET, soRcvBufForce, &size, len) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, len)
        }
        if setsockopt(fd, SOL_SOCKET, soSndBufForce, &size, len) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, len)
        }
    }

    /// Sends one packet; returns 0 or the errno.
    func send(_ bytes: [UInt8], to target: IPAddress) -> Int32 {
        let sent = bytes.withUnsafeBytes { buffer in
            target.withSockaddr { address, length in
                sendto(fd, buffer.baseAddress, buffer.count, Self.msgDontWait, address, length)
            }
        }
        return sent < 0 ? errno : 0
    }

    /// Non-blocking read of one datagram. Returns byte count, or -errno.
    /// Reads one datagram; returns its length or `-errno`. `arrivedAt` gets the wall-clock
    /// nanoseconds the kernel stamped it with when it came in (`nil` when it did not), so a reply
    /// read some time later still measures its round trip to the moment it arrived.
    func receive(into buffer: UnsafeMutableRawBufferPointer, source: UnsafeMutablePointer<sockaddr_storage>, arrivedAt: inout UInt64?) -> Int {
        // Room for one 16-byte cmsghdr and a 16-byte timespec, 8-aligned, on the stack.
        var control: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        let (n, controlLength) = withUnsafeMutableBytes(of: &control) { controlBytes -> (Int, Int) in
            let (got, length) = receiveMessage(into: buffer, name: UnsafeMutableRawPointer(source), control: controlBytes, flags: Self.msgDontWait)
            return (got < 0 ? -Int(errno) : got, length)
        }
        arrivedAt = nil
        guard n >= 0 else { return n }
        withUnsafeBytes(of: &control) { raw in
            let headerSize = 16 // size_t len + int level + int type on LP64
            guard controlLength >= headerSize + 16 else { return }
            let length = raw.loadUnaligned(fromByteOffset: 0, as: Int.self)
            let level = raw.loadUnaligned(fromByteOffset: 8, as: Int32.self)
            let type = raw.loadUnaligned(fromByteOffset: 12, as: Int32.self)
            guard level == SOL_SOCKET, type == Self.soTimestampNS, length >= headerSize + 16 else { return }
            let seconds = raw.loadUnaligned(fromByteOffset: headerSize, as: Int.self)
            let nanoseconds = raw.loadUnaligned(fromByteOffset: headerSize + 8, as: Int.self)
            guard seconds > 0, (0..<1_000_000_000).contains(nanoseconds) else { return }
            arrivedAt = UInt64(seconds) &* 1_000_000_000 &+ UInt64(nanoseconds)
        }
        return n
    }

    /// One `recvmsg`: the datagram into `buffer`, its sender into `name` (a `sockaddr_storage`), its
    /// control records into `control`. Returns what `recvmsg` returned (`-1` with `errno` set) and
    /// the length of the control records.
    private func receiveMessage(into buffer: UnsafeMutableRawBufferPointer, name: UnsafeMutableRawPointer,
                                control: UnsafeMutableRawBufferPointer, flags: Int32) -> (Int, Int) {
        var iov = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        return withUnsafeMutablePointer(to: &iov) { iovPointer in
            var message = msghdr()
            message.msg_name = name
            message.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            message.msg_iov = iovPointer
            message.msg_iovlen = 1
            message.msg_control = control.baseAddress
            message.msg_controllen = control.count
            let got = recvmsg(fd, &message, flags)
            return (got, got >= 0 ? Int(message.msg_controllen) : 0)
        }
    }

    /// Reads one entry from the error queue (datagram sockets with IP_RECVERR).
    /// Returns nil when the queue is empty.
    func receiveError(buffer: UnsafeMutableRawBufferPointer) -> ErrorQueueEntry? {
        var name = sockaddr_storage()
        var control = [UInt64](repeating: 0, count: 64) // 512 bytes, 8-aligned for cmsghdr
        let (payloadLength, controlLength): (Int, Int) = withUnsafeMutablePointer(to: &name) { namePtr in
            control.withUnsafeMutableBytes { controlBytes in
                receiveMessage(into: buffer, name: UnsafeMutableRawPointer(namePtr), control: controlBytes, flags: Self.msgErrQueue | Self.msgDontWait)
            }
        }
        guard payloadLength >= 0 else { return nil }
        var entry = ErrorQueueEntry(origin: 0, type: 0, code: 0, errnoValue: 0)
        entry.destination = withUnsafePointer(to: &name) { IPAddress(storage: $0) }
        if payloadLength >= 8 {
            entry.identifier = UInt16(buffer[4]) << 8 | UInt16(buffer[5])
            entry.sequence = UInt16(buffer[6]) << 8 | UInt16(buffer[7])
        }
        // Walk cmsghdr records by hand: CMSG_* are C macros Swift cannot import.
        control.withUnsafeBytes { raw in
            let headerSize = 16 // size_t len + int level + int type on LP64
            var offset = 0
            while offset + headerSize <= controlLength {
                let length = raw.loadUnaligned(fromByteOffset: offset, as: Int.self)
                let level = raw.loadUnaligned(fromByteOffset: offset + 8, as: Int32.self)
                let type = raw.loadUnaligned(fromByteOffset: offset + 12, as: Int32.self)
                guard length >= headerSize, offset + length <= controlLength else { break }
                if (level == Self.solIP && type == Self.ipRecvErr) || (level == Self.solIPv6 && type == Self.ipv6RecvErr),
                   length >= headerSize + 16 {
                    let data = offset + headerSize
                    entry.errnoValue = raw.loadUnaligned(fromByteOffset: data, as: UInt32.self)
                    entry.origin = raw[data + 4]
                    entry.type = raw[data + 5]
                    entry.code = raw[data + 6]
                    // The offender sockaddr (SO_EE_OFFENDER) follows the 16-byte struct.
                    let offenderOffset = data + 16
                    if offenderOffset + 2 <= offset + length {
                        let family = raw.loadUnaligned(fromByteOffset: offenderOffset, as: UInt16.self)
                        if Int32(family) == AF_INET, offenderOffset + 8 <= offset + length {
                            entry.offender = IPAddress(networkBytes: UnsafeRawBufferPointer(rebasing: raw[(offenderOffset + 4)..<(offenderOffset + 8)]))
                        } else if Int32(family) == AF_INET6, offenderOffset + 24 <= offset + length {
                            entry.offender = IPAddress(networkBytes: UnsafeRawBufferPointer(rebasing: raw[(offenderOffset + 8)..<(offenderOffset + 24)]))
                        }
                    }
                }
                offset += (length + 7) & ~7
            }
        }
        return entry
    }

    /// Closes the descriptor.
    func closeSocket() { _ = close(fd) }
}
