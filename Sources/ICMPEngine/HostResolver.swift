import Foundation
import Glibc
import Synchronization

/// Turns a host name into an address (IPv4 allowed, IPv6 allowed), or nil when it does not resolve.
public typealias HostLookup = @Sendable (_ name: String, _ allowIPv4: Bool, _ allowIPv6: Bool) -> IPAddress?

/// Resolves host names with `getaddrinfo` on a small, fixed set of worker
/// threads. getaddrinfo blocks and cannot be cancelled, so it must never run
/// on the cooperative pool or on the engine's I/O threads; the fixed pool
/// bounds how many resolutions can be stuck at once. IP literals never get here.
public final class HostResolver: Sendable {
    typealias Callback = @Sendable (IPAddress?) -> Void

    private struct Job {
        let name: String
        let allowIPv4: Bool
        let allowIPv6: Bool
        let callback: Callback
    }

    private struct Queue {
        var jobs: [Job] = []
        var head = 0
        var stopped = false
    }

    private let queue = Mutex(Queue())
    // A pipe doubles as a counting wake-up signal: one byte per job.
    private let readFD: Int32
    private let writeFD: Int32
    private let workers = Mutex<[JoinableThread]>([])
    private let lookup: HostLookup

    init(workerCount: Int, lookup: @escaping HostLookup = HostResolver.systemLookup) throws(ICMPEngineError) {
        self.lookup = lookup
        var fds: [Int32] = [0, 0]
        guard makePipe(&fds, nonBlocking: false) else { throw .resourceUnavailable("resolver pipe") }
        readFD = fds[0]
        writeFD = fds[1]
        var threads: [JoinableThread] = []
        for i in 0..<max(1, workerCount) {
            threads.append(try JoinableThread(name: "icmp-resolve\(i)") { [self] in self.workerLoop() })
        }
        workers.withLock { $0 = threads }
    }

    /// Queues a resolution; `callback` runs on a resolver thread.
    func resolve(_ name: String, allowIPv4: Bool, allowIPv6: Bool, callback: @escaping Callback) {
        let accepted = queue.withLock { q -> Bool in
            guard !q.stopped else { return false }
            q.jobs.append(Job(name: name, allowIPv4: allowIPv4, allowIPv6: allowIPv6, callback: callback))
            return true
        }
        guard accepted else { callback(nil); return }
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    private func workerLoop() {
        var byte: UInt8 = 0
        while true {
            let n = read(readFD, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            let job: Job? = queue.withLock { q in
                guard !q.stopped, q.head < q.jobs.count else { return nil }
                let job = q.jobs[q.head]
                q.head += 1
                if q.head > 1024 && q.head * 2 > q.jobs.count {
                    q.jobs.removeFirst(q.head)
                    q.head = 0
                }
                return job
            }
            guard let job else { return } // stopped (or EOF)
            job.callback(lookup(job.name, job.allowIPv4, job.allowIPv6))
        }
    }

    /// Blocking `getaddrinfo` lookup; prefers IPv4 when both families are allowed because
    /// cameras overwhelmingly answer on IPv4.
    public static let systemLookup: HostLookup = { name, allowIPv4, allowIPv6 in lookup(name, allowIPv4: allowIPv4, allowIPv6: allowIPv6) }

    static func lookup(_ name: String, allowIPv4: Bool, allowIPv6: Bool) -> IPAddress? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(first) }
        var v6: IPAddress?
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let sa = info.pointee.ai_addr {
                if info.pointee.ai_family == AF_INET, allowIPv4 {
                    let sin = UnsafeRawPointer(sa).assumingMemoryBound(to: sockaddr_in.self).pointee
                    return IPAddress(sin.sin_addr)
                }
                if info.pointee.ai_family == AF_INET6, allowIPv6, v6 == nil {
                    let sin6 = UnsafeRawPointer(sa).assumingMemoryBound(to: sockaddr_in6.self).pointee
                    v6 = IPAddress(sin6.sin6_addr)
                }
            }
            cursor = info.pointee.ai_next
        }
        return v6
    }

    /// Fails queued jobs, stops and joins the workers. A worker stuck inside
    /// getaddrinfo delays this by at most the resolver's own timeout.
    func shutdown() {
        let pending: [Job] = queue.withLock { q in
            q.stopped = true
            let rest = Array(q.jobs[q.head...])
            q.jobs.removeAll()
            q.head = 0
            return rest
        }
        for job in pending { job.callback(nil) }
        let threads = workers.withLock { w -> [JoinableThread] in defer { w.removeAll() }; return w }
        // One byte per worker guarantees each wakes and sees `stopped`.
        var byte: UInt8 = 0
        for _ in threads { _ = write(writeFD, &byte, 1) }
        for t in threads { t.join() }
        close(readFD)
        close(writeFD)
    }
}
