import Foundation
import Glibc
import Synchronization

/// ICMP echo engine: one shared socket per address family, one scheduler
/// thread (sends, pacing, timeouts) and one receive thread per socket.
///
/// Why this shape: per-target sockets or per-probe timers/Tasks fall over at
/// 100,000 cameras (fd limits, timer storms). Here all in-flight state lives in
/// one `ProbeBook` behind a `Mutex`; async callers are bridged with
/// `CheckedContinuation`s resumed from the engine threads.
///
/// Lifecycle: `init` opens sockets (so `mode` is known), `start()` spawns the
/// threads, `shutdown()` fails unfinished checks with `engine_shutdown`, joins
/// the threads and closes the sockets. The threads retain the engine, so it
/// must be shut down explicitly.
///
/// Host names are resolved with getaddrinfo on a small bounded thread pool;
/// a name that does not resolve yields `.fail` / `dns_unresolved` (a configuration fault for
/// operators, not the line team's).
///
/// Cancelling the awaiting task does not abort a check; it always finishes
/// within `count * interval + timeout` (plus rate-limit queueing).
public final class ICMPEngine: Sendable {
    enum Lifecycle { case created, running, stopped }

    struct State {
        var book: ProbeBook
        var limiter: TokenBucket
        var wakePending = false
        var lifecycle: Lifecycle = .created
    }

    /// Configuration the engine was created with.
    public let configuration: ICMPEngineConfiguration
    let lookup: HostLookup
    /// Socket mode chosen per family at init.
    public let mode: ICMPEngineMode
    /// Random 32-bit cookie carried in every payload; replies without it are foreign.
    public let cookie: UInt32

    private let ipv4Socket: ICMPSocket?
    private let ipv6Socket: ICMPSocket?
    let state: Mutex<State>
    let running = Atomic<Bool>(false)
    let wakeRead: Int32
    private let wakeWrite: Int32
    private let threads = Mutex<[JoinableThread]>([])
    private let resolver = Mutex<HostResolver?>(nil)
    private let intervalNanoseconds: UInt64
    private let timeoutNanoseconds: UInt64

    /// Opens the sockets. Throws if no enabled family can be opened, or if a
    /// forced mode is unavailable for IPv4. IPv6 failure alone is tolerated
    /// (checks to IPv6 targets then fail with `socket_error`).
    /// - Parameter lookup: how host names become addresses; `getaddrinfo` by default. Tests pass
    ///   their own so an unknown name is tried without a DNS query leaving the machine.
    public init(configuration: ICMPEngineConfiguration = ICMPEngineConfiguration(), lookup: @escaping HostLookup = HostResolver.systemLookup) throws {
        self.configuration = configuration
        self.lookup = lookup
        self.cookie = UInt32.random(in: 1...UInt32.max)
        // Random identifier, never the pid: in containers every engine would be pid 1.
        let baseIdentifier = UInt16.random(in: 1...UInt16.max)
        var v4: ICMPSocket?
        var v6: ICMPSocket?
        var firstError: ICMPEngineError?
        if configuration.enableIPv4 {
            do { v4 = try ICMPSocket.open(family: .ipv4, preference: configuration.socketMode, identifier: baseIdentifier, bufferBytes: configuration.socketBufferBytes) }
            catch { firstError = error }
        }
        if configuration.enableIPv6 {
            do { v6 = try ICMPSocket.open(family: .ipv6, preference: configuration.socketMode, identifier: baseIdentifier &+ 0x8000, bufferBytes: configuration.socketBufferBytes) }
            catch { if firstError == nil && !configuration.enableIPv4 { firstError = error } }
        }
        if let firstError, v4 == nil {
            v6?.closeSocket()
            throw firstError
        }
        guard v4 != nil || v6 != nil else { throw ICMPEngineError.noUsableSocket }
        var fds: [Int32] = [0, 0]
        guard makePipe(&fds, nonBlocking: true) else {
            v4?.closeSocket(); v6?.closeSocket()
            throw ICMPEngineError.resourceUnavailable("wake pipe")
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        ipv4Socket = v4
        ipv6Socket = v6
        mode = ICMPEngineMode(ipv4: v4?.mode, ipv6: v6?.mode)
        intervalNanoseconds = configuration.interval.clampedNanoseconds
        timeoutNanoseconds = max(1, configuration.timeout.clampedNanoseconds)
        let book = ProbeBook(
            cookie: cookie,
            ipv4: .init(baseIdentifier: v4?.identifier ?? baseIdentifier, identifierIsFixed: v4?.mode == .datagram),
            ipv6: .init(baseIdentifier: v6?.identifier ?? baseIdentifier, identifierIsFixed: v6?.mode == .datagram))
        state = Mutex(State(book: book, limiter: TokenBucket(packetsPerSecond: configuration.packetsPerSecond,
                                                            burst: configuration.burst, now: MonotonicClock.nowNanoseconds())))
    }

    /// Spawns the scheduler, receive and resolver threads. Call once.
    public func start() throws {
        try state.withLock { s throws(ICMPEngineError) in
            guard s.lifecycle == .created else { throw .invalidLifecycle("start() called in state \(s.lifecycle)") }
            s.lifecycle = .running
        }
        running.store(true, ordering: .releasing)
        var started: [JoinableThread] = []
        do {
            started.append(try JoinableThread(name: "icmp-sched") { [self] in self.schedulerLoop() })
            for socket in [ipv4Socket, ipv6Socket].compactMap({ $0 }) {
                started.append(try JoinableThread(name: "icmp-rx-\(socket.family)") { [self] in self.receiveLoop(socket) })
            }
            let r = try HostResolver(workerCount: configuration.resolverThreads, lookup: lookup)
            resolver.withLock { $0 = r }
        } catch {
            threads.withLock { $0 = started }
            shutdown()
            throw error
        }
        threads.withLock { $0 = started }
    }

    /// Stops the engine: unfinished checks complete with `.fail` /
    /// `engine_shutdown`, threads are joined, sockets closed. Idempotent.
    public func shutdown() {
        let wasActive = state.withLock { s -> Bool in
            defer { s.lifecycle = .stopped }
            return s.lifecycle != .stopped
        }
        guard wasActive else { return }
        running.store(false, ordering: .releasing)
        wake()
        let joined = threads.withLock { t -> [JoinableThread] in defer { t.removeAll() }; return t }
        for t in joined { t.join() }
        resolver.withLock { r -> HostResolver? in defer { r = nil }; return r }?.shutdown()
        var finished: [ProbeBook.Finished] = []
        state.withLock { $0.book.failAll(reason: "engine_shutdown", now: MonotonicClock.nowNanoseconds(), finished: &finished) }
        deliver(finished)
        ipv4Socket?.closeSocket()
        ipv6Socket?.closeSocket()
        close(wakeRead)
        close(wakeWrite)
    }

    /// Number of echoes currently in flight (diagnostics / benchmark).
    public var outstandingProbeCount: Int { state.withLock { $0.book.outstandingCount } }

    /// Number of checks not yet finished (diagnostics / benchmark).
    public var pendingCheckCount: Int { state.withLock { $0.book.checkCount } }

    // MARK: - Public checking API

    /// Checks one address (IP literal or host name) with `count` echoes
    /// (default from configuration) and returns when all echoes settled.
    public func check(address: String, count: Int? = nil, interval: Duration? = nil, timeout: Duration? = nil) async -> ICMPCheckResult {
        await withCheckedContinuation { (continuation: CheckedContinuation<ICMPCheckResult, Never>) in
            submit(address: address, count: count, interval: interval, timeout: timeout) { continuation.resume(returning: $0) }
        }
    }

    /// Shorthand for `check(address:)` with configured defaults.
    public func check(_ address: String) async -> ICMPCheckResult {
        await check(address: address)
    }

    /// Callback flavour of `check`, for callers outside async code. The
    /// callback runs on an engine thread and must return quickly.
    public func submit(address: String, count: Int? = nil, interval: Duration? = nil, timeout: Duration? = nil,
                       completion: @escaping @Sendable (ICMPCheckResult) -> Void) {
        let startedAt = Date()
        let echoes = count ?? configuration.echoesPerCheck
        guard echoes >= 1 else {
            completion(.failure(address: address, reason: "invalid_count", startedAt: startedAt))
            return
        }
        let spacing = interval?.clampedNanoseconds ?? intervalNanoseconds
        let wait = max(1, timeout?.clampedNanoseconds ?? timeoutNanoseconds)
        if let ip = IPAddress(address) {
            enqueue([Request(address: address, target: ip, count: echoes, interval: spacing, timeout: wait, startedAt: startedAt, completion: completion)])
            return
        }
        guard let resolver = resolver.withLock({ $0 }) else {
            completion(.failure(address: address, reason: "engine_not_running", startedAt: startedAt))
            return
        }
        resolver.resolve(address, allowIPv4: ipv4Socket != nil, allowIPv6: ipv6Socket != nil) { [self] ip in
            guard let ip else {
                completion(.failure(address: address, reason: "dns_unresolved", startedAt: startedAt))
                return
            }
            enqueue([Request(address: address, target: ip, count: echoes, interval: spacing, timeout: wait, startedAt: startedAt, completion: completion)])
        }
    }

    /// Checks many addresses, one result per address **in input order**.
    /// Sends are paced by the global rate limit, so a 100,000-target sweep
    /// spreads over `100_000 * echoes / packetsPerSecond` seconds.
    public func sweep(_ addresses: [String], echoesPerTarget: Int? = nil) async -> [ICMPCheckResult] {
        guard !addresses.isEmpty else { return [] }
        let collector = SweepCollector(count: addresses.count)
        return await withCheckedContinuation { (continuation: CheckedContinuation<[ICMPCheckResult], Never>) in
            collector.setContinuation(continuation)
            submitMany(addresses, echoes: echoesPerTarget) { index, result in collector.store(index, result) }
        }
    }

    /// Like `sweep`, but yields each result as soon as it is final (completion
    /// order), which lets a caller stream 100,000 results without holding them all.
    public func sweepStream(_ addresses: [String], echoesPerTarget: Int? = nil) -> AsyncStream<ICMPCheckResult> {
        let (stream, continuation) = AsyncStream<ICMPCheckResult>.makeStream()
        guard !addresses.isEmpty else {
            continuation.finish()
            return stream
        }
        let box = StreamBox(continuation: continuation, count: addresses.count)
        submitMany(addresses, echoes: echoesPerTarget) { _, result in box.yield(result) }
        return stream
    }

    /// Callback flavour of a sweep: one check per address with the configured defaults, registered
    /// together (one lock, one wake-up of the scheduler); `completion` gets each result with its
    /// index in `addresses` as soon as it is final, on an engine thread, and must return quickly.
    public func submit(_ addresses: [String], completion: @escaping @Sendable (Int, ICMPCheckResult) -> Void) {
        submitMany(addresses, echoes: nil, completion: completion)
    }

    // MARK: - Internals

    private struct Request {
        let address: String
        let target: IPAddress
        let count: Int
        let interval: UInt64
        let timeout: UInt64
        let startedAt: Date
        let completion: @Sendable (ICMPCheckResult) -> Void
    }

    /// Registers literals in one lock acquisition (a 100k sweep would otherwise
    /// contend with the receive threads 100k times); names go via the resolver.
    private func submitMany(_ addresses: [String], echoes: Int?, completion: @escaping @Sendable (Int, ICMPCheckResult) -> Void) {
        let startedAt = Date()
        let count = echoes ?? configuration.echoesPerCheck
        var batch: [Request] = []
        batch.reserveCapacity(addresses.count)
        for (index, address) in addresses.enumerated() {
            if count >= 1, let ip = IPAddress(address) {
                batch.append(Request(address: address, target: ip, count: count, interval: intervalNanoseconds,
                                     timeout: timeoutNanoseconds, startedAt: startedAt) { completion(index, $0) })
            } else {
                submit(address: address, count: count) { completion(index, $0) }
            }
        }
        enqueue(batch)
    }

    func socket(for family: ICMPFamily) -> ICMPSocket? {
        family == .ipv4 ? ipv4Socket : ipv6Socket
    }

    private func enqueue(_ requests: [Request]) {
        guard !requests.isEmpty else { return }
        var rejected: [(Request, String)] = []
        let now = MonotonicClock.nowNanoseconds()
        let needWake = state.withLock { s -> Bool in
            for request in requests {
                guard s.lifecycle == .running else {
                    rejected.append((request, s.lifecycle == .stopped ? "engine_shutdown" : "engine_not_running"))
                    continue
                }
                guard socket(for: request.target.family) != nil else {
                    rejected.append((request, "socket_error"))
                    continue
                }
                s.book.addCheck(address: request.address, target: request.target, count: request.count,
                                intervalNanoseconds: request.interval, timeoutNanoseconds: request.timeout,
                                now: now, startedAt: request.startedAt, completion: request.completion)
            }
            if s.wakePending { return false }
            s.wakePending = true
            return true
        }
        for (request, reason) in rejected {
            request.completion(.failure(address: request.address, reason: reason, startedAt: request.startedAt))
        }
        if needWake { wake() }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1) // EAGAIN on a full pipe is fine: a wake-up is already pending
    }

    /// Runs the completions of finished checks (outside the lock).
    func deliver(_ finished: [ProbeBook.Finished]) {
        for item in finished { item.completion(item.result) }
    }
}

/// Gathers sweep results by input index and resumes the caller once.
private final class SweepCollector: Sendable {
    private struct Storage {
        var results: [ICMPCheckResult?]
        var remaining: Int
        var continuation: CheckedContinuation<[ICMPCheckResult], Never>?
    }

    private let storage: Mutex<Storage>

    init(count: Int) {
        storage = Mutex(Storage(results: Array(repeating: nil, count: count), remaining: count))
    }

    func setContinuation(_ continuation: CheckedContinuation<[ICMPCheckResult], Never>) {
        storage.withLock { $0.continuation = continuation }
    }

    func store(_ index: Int, _ result: ICMPCheckResult) {
        let done = storage.withLock { s -> (CheckedContinuation<[ICMPCheckResult], Never>, [ICMPCheckResult])? in
            guard s.results[index] == nil else { return nil }
            s.results[index] = result
            s.remaining -= 1
            guard s.remaining == 0, let c = s.continuation else { return nil }
            s.continuation = nil
            return (c, s.results.map { $0! })
        }
        if let (continuation, results) = done { continuation.resume(returning: results) }
    }
}

/// Forwards results into an `AsyncStream` and finishes it after the last one.
private final class StreamBox: Sendable {
    private let continuation: AsyncStream<ICMPCheckResult>.Continuation
    private let remaining: Atomic<Int>

    init(continuation: AsyncStream<ICMPCheckResult>.Continuation, count: Int) {
        self.continuation = continuation
        self.remaining = Atomic(count)
    }

    func yield(_ result: ICMPCheckResult) {
        continuation.yield(result)
        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            continuation.finish()
        }
    }
}
