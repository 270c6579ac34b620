import Foundation
import Glibc

/// A plain pthread that can be joined. The engine's I/O loops block in
/// `poll`, so they must not run on Swift's cooperative pool (which has one
/// thread per core, two here); dedicated threads also make shutdown
/// deterministic via `join`.
final class JoinableThread: Sendable {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private let handle: pthread_t

    /// Starts `body` on a new thread; throws if the thread cannot be created.
    init(name: String, _ body: @escaping @Sendable () -> Void) throws(ICMPEngineError) {
        // Named for `top -H`, `perf` and /proc, from the thread itself (Linux keeps 15 bytes; Swift's
        // Glibc lacks `pthread_setname_np`). Unnamed, it showed as the pool thread that created it
        // (`com.apple.root.default-qos`), which hid the engine's share of serve's CPU.
        let context = Unmanaged.passRetained(Body {
            Thread.current.name = name
            body()
        }).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw .resourceUnavailable("pthread_create failed for \(name): \(rc)")
        }
        handle = thread
    }

    /// Waits for the thread to return.
    func join() {
        _ = pthread_join(handle, nil)
    }
}

/// `pipe` + `FD_CLOEXEC` (+ optional `O_NONBLOCK`). `pipe2` is a GNU extension
/// that Swift's Glibc module does not import, hence the fcntl dance.
func makePipe(_ fds: inout [Int32], nonBlocking: Bool) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    for fd in fds {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        if nonBlocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }
    return true
}
