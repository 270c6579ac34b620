import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One run of an outside program that answers and ends (ffmpeg, ffprobe): the one way the
/// services run such tools. The child is spawned like every ``ChildProcess`` (empty signal mask,
/// stdin from /dev/null) and dies with this process (`PR_SET_PDEATHSIG` through util-linux
/// `setpriv`, from the ``SpawnThread``): a prober killed with `kill -9` leaves no ffmpeg behind.
/// Its standard output and error are drained together (a full error pipe cannot stall a program
/// whose output is being read) and kept up to a bound each; it is killed (SIGKILL) after `timeout`.
/// Its wait, its output drain and its kill timer each run on a ``BlockingQueue`` of their own, never
/// on the cooperative pool.
package enum ToolRun {

    /// How a run ended.
    package struct Outcome: Sendable {
        /// The exit status, or nil when the program was killed by a signal.
        package var exitStatus: Int32?
        /// Whether it was killed for running past the time limit.
        package var timedOut: Bool
        /// Standard output and error, each cut at its bound.
        package var output: Data
        package var errors: Data
        /// CPU seconds (user + system) the program used.
        package var cpuSeconds: Double

        /// Exit status 0.
        package var succeeded: Bool { exitStatus == 0 && !timedOut }
    }

    /// Runs `executable` with `arguments` and waits for it (off the cooperative pool).
    /// - Throws: ``ChildProcessError`` when it cannot be started.
    package static func run(_ executable: String, _ arguments: [String], timeout: Duration,
                           maxOutput: Int = 256 << 10, maxErrors: Int = 1 << 20) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            BlockingQueue.own("tool-run.wait").async {
                continuation.resume(with: Result { try runBlocking(executable, arguments, timeout: timeout, maxOutput: maxOutput, maxErrors: maxErrors) })
            }
        }
    }

    static func runBlocking(_ executable: String, _ arguments: [String], timeout: Duration, maxOutput: Int, maxErrors: Int) throws -> Outcome {
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0 else { throw ChildProcessError.spawnFailed(executable: executable, errno: errno) }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw ChildProcessError.spawnFailed(executable: executable, errno: errno)
        }
        let output = ChildProcess.Output.pipes(out: outPipe[1], errors: errPipe[1], closeInChild: [outPipe[0], errPipe[0]])
        let spawned: Result<pid_t, any Error>
        if let setpriv = ChildProcess.setpriv {
            spawned = SpawnThread.shared.run { Result { try ChildProcess.spawn(setpriv, ["--pdeathsig", "KILL", executable] + arguments, output: output) } }
        } else {
            spawned = Result { try ChildProcess.spawn(executable, arguments, output: output) }
        }
        close(outPipe[1]); close(errPipe[1])
        let pid: pid_t
        do { pid = try spawned.get() } catch {
            close(outPipe[0]); close(errPipe[0])
            throw error
        }
        let killed = FirstClaim()
        let killer = DispatchWorkItem {
            _ = killed.claim()
            kill(pid, SIGKILL)
        }
        BlockingQueue.own("tool-run.kill").asyncAfter(deadline: .now() + .milliseconds(Int(timeout.milliseconds)), execute: killer)
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        let outRead = outPipe[0]
        group.enter()
        BlockingQueue.own("tool-run.drain").async {
            outData = drain(outRead, keep: maxOutput)
            group.leave()
        }
        let errData = drain(errPipe[0], keep: maxErrors)
        group.wait()
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) == -1 && errno == EINTR {}
        killer.cancel()
        let signaled = status & 0x7f != 0
        let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return Outcome(exitStatus: signaled ? nil : (status >> 8) & 0xff, timedOut: killed.isClaimed, output: outData, errors: errData, cpuSeconds: cpu)
    }

    /// Reads `fd` to its end, keeping the first `keep` bytes (the rest is read and dropped, so the
    /// writer never blocks on a full pipe); closes it.
    static func drain(_ fd: Int32, keep: Int) -> Data {
        defer { close(fd) }
        var kept = Data()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return kept }
            if kept.count < keep { kept.append(contentsOf: buffer[0..<min(n, keep - kept.count)]) }
        }
    }
}
