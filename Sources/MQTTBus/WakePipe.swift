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

    /// Wakes the poller (a full pipe already means "wake up": the failed write is fine).
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Empties the pipe after a wake-up.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &buffer, buffer.count) > 0 {}
    }
}
