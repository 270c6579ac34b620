import Foundation
import Testing
import TestSupport
@testable import ServiceRuntime

@Suite("private broker supervision", .runsAlone)
struct BrokerSupervisionTests {
    @Test("a broker that keeps dying young waits longer each time, up to the cap; a stable run resets the wait")
    func backoff() {
        var backoff = RestartBackoff(initial: 0.25, maximum: 30, stableAfter: 60)
        let delays = (0..<10).map { _ in backoff.delay(afterRunningFor: 1) }
        #expect(delays == [0.25, 0.5, 1, 2, 4, 8, 16, 30, 30, 30])
        #expect(backoff.delay(afterRunningFor: 3600) == 0.25, "after an hour of running, a crash is restarted at once again")
        #expect(backoff.delay(afterRunningFor: 2) == 0.5)
    }

    @Test("only a mosquitto started with this data folder's config counts as our stray broker", arguments: [
        (["/usr/sbin/mosquitto", "-c", "/data/mosquitto/mosquitto.conf"], true),
        (["mosquitto", "-c", "/data/mosquitto/mosquitto.conf"], true),
        (["/usr/bin/setpriv", "--pdeathsig", "TERM", "/usr/sbin/mosquitto", "-c", "/data/mosquitto/mosquitto.conf"], true),
        (["/usr/sbin/mosquitto", "-c", "/other/mosquitto.conf"], false),
        (["/usr/sbin/mosquitto", "-c", "/etc/mosquitto/mosquitto.conf"], false),
        (["/usr/bin/vim", "-c", "/data/mosquitto/mosquitto.conf"], false),
        (["/usr/sbin/mosquitto"], false),
    ])
    func strayBrokerRule(arguments: [String], ours: Bool) {
        #expect(StrayBroker.matches(arguments: arguments, configFile: "/data/mosquitto/mosquitto.conf") == ours)
    }

    @Test("a child started to die with its parent still runs, and runs its program")
    func diesWithParentStillRuns() throws {
        let child = try ChildProcess(executable: "/bin/sleep", arguments: ["30"], diesWithParent: true)
        defer { child.stop(timeout: 1) }
        #expect(child.isRunning)
        func arguments() -> [String] {
            (FileManager.default.contents(atPath: "/proc/\(child.pid)/cmdline") ?? Data()).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        }
        // setpriv sets the parent-death signal, then execs the program under the same pid.
        let deadline = Date().addingTimeInterval(5)
        while arguments().first != "/bin/sleep" && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(arguments() == ["/bin/sleep", "30"])
        let status = (try? String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8)) ?? ""
        #expect(status.contains("State:"), "the child is alive")
        child.stop(timeout: 1)
        #expect(child.exitDescription == "signal 15")
    }
}
