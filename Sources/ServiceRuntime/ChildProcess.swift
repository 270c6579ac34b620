import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, with an empty signal mask and default signal
/// handlers. Foundation's `Process` spawns from a dispatch thread whose blocked signals the
/// child inherits, so a broker started that way ignores SIGTERM and cannot be stopped cleanly.
package final class ChildProcess: @unchecked Sendable {
    /// The child's process id.
    package let pid: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments`; stdout/stderr go to `logFile` when given, else /dev/null.
    /// - Parameter diesWithParent: the child gets SIGTERM when this process dies, however it dies
    ///   (`kill -9` included), so it can never outlive us as an orphan. Done with util-linux
    ///   `setpriv --pdeathsig TERM`, which sets `PR_SET_PDEATHSIG` and then execs the program (same
    ///   pid), spawned from the ``SpawnThread`` (the signal follows the spawning thread). Without
    ///   `setpriv` the child is started plainly.
    /// - Parameter user: run it as this account (its uid and gid, no supplementary groups; we must
    ///   be root), through the same `setpriv`, which changes the ids before it sets the parent-death
    ///   signal (the kernel clears that signal on an id change, so the order matters).
    /// - Parameter environment: variables set or replaced in the child's copy of our environment.
    package init(executable: String, arguments: [String], logFile: String? = nil, diesWithParent: Bool = false, user: String? = nil,
                 environment: [String: String] = [:]) throws {
        let output = Output.file(logFile)
        var prefix: [String] = []
        if let user { prefix += ["--reuid=\(user)", "--regid=\(user)", "--clear-groups"] }
        if diesWithParent { prefix += ["--pdeathsig", "TERM"] }
        guard !prefix.isEmpty else {
            pid = try Self.spawn(executable, arguments, output: output, environment: environment)
            return
        }
        guard let setpriv = Self.setpriv else {
            guard user == nil else { throw ChildProcessError.spawnFailed(executable: "setpriv (util-linux, to run \(executable) as \(user!))", errno: ENOENT) }
            pid = try Self.spawn(executable, arguments, output: output, environment: environment)
            return
        }
        let argv = prefix + ["--", executable] + arguments
        // The parent-death signal follows the spawning thread: spawn from the one that never ends.
        let spawned = diesWithParent ? SpawnThread.shared.run { Result { try Self.spawn(setpriv, argv, output: output, environment: environment) } }
                                     : Result { try Self.spawn(setpriv, argv, output: output, environment: environment) }
        pid = try spawned.get()
    }

    /// Where util-linux `setpriv` is, if installed.
    package static let setpriv: String? = ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Where a spawned child's standard output and error go.
    enum Output {
        /// Both appended to this file (`/dev/null` when nil).
        case file(String?)
        /// Output to the write end `out`, errors to `errors` (the parent keeps the read ends and
        /// closes these after the spawn); `closeInChild` are the read ends, closed in the child.
        case pipes(out: Int32, errors: Int32, closeInChild: [Int32])
    }

    /// `posix_spawn` with an empty signal mask and default handlers, stdin from /dev/null, our
    /// environment with `environment` set or replaced in it.
    static func spawn(_ executable: String, _ arguments: [String], output: Output, environment: [String: String] = [:]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch output {
        case let .file(logFile):
            posix_spawn_file_actions_addopen(&actions, 1, logFile ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case let .pipes(out, errors, closeInChild):
            posix_spawn_file_actions_adddup2(&actions, out, 1)
            posix_spawn_file_actions_adddup2(&actions, errors, 2)
            for fd in closeInChild + [out, errors] { posix_spawn_file_actions_addclose(&actions, fd) }
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let inherited = ProcessInfo.processInfo.environment.filter { environment[$0.key] == nil }
        let envp = (inherited.merging(environment) { $1 }).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw ChildProcessError.spawnFailed(executable: executable, errno: rc)
        }
        return child
    }

    /// Whether the child is still running (reaps it when it has exited).
    package var isRunning: Bool {
        lock.withLock {
            if exitStatus != nil { return false }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { exitStatus = status; return false }
            return result == 0
        }
    }

    /// How the child ended (`exit 1`, `signal 9`), or `nil` while it runs.
    package var exitDescription: String? {
        guard !isRunning else { return nil }
        return lock.withLock {
            guard let status = exitStatus else { return "unknown" }
            let signal = status & 0x7f
            return signal == 0 ? "exit \((status >> 8) & 0xff)" : "signal \(signal)"
        }
    }

    /// Sends `signal` to the child.
    package func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Sends SIGTERM, waits up to `timeout` seconds, then SIGKILL. Returns once the child is reaped.
    package func stop(timeout: Double = 5) {
        send(SIGTERM)
        if !waitForExit(timeout: timeout) {
            send(SIGKILL)
            _ = waitForExit(timeout: 5)
        }
    }

    /// Waits up to `timeout` seconds for the child to exit; returns whether it did.
    @discardableResult
    package func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !isRunning { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return !isRunning
    }
}

/// Starting a child process failed.
package enum ChildProcessError: Error, CustomStringConvertible {
    case spawnFailed(executable: String, errno: Int32)

    package var description: String {
        switch self {
        case let .spawnFailed(executable, code):
            return "could not start \(executable): \(String(cString: strerror(code)))"
        }
    }
}
