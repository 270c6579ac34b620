import Foundation
import Glibc
import Synchronization

/// The receive threads, one per socket: echo replies, ICMP errors and the datagram error queue,
/// booked against the checks in flight.
extension ICMPEngine {
    /// Drains one socket: replies, ICMP errors and (datagram) the error queue. After each look it
    /// sleeps one ``ICMPEngineConfiguration/tick``: the replies that come meanwhile wait in the
    /// socket with the kernel's arrival stamp (their round trip is measured to it), and are read
    /// and booked together. A reply that arrives within the last tick before its echo's timeout
    /// may be read after it and count as lost.
    ///
    /// Why: woken per reply, the thread woke ~1,500 times a second at 16,670 cameras every 10 s
    /// (5,000 echoes a second), and on the loopback each of those wake-ups also preempted the
    /// scheduler thread in the middle of its `sendto` (~1,080 a second; `scripts/threads.py`).
    func receiveLoop(_ socket: ICMPSocket) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 8)
        defer { buffer.deallocate() }
        var source = sockaddr_storage()
        var events: [(InboundMessage, UInt64)] = []
        var finished: [ProbeBook.Finished] = []
        let includesIPHeader = socket.family == .ipv4 && socket.mode == .raw
        let tickNanoseconds = configuration.tick.clampedNanoseconds
        var tick = timespec(tv_sec: Int(tickNanoseconds / 1_000_000_000), tv_nsec: Int(tickNanoseconds % 1_000_000_000))
        var looked = false
        while running.load(ordering: .acquiring) {
            if looked, tickNanoseconds > 0 { _ = nanosleep(&tick, nil) }
            var pfd = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 100)
            looked = ready > 0
            guard ready > 0 else { continue }
            events.removeAll(keepingCapacity: true)
            let clocks = MonotonicClock.WallClockConverter()
            for _ in 0..<1024 {
                var arrivedAt: UInt64?
                let n = socket.receive(into: buffer, source: &source, arrivedAt: &arrivedAt)
                if n < 0 {
                    let code = Int32(-n)
                    if code == EAGAIN || code == EWOULDBLOCK { break }
                    continue // EINTR or a parked async ICMP error (sk_err); the queue entry/raw copy carries the detail
                }
                let received = arrivedAt.map(clocks.monotonic(ofWall:)) ?? MonotonicClock.nowNanoseconds()
                let from = withUnsafePointer(to: &source) { IPAddress(storage: $0) }
                let message = InboundMessage.classify(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), family: socket.family,
                                                      includesIPv4Header: includesIPHeader, source: from, cookie: cookie)
                if case .ignored = message { continue }
                events.append((message, received))
            }
            if socket.mode == .datagram || pfd.revents & Int16(POLLERR) != 0 {
                for _ in 0..<1024 {
                    guard let entry = socket.receiveError(buffer: buffer) else { break }
                    if let quote = Self.quote(from: entry, family: socket.family) {
                        events.append((.error(quote), MonotonicClock.nowNanoseconds()))
                    }
                }
            }
            guard !events.isEmpty else { continue }
            finished.removeAll(keepingCapacity: true)
            state.withLock { s in
                for (message, received) in events {
                    switch message {
                    case let .reply(identifier, sequence, from, timestamp):
                        s.book.recordReply(key: ProbeKey(family: socket.family, identifier: identifier, sequence: sequence),
                                           source: from, timestampNanoseconds: timestamp, receivedNanoseconds: received, finished: &finished)
                    case let .error(quote):
                        s.book.recordError(quote, finished: &finished)
                    case .ignored:
                        break
                    }
                }
            }
            deliver(finished)
        }
    }

    /// Converts a datagram error-queue entry into a quote. Origin 2/3 are ICMP
    /// errors from the network; origin 1 is a local error (reason from errno).
    static func quote(from entry: ErrorQueueEntry, family: ICMPFamily) -> ICMPErrorQuote? {
        guard let identifier = entry.identifier, let sequence = entry.sequence else { return nil }
        var quote = ICMPErrorQuote(family: family, identifier: identifier, sequence: sequence,
                                   quotedDestination: entry.destination, reporter: entry.offender,
                                   type: entry.type, code: entry.code)
        if entry.origin != 2 && entry.origin != 3 {
            switch classifySendError(Int32(entry.errnoValue)) {
            case .final(let reason), .provisional(let reason): quote.reason = reason
            case .retry: return nil
            }
        }
        return quote
    }
}
