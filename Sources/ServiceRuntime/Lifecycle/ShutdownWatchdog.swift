import Foundation
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// The last line of defence for "SIGTERM stops the process within 5 s" (Docker and systemd send
/// SIGKILL after 10 s and 90 s, and a SIGKILL loses what a clean stop would save). Put last in the
/// service group, so it is the first to hear of the graceful shutdown: it logs it and arms a
/// timer on its own thread; if the process is still alive when the budget is spent, it logs that
/// and exits. A child started with `diesWithParent` (the private broker) gets SIGTERM then.
package struct ShutdownWatchdog: Service {
    let budget: Duration
    let logger: Logger
    let started = ContinuousClock.now

    package init(budget: Duration = .milliseconds(4500), logger: Logger) {
        self.budget = budget; self.logger = logger
    }

    package func run() async throws {
        try await gracefulShutdown()
        logger.info("shutdown requested: stopping every service", metadata: ["budget_s": "\(budget.seconds)", "uptime_s": "\(Int((ContinuousClock.now - started).seconds))"])
        let budget = budget
        let logger = logger
        let thread = Thread {
            Thread.sleep(forTimeInterval: budget.seconds)
            logger.critical("shutdown did not finish within its budget: exiting now", metadata: ["budget_s": "\(budget.seconds)"])
            // stderr is unbuffered (and swift-log flushes it per line): the line above is out.
            _exit(1)
        }
        thread.name = "cctv-out-shutdown-watchdog"
        thread.start()
    }
}
