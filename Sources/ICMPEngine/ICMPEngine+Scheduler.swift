import Foundation
import Glibc
import Synchronization

/// The scheduler thread: sends paced by the token bucket, timeouts expired, and what a failed send
/// means for its check.
extension ICMPEngine {
    /// Services the send queue (through the token bucket) and the timeout queue.
    func schedulerLoop() {
        let batchLimit = max(1, configuration.sendBatchSize)
        let tickNanoseconds = configuration.tick.clampedNanoseconds
        var finished: [ProbeBook.Finished] = []
        var drain = [UInt8](repeating: 0, count: 256)
        while running.load(ordering: .acquiring) {
            finished.removeAll(keepingCapacity: true)
            let now = MonotonicClock.nowNanoseconds()
            let (orders, nextWake) = state.withLock { s -> ([ProbeBook.SendOrder], UInt64?) in
                s.book.expireTimeouts(now: now, finished: &finished)
                let orders = s.book.nextSends(now: now, limit: batchLimit, limiter: &s.limiter, finished: &finished)
                s.wakePending = false
                return (orders, s.book.nextDeadline(now: now, limiter: s.limiter))
            }
            deliver(finished)
            if !orders.isEmpty {
                perform(orders)
                continue
            }
            // Sleep until the next deadline (but at least one tick), a wake-up, or 100 ms (so stop is prompt).
            let cap: UInt64 = 100_000_000
            let sleepNs = nextWake.map { $0 > now ? min(max($0 - now, tickNanoseconds), cap) : 0 } ?? cap
            if sleepNs == 0 { continue }
            // poll() has millisecond resolution (ppoll is not importable without
            // _GNU_SOURCE); rounding up means pacing releases small bursts per ms,
            // which the token bucket already bounds.
            var pfd = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
            let sleepMs = Int32((sleepNs + 999_999) / 1_000_000)
            if poll(&pfd, 1, sleepMs) > 0 {
                _ = read(wakeRead, &drain, drain.count)
            }
        }
    }

    /// Errnos that may be a *stale* asynchronous ICMP error of an earlier probe
    /// (the kernel parks it in sk_err and reports it on the next syscall).
    private static let possiblyStaleErrnos: Set<Int32> = [EHOSTUNREACH, ENETUNREACH, ECONNREFUSED, EPROTO, EHOSTDOWN, ENONET, ETIMEDOUT]

    /// What a failed send means for its check: retry it, a provisional reason, or a final one.
    static func classifySendError(_ code: Int32) -> ProbeBook.SendFailure {
        switch code {
        case EAGAIN, ENOBUFS, EINTR, ENOMEM: return .retry
        // The local host refused (a firewall rule on OUTPUT): the echo never left. Provisional
        // because an ICMP error from the network, if one comes, names the cause more exactly.
        case EPERM, EACCES: return .provisional("send_refused")
        case EHOSTUNREACH, EHOSTDOWN: return .final("host_unreachable")
        case ENETUNREACH, ENONET: return .final("net_unreachable")
        case ECONNREFUSED: return .final("port_unreachable")
        default: return .final("send_failed")
        }
    }

    /// Sends one batch of echoes, retrying an errno that may be a stale error of an earlier probe
    /// (twice at most), and books the sends that failed.
    private func perform(_ orders: [ProbeBook.SendOrder]) {
        var failures: [(ProbeBook.SendOrder, Int32)] = []
        for order in orders {
            guard let socket = socket(for: order.target.family) else {
                failures.append((order, EAFNOSUPPORT))
                continue
            }
            let type = order.target.family == .ipv4 ? EchoPacket.ipv4Request : EchoPacket.ipv6Request
            let packet = EchoPacket(type: type, identifier: order.key.identifier, sequence: order.key.sequence,
                                    timestampNanoseconds: MonotonicClock.nowNanoseconds(), cookie: cookie)
                .encode(family: order.target.family, payloadSize: configuration.payloadSize)
            var code = socket.send(packet, to: order.target)
            var attempts = 0
            while code != 0 && Self.possiblyStaleErrnos.contains(code) && attempts < 2 {
                attempts += 1
                code = socket.send(packet, to: order.target)
            }
            if code != 0 { failures.append((order, code)) }
        }
        guard !failures.isEmpty else { return }
        var finished: [ProbeBook.Finished] = []
        let now = MonotonicClock.nowNanoseconds()
        state.withLock { s in
            for (order, code) in failures {
                let failure: ProbeBook.SendFailure = code == EAFNOSUPPORT ? .final("socket_error") : Self.classifySendError(code)
                s.book.sendFailed(order, failure: failure, now: now, finished: &finished)
            }
        }
        deliver(finished)
    }
}
