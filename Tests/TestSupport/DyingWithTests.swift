import Foundation
import ServiceRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Nothing a test starts outlives the test run, however it ends. Every child (broker, PostgreSQL,
/// ffmpeg, Python stubs, the product binary) gets a parent-death signal (util-linux `setpriv
/// --pdeathsig`, spawned from ServiceRuntime's ``SpawnThread``, the way ``ToolRun`` runs tools), so
/// it dies with the test process even on `kill -9`; and the test process ends itself when the
/// `swift test` that started it is gone (`timeout` kills `swift test`, not the test binary it runs,
/// which used to carry on with its clusters and brokers as orphans).
package enum TestRunGuard {
    /// Starts the watch (once per process): a thread that sends this process SIGKILL as soon as its
    /// parent has changed (the parent died and the process was re-parented). Polls every 200 ms:
    /// Linux has no notification for the death of a parent that did not arrange one.
    package static func start() { _ = watching }

    private static let watching: Void = {
        let parent = getppid()
        guard parent > 1 else { return }
        let thread = Thread {
            while getppid() == parent { usleep(200_000) }
            kill(getpid(), SIGKILL)
        }
        thread.name = "test-run-guard"
        thread.start()
    }()
}

extension ChildProcess {
    /// Starts a child for a test that dies with the test process (SIGTERM when it dies, however
    /// it dies); `user` runs it as that account (root only).
    package static func dyingWithTests(executable: String, arguments: [String], logFile: String? = nil, user: String? = nil) throws -> ChildProcess {
        TestRunGuard.start()
        _ = try RequiredTool.path("setpriv", package: "util-linux")
        return try ChildProcess(executable: executable, arguments: arguments, logFile: logFile, diesWithParent: true, user: user)
    }
}

extension Process {
    /// `run()`, but the program dies with the test process (SIGKILL when it dies, however it
    /// dies): it is started through `setpriv --pdeathsig KILL` from the thread that never ends.
    package func runDyingWithTests() throws {
        TestRunGuard.start()
        let setpriv = try RequiredTool.path("setpriv", package: "util-linux")
        guard let executable = executableURL?.path else { throw FixtureError("no executable to run") }
        arguments = ["--pdeathsig", "KILL", "--", executable] + (arguments ?? [])
        executableURL = URL(fileURLWithPath: setpriv)
        try SpawnThread.shared.run { Result { try self.run() } }.get()
    }
}
