import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A self-pipe that wakes the network thread out of `poll`: something was queued to send, a
/// subscription drained below its low watermark, or a stop was asked for. (libmosquitto has its
/// own for `mosquitto_loop`, but it is not public, and the client runs its own poll loop.)
final class WakePipe: Sendable {
    /// The end `poll` watches.
    let readEnd: Int32
    private let writeEnd: Int32

    init() {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) != 0 {
            fatalError("pipe failed (errno \(errno)): out of file descriptors")
        }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Whether a byte is in the pipe that the poller has not drained yet: every signal after the
    /// first until then would wake it for the same look at the queue, so it writes nothing.
    private let pending = Atomic<Bool>(false)

    /// Wakes the poller (a full pipe already means "wake up": the failed write is fine).
    func signal() {
        guard !pending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Empties the pipe after a wake-up. Call it before looking at what was queued: a signal that
    /// comes after the flag is cleared writes again, so nothing queued goes unnoticed.
    func drain() {
        pending.store(false, ordering: .sequentiallyConsistent)
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &buffer, buffer.count) > 0 {}
    }
}
