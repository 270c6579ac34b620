import Foundation
import Synchronization
import Testing
import TestSupport
@testable import ICMPEngine

@Suite("Token bucket (injected clock)", .runsAlone)
struct RateLimiterTests {
    @Test("A full bucket grants exactly `burst` packets, then refuses")
    func burstThenRefuse() {
        var bucket = TokenBucket(packetsPerSecond: 1_000, burst: 5, now: 0)
        for _ in 0..<5 { do { let outcome = bucket.tryAcquire(now: 0); #expect(outcome) } }
        do { let outcome = bucket.tryAcquire(now: 0); #expect(!outcome) }
    }

    @Test("Tokens refill at the configured rate")
    func refill() {
        var bucket = TokenBucket(packetsPerSecond: 1_000, burst: 1, now: 0)
        do { let outcome = bucket.tryAcquire(now: 0); #expect(outcome) }
        do { let outcome = bucket.tryAcquire(now: 500_000); #expect(!outcome) } // 0.5 ms: half a token
        do { let outcome = bucket.tryAcquire(now: 1_000_000); #expect(outcome) } // 1 ms: one token
        #expect(bucket.nextAvailable(now: 1_000_000) == 2_000_000)
    }

    @Test("One simulated second at 2,000 pps releases about 2,000 packets plus the burst")
    func sustainedRate() {
        var bucket = TokenBucket(packetsPerSecond: 2_000, burst: 10, now: 0)
        var granted = 0
        var now: UInt64 = 0
        while now <= 1_000_000_000 {
            while bucket.tryAcquire(now: now) { granted += 1 }
            now += 100_000 // poll every 0.1 ms of fake time
        }
        #expect((2_000...2_011).contains(granted))
    }

    @Test("Idle time never accumulates more than the burst")
    func capped() {
        var bucket = TokenBucket(packetsPerSecond: 100, burst: 3, now: 0)
        var granted = 0
        while bucket.tryAcquire(now: 3_600_000_000_000) { granted += 1 }
        #expect(granted == 3)
    }

    @Test("Zero pps means unlimited")
    func unlimited() {
        var bucket = TokenBucket(packetsPerSecond: 0, burst: 1, now: 0)
        for _ in 0..<10_000 { do { let outcome = bucket.tryAcquire(now: 0); #expect(outcome) } }
    }
}

@Suite("Deadline queue", .runsAlone)
struct DeadlineQueueTests {
    @Test("Pops in deadline order, FIFO among equal deadlines, only when due")
    func ordering() {
        var queue = DeadlineQueue<String>()
        queue.push("c", deadline: 30)
        queue.push("a1", deadline: 10)
        queue.push("b", deadline: 20)
        queue.push("a2", deadline: 10)
        #expect(queue.popDue(now: 5) == nil)
        #expect(queue.popDue(now: 10) == "a1")
        #expect(queue.popDue(now: 10) == "a2")
        #expect(queue.popDue(now: 10) == nil)
        #expect(queue.popDue(now: 100) == "b")
        #expect(queue.popDue(now: 100) == "c")
        #expect(queue.isEmpty)
    }

    @Test("100,000 random deadlines come out sorted")
    func manyEntries() {
        var queue = DeadlineQueue<Int>()
        var generator = SystemRandomNumberGenerator()
        for i in 0..<100_000 { queue.push(i, deadline: UInt64.random(in: 0...1_000_000, using: &generator)) }
        var last: UInt64 = 0
        var popped = 0
        while let deadline = queue.nextDeadline {
            #expect(deadline >= last)
            last = deadline
            _ = queue.popFirst()
            popped += 1
        }
        #expect(popped == 100_000)
    }
}

/// Drives `ProbeBook` without sockets or wall time.
@Suite("Probe bookkeeping (no sockets, fake clock)", .runsAlone)
struct ProbeBookTests {
    final class Sink: Sendable {
        let results = Mutex<[ICMPCheckResult]>([])
        func callback() -> ProbeBook.Completion { { r in self.results.withLock { $0.append(r) } } }
        var all: [ICMPCheckResult] { results.withLock { $0 } }
    }

    static func book() -> ProbeBook {
        ProbeBook(cookie: 7, ipv4: .init(baseIdentifier: 1000, identifierIsFixed: false),
                  ipv6: .init(baseIdentifier: 2000, identifierIsFixed: true))
    }

    static let unlimited = TokenBucket(packetsPerSecond: 0, burst: 1, now: 0)

    static func deliver(_ finished: [ProbeBook.Finished]) { for f in finished { f.completion(f.result) } }

    @Test("All echoes answered gives success with RTTs")
    func success() throws {
        var book = Self.book()
        var limiter = Self.unlimited
        var finished: [ProbeBook.Finished] = []
        let sink = Sink()
        let target = try #require(IPAddress("127.0.0.1"))
        book.addCheck(address: "127.0.0.1", target: target, count: 2, intervalNanoseconds: 1_000, timeoutNanoseconds: 1_000_000,
                      now: 0, startedAt: Date(), completion: sink.callback())
        for now: UInt64 in [0, 1_000] {
            let orders = book.nextSends(now: now, limit: 10, limiter: &limiter, finished: &finished)
            #expect(orders.count == 1)
            do { let outcome = book.recordReply(key: orders[0].key, source: target, timestampNanoseconds: now, receivedNanoseconds: now + 500, finished: &finished); #expect(outcome) }
        }
        Self.deliver(finished)
        let result = try #require(sink.all.first)
        #expect(result.status == .success && result.received == 2 && result.rttMinMs != nil)
        #expect(result.rttMaxMs == 0.0005)
    }

    @Test("A reply with a foreign identifier does not complete our probe")
    func foreignIdentifier() throws {
        var book = Self.book()
        var limiter = Self.unlimited
        var finished: [ProbeBook.Finished] = []
        let target = try #require(IPAddress("127.0.0.1"))
        book.addCheck(address: "127.0.0.1", target: target, count: 1, intervalNanoseconds: 0, timeoutNanoseconds: 100,
                      now: 0, startedAt: Date(), completion: { _ in })
        let order = try #require(book.nextSends(now: 0, limit: 1, limiter: &limiter, finished: &finished).first)
        var foreign = order.key
        foreign.identifier &+= 0x4000
        do { let outcome = book.recordReply(key: foreign, source: target, timestampNanoseconds: 0, receivedNanoseconds: 10, finished: &finished); #expect(!outcome) }
        #expect(book.outstandingCount == 1)
    }

    @Test("No reply within the timeout gives timeout / no_reply; one of two gives loss")
    func timeoutAndLoss() throws {
        var book = Self.book()
        var limiter = Self.unlimited
        var finished: [ProbeBook.Finished] = []
        let sink = Sink()
        let silent = try #require(IPAddress("127.9.9.9"))
        let flaky = try #require(IPAddress("127.9.9.10"))
        book.addCheck(address: "silent", target: silent, count: 2, intervalNanoseconds: 10, timeoutNanoseconds: 100,
                      now: 0, startedAt: Date(), completion: sink.callback())
        book.addCheck(address: "flaky", target: flaky, count: 2, intervalNanoseconds: 10, timeoutNanoseconds: 100,
                      now: 0, startedAt: Date(), completion: sink.callback())
        var now: UInt64 = 0
        var answeredFlaky = false
        while now < 1_000 {
            for order in book.nextSends(now: now, limit: 10, limiter: &limiter, finished: &finished)
            where order.target == flaky && !answeredFlaky {
                answeredFlaky = book.recordReply(key: order.key, source: flaky, timestampNanoseconds: now, receivedNanoseconds: now + 1, finished: &finished)
            }
            book.expireTimeouts(now: now, finished: &finished)
            now += 5
        }
        Self.deliver(finished)
        let byAddress = Dictionary(uniqueKeysWithValues: sink.all.map { ($0.address, $0) })
        #expect(byAddress["silent"]?.status == .timeout)
        #expect(byAddress["silent"]?.reason == "no_reply")
        #expect(byAddress["flaky"]?.status == .loss)
        #expect(byAddress["flaky"]?.lossPercent == 50)
        #expect(book.checkCount == 0 && book.outstandingCount == 0)
    }

    @Test("An ICMP error for our key and destination fails the check with its reason")
    func errorFails() throws {
        var book = Self.book()
        var limiter = Self.unlimited
        var finished: [ProbeBook.Finished] = []
        let sink = Sink()
        let target = try #require(IPAddress("127.77.0.12"))
        book.addCheck(address: "x", target: target, count: 1, intervalNanoseconds: 0, timeoutNanoseconds: 100,
                      now: 0, startedAt: Date(), completion: sink.callback())
        let order = try #require(book.nextSends(now: 0, limit: 1, limiter: &limiter, finished: &finished).first)
        let wrongDestination = ICMPErrorQuote(family: .ipv4, identifier: order.key.identifier, sequence: order.key.sequence,
                                              quotedDestination: IPAddress("127.1.1.1"), reporter: nil, type: 3, code: 1)
        do { let outcome = book.recordError(wrongDestination, finished: &finished); #expect(!outcome) }
        let right = ICMPErrorQuote(family: .ipv4, identifier: order.key.identifier, sequence: order.key.sequence,
                                   quotedDestination: target, reporter: target, type: 3, code: 1)
        do { let outcome = book.recordError(right, finished: &finished); #expect(outcome) }
        Self.deliver(finished)
        #expect(sink.all.first?.status == .fail)
        #expect(sink.all.first?.reason == "host_unreachable")
    }

    @Test("Transient send errors are retried; a local refusal is a lost echo, failing at timeout")
    func sendFailures() throws {
        var book = Self.book()
        var limiter = Self.unlimited
        var finished: [ProbeBook.Finished] = []
        let sink = Sink()
        let target = try #require(IPAddress("127.0.0.5"))
        book.addCheck(address: "x", target: target, count: 1, intervalNanoseconds: 0, timeoutNanoseconds: 100,
                      now: 0, startedAt: Date(), completion: sink.callback())
        let first = try #require(book.nextSends(now: 0, limit: 1, limiter: &limiter, finished: &finished).first)
        book.sendFailed(first, failure: .retry, now: 0, finished: &finished)
        #expect(book.outstandingCount == 0)
        let retry = try #require(book.nextSends(now: ProbeBook.retryDelayNanoseconds, limit: 1, limiter: &limiter, finished: &finished).first)
        book.sendFailed(retry, failure: .provisional("send_refused"), now: ProbeBook.retryDelayNanoseconds, finished: &finished)
        book.expireTimeouts(now: ProbeBook.retryDelayNanoseconds + 100, finished: &finished)
        Self.deliver(finished)
        #expect(sink.all.first?.status == .fail)
        #expect(sink.all.first?.reason == "send_refused")
        #expect(sink.all.first?.sent == 1, "the retried send counts once, the refused one as a lost echo")
        #expect(sink.all.first?.refused == 1)
    }

    @Test("Datagram policy keeps a fixed identifier; 100,000 outstanding raw probes get distinct keys")
    func keyAllocation() throws {
        var book = Self.book()
        var limiter = Self.unlimited
        var finished: [ProbeBook.Finished] = []
        let v6 = try #require(IPAddress("::1"))
        book.addCheck(address: "::1", target: v6, count: 1, intervalNanoseconds: 0, timeoutNanoseconds: 100, now: 0, startedAt: Date(), completion: { _ in })
        let v6Order = book.nextSends(now: 0, limit: 1, limiter: &limiter, finished: &finished).first
        #expect(v6Order?.key.identifier == 2000)
        let v4 = try #require(IPAddress("127.0.0.1"))
        for _ in 0..<100_000 {
            book.addCheck(address: "127.0.0.1", target: v4, count: 1, intervalNanoseconds: 0, timeoutNanoseconds: 1_000, now: 0, startedAt: Date(), completion: { _ in })
        }
        let orders = book.nextSends(now: 0, limit: 200_000, limiter: &limiter, finished: &finished)
        #expect(orders.count == 100_000)
        #expect(Set(orders.map(\.key)).count == 100_000)
        #expect(finished.isEmpty)
    }
}
