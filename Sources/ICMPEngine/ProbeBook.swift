import Foundation

/// Key of an in-flight echo. The identifier is part of the key because raw
/// sockets see every echo reply on the host: other programs' pings (and other
/// engines in the same process) must not complete our probes.
struct ProbeKey: Hashable, Sendable {
    var family: ICMPFamily
    var identifier: UInt16
    var sequence: UInt16
}

/// The engine's bookkeeping as a pure value: checks, in-flight probes, the
/// send queue and the timeout queue. It performs no I/O and never reads the
/// clock, so the engine can keep it behind one `Mutex` and tests can drive it
/// with synthetic times. All work is O(log n) per packet.
struct ProbeBook {
    /// Callback invoked (outside the lock) with a finished check.
    typealias Completion = @Sendable (ICMPCheckResult) -> Void

    /// How echo keys are allocated for one family.
    struct KeyPolicy {
        /// Datagram sockets: the identifier *is* the socket's port and cannot vary.
        /// Raw sockets: we own the identifier, so it rotates every 65,536 probes,
        /// which lifts the 16-bit sequence limit on outstanding probes.
        var baseIdentifier: UInt16
        var identifierIsFixed: Bool
    }

    struct Check {
        let address: String
        let target: IPAddress
        let count: Int
        let intervalNanoseconds: UInt64
        let timeoutNanoseconds: UInt64
        let startedAt: Date
        let startedNanoseconds: UInt64
        let completion: Completion
        var sent = 0
        var received = 0
        /// Echoes the local host refused to send (EPERM/EACCES: a local firewall); each is lost.
        var refused = 0
        var settled = 0
        var retries = 0
        var rttMinNanoseconds: UInt64 = .max
        var rttMaxNanoseconds: UInt64 = 0
        var rttSumNanoseconds: UInt64 = 0
        var failReason: String?
        var replyFrom: IPAddress?
    }

    struct Probe {
        let checkID: UInt64
        let token: UInt64
        let reservedNanoseconds: UInt64
        let target: IPAddress
        /// Set when the local stack refused the send (EPERM from a firewall):
        /// we keep waiting briefly because the matching ICMP error, if any,
        /// carries the precise reason.
        var provisionalFailure: String?
    }

    /// An echo the engine must now put on the wire.
    struct SendOrder: Sendable {
        let key: ProbeKey
        let token: UInt64
        let target: IPAddress
    }

    /// A completed check plus its callback, handed out so the caller can
    /// invoke callbacks after releasing the lock.
    struct Finished: Sendable {
        let result: ICMPCheckResult
        let completion: Completion
    }

    struct PendingSend {
        let checkID: UInt64
        let echoIndex: Int
        let isRetry: Bool
    }

    struct PendingTimeout {
        let key: ProbeKey
        let token: UInt64
    }

    /// How one echo ended.
    enum Outcome {
        case received(rttNanoseconds: UInt64, from: IPAddress?)
        case lost
        case failed(reason: String, from: IPAddress?)
    }

    static let retryDelayNanoseconds: UInt64 = 1_000_000
    static let maximumRetriesPerCheck = 200
    static let keyAllocationAttempts = 4096

    let cookie: UInt32
    private var policies: [KeyPolicy]
    private var counters: [UInt32] = [0, 0]
    private(set) var checks: [UInt64: Check] = [:]
    private(set) var outstanding: [ProbeKey: Probe] = [:]
    private var sends = DeadlineQueue<PendingSend>()
    private var timeouts = DeadlineQueue<PendingTimeout>()
    private var nextCheckID: UInt64 = 1
    private var nextToken: UInt64 = 1

    init(cookie: UInt32, ipv4: KeyPolicy, ipv6: KeyPolicy) {
        self.cookie = cookie
        self.policies = [ipv4, ipv6]
        // Random starting sequence so two engine restarts do not reuse keys.
        counters = [UInt32(UInt16.random(in: 0...UInt16.max)), UInt32(UInt16.random(in: 0...UInt16.max))]
    }

    /// Number of in-flight echoes.
    var outstandingCount: Int { outstanding.count }
    /// Number of unfinished checks.
    var checkCount: Int { checks.count }

    @inline(__always)
    private static func index(_ family: ICMPFamily) -> Int { family == .ipv4 ? 0 : 1 }

    /// The key policy in force for `family`.
    func policy(for family: ICMPFamily) -> KeyPolicy { policies[Self.index(family)] }

    /// Registers a check whose first echo is due at `now`.
    @discardableResult
    mutating func addCheck(address: String, target: IPAddress, count: Int, intervalNanoseconds: UInt64, timeoutNanoseconds: UInt64,
                           now: UInt64, startedAt: Date, completion: @escaping Completion) -> UInt64 {
        let id = nextCheckID
        nextCheckID &+= 1
        checks[id] = Check(address: address, target: target, count: count, intervalNanoseconds: intervalNanoseconds,
                           timeoutNanoseconds: timeoutNanoseconds, startedAt: startedAt, startedNanoseconds: now, completion: completion)
        sends.push(PendingSend(checkID: id, echoIndex: 0, isRetry: false), deadline: now)
        return id
    }

    private mutating func allocateKey(family: ICMPFamily) -> ProbeKey? {
        let i = Self.index(family)
        let policy = policies[i]
        for _ in 0..<Self.keyAllocationAttempts {
            let counter = counters[i]
            counters[i] &+= 1
            let identifier = policy.identifierIsFixed
                ? policy.baseIdentifier
                : policy.baseIdentifier &+ UInt16(truncatingIfNeeded: counter >> 16)
            let key = ProbeKey(family: family, identifier: identifier, sequence: UInt16(truncatingIfNeeded: counter))
            if outstanding[key] == nil { return key }
        }
        return nil
    }

    /// Pops due sends while the rate limiter grants tokens, registering each
    /// probe as outstanding *before* it is sent so a fast reply always finds it.
    mutating func nextSends(now: UInt64, limit: Int, limiter: inout TokenBucket, finished: inout [Finished]) -> [SendOrder] {
        var orders: [SendOrder] = []
        while orders.count < limit, let due = sends.nextDeadline, due <= now {
            guard limiter.tryAcquire(now: now) else { break }
            guard let pending = sends.popFirst(), var check = checks[pending.checkID] else { continue }
            if !pending.isRetry && pending.echoIndex + 1 < check.count {
                // Spacing is measured from the moment this echo was released, so
                // rate-limit queueing never squeezes one target's echoes together.
                sends.push(PendingSend(checkID: pending.checkID, echoIndex: pending.echoIndex + 1, isRetry: false),
                           deadline: now + check.intervalNanoseconds)
            }
            guard let key = allocateKey(family: check.target.family) else {
                settle(checkID: pending.checkID, outcome: .failed(reason: "sequence_space_exhausted", from: nil), finished: &finished)
                continue
            }
            let token = nextToken
            nextToken &+= 1
            outstanding[key] = Probe(checkID: pending.checkID, token: token, reservedNanoseconds: now, target: check.target)
            timeouts.push(PendingTimeout(key: key, token: token), deadline: now + check.timeoutNanoseconds)
            check.sent += 1
            checks[pending.checkID] = check
            orders.append(SendOrder(key: key, token: token, target: check.target))
        }
        return orders
    }

    /// How the engine classified a failed `sendto`.
    enum SendFailure {
        /// Transient (EAGAIN / ENOBUFS): try the same echo again shortly.
        case retry
        /// Refused locally (EPERM): wait for a possible ICMP error, else fail with this reason at timeout.
        case provisional(String)
        /// Definitive failure with this reason.
        case final(String)
    }

    /// Records that `order` could not be sent. A transient failure is retried and not counted;
    /// any other failed send stays counted in `sent` and is a lost echo with its reason — a
    /// local firewall dropping half the echoes once read "8/8 replies, 0 % loss".
    mutating func sendFailed(_ order: SendOrder, failure: SendFailure, now: UInt64, finished: inout [Finished]) {
        guard let probe = outstanding[order.key], probe.token == order.token, var check = checks[probe.checkID] else { return }
        switch failure {
        case .retry where check.retries < Self.maximumRetriesPerCheck:
            check.sent -= 1
            check.retries += 1
            checks[probe.checkID] = check
            outstanding[order.key] = nil
            sends.push(PendingSend(checkID: probe.checkID, echoIndex: -1, isRetry: true), deadline: now + Self.retryDelayNanoseconds)
        case .retry:
            checks[probe.checkID] = check
            outstanding[order.key] = nil
            settle(checkID: probe.checkID, outcome: .failed(reason: "send_failed", from: nil), finished: &finished)
        case .provisional(let reason):
            check.refused += 1
            checks[probe.checkID] = check
            outstanding[order.key]?.provisionalFailure = reason
        case .final(let reason):
            checks[probe.checkID] = check
            outstanding[order.key] = nil
            settle(checkID: probe.checkID, outcome: .failed(reason: reason, from: nil), finished: &finished)
        }
    }

    /// Expires echoes whose deadline passed. Entries for already-answered
    /// probes are skipped by token (lazy deletion).
    mutating func expireTimeouts(now: UInt64, finished: inout [Finished]) {
        while let entry = timeouts.popDue(now: now) {
            guard let probe = outstanding[entry.key], probe.token == entry.token else { continue }
            outstanding[entry.key] = nil
            let outcome: Outcome = probe.provisionalFailure.map { .failed(reason: $0, from: nil) } ?? .lost
            settle(checkID: probe.checkID, outcome: outcome, finished: &finished)
        }
    }

    /// Matches an echo reply (cookie already verified by the classifier).
    /// Returns false if no probe with that key is in flight (late, duplicate or foreign).
    @discardableResult
    mutating func recordReply(key: ProbeKey, source: IPAddress?, timestampNanoseconds: UInt64, receivedNanoseconds: UInt64,
                              finished: inout [Finished]) -> Bool {
        guard let probe = outstanding.removeValue(forKey: key) else { return false }
        // Prefer the timestamp the packet carried (taken right before sendto);
        // fall back to reservation time if it looks implausible.
        let sentAt = (timestampNanoseconds >= probe.reservedNanoseconds && timestampNanoseconds <= receivedNanoseconds)
            ? timestampNanoseconds : probe.reservedNanoseconds
        let rtt = receivedNanoseconds >= sentAt ? receivedNanoseconds - sentAt : 0
        settle(checkID: probe.checkID, outcome: .received(rttNanoseconds: rtt, from: source), finished: &finished)
        return true
    }

    /// Matches an ICMP error quoting one of our requests. The quoted destination
    /// must equal the probe's target, because the 8 quoted bytes do not include
    /// our cookie and the key alone could collide with another pinger's.
    @discardableResult
    mutating func recordError(_ quote: ICMPErrorQuote, finished: inout [Finished]) -> Bool {
        let key = ProbeKey(family: quote.family, identifier: quote.identifier, sequence: quote.sequence)
        guard let probe = outstanding[key] else { return false }
        if let destination = quote.quotedDestination, destination != probe.target { return false }
        outstanding[key] = nil
        settle(checkID: probe.checkID, outcome: .failed(reason: quote.reason, from: quote.reporter), finished: &finished)
        return true
    }

    /// Earliest instant the scheduler must wake: the next timeout, or the next
    /// due send once the rate limiter can grant a token.
    func nextDeadline(now: UInt64, limiter: TokenBucket) -> UInt64? {
        var result = timeouts.nextDeadline
        if let send = sends.nextDeadline {
            let ready = max(send, limiter.nextAvailable(now: now))
            result = min(result ?? ready, ready)
        }
        return result
    }

    /// Finishes every check with `reason` (used at shutdown).
    mutating func failAll(reason: String, now: UInt64, finished: inout [Finished]) {
        for (_, check) in checks {
            var result = Self.makeResult(check, now: now)
            result.status = .fail
            result.reason = reason
            finished.append(Finished(result: result, completion: check.completion))
        }
        checks.removeAll()
        outstanding.removeAll()
        sends = DeadlineQueue()
        timeouts = DeadlineQueue()
    }

    private mutating func settle(checkID: UInt64, outcome: Outcome, finished: inout [Finished]) {
        guard var check = checks[checkID] else { return }
        switch outcome {
        case .received(let rtt, let from):
            check.received += 1
            check.rttMinNanoseconds = min(check.rttMinNanoseconds, rtt)
            check.rttMaxNanoseconds = max(check.rttMaxNanoseconds, rtt)
            check.rttSumNanoseconds &+= rtt
            if let from { check.replyFrom = from }
        case .lost:
            break
        case .failed(let reason, let from):
            check.failReason = reason
            if let from { check.replyFrom = from }
        }
        check.settled += 1
        if check.settled >= check.count {
            checks[checkID] = nil
            finished.append(Finished(result: Self.makeResult(check, now: nil), completion: check.completion))
        } else {
            checks[checkID] = check
        }
    }

    /// Builds the public result. `now == nil` reads the monotonic clock (the
    /// only clock read in this type, kept here so duration is exact).
    static func makeResult(_ check: Check, now: UInt64?) -> ICMPCheckResult {
        let end = now ?? MonotonicClock.nowNanoseconds()
        let attempted = max(check.count, 1)
        let loss = Double(attempted - check.received) / Double(attempted) * 100
        let status: ICMPStatus
        let reason: String
        if check.received >= check.count {
            status = .success
            reason = "ok"
        } else if check.received > 0 {
            status = .loss
            reason = check.refused > 0 ? "send_refused" : "partial_loss"
        } else if let fail = check.failReason {
            status = .fail
            reason = fail
        } else {
            status = .timeout
            reason = "no_reply"
        }
        let ms = { (ns: UInt64) in Double(ns) / 1e6 }
        let hasRTT = check.received > 0
        return ICMPCheckResult(
            address: check.address, status: status, reason: reason, sent: check.sent, received: check.received,
            refused: check.refused, lossPercent: loss,
            rttMinMs: hasRTT ? ms(check.rttMinNanoseconds) : nil,
            rttAvgMs: hasRTT ? ms(check.rttSumNanoseconds) / Double(check.received) : nil,
            rttMaxMs: hasRTT ? ms(check.rttMaxNanoseconds) : nil,
            replyFrom: check.replyFrom?.description,
            startedAt: check.startedAt,
            durationMs: end >= check.startedNanoseconds ? ms(end - check.startedNanoseconds) : 0)
    }
}
