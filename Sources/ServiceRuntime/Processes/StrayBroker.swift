import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private mosquitto left running by an earlier `serve` that died without stopping it (`kill -9`
/// on a system without `setpriv`, or a broker started by hand with our config): found through the
/// pid file `serve` writes and a scan of `/proc`, and stopped only when its command line proves it
/// is a mosquitto started with *this* data folder's config, never someone else's broker.
package enum StrayBroker {
    /// Processes that are a mosquitto running `configFile`: the pid in `pidFile` (when it still
    /// is one) and any other found in `/proc`. Never this process.
    package static func find(configFile: String, pidFile: String) -> [pid_t] {
        var found: [pid_t] = []
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
           pid > 1, isOurBroker(pid, configFile: configFile) {
            found.append(pid)
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry), pid > 1, pid != getpid(), !found.contains(pid) else { continue }
            if isOurBroker(pid, configFile: configFile) { found.append(pid) }
        }
        return found
    }

    /// Whether `pid`'s command line is `…mosquitto … -c <configFile>` (directly, or still inside
    /// the `setpriv` that is about to become it).
    static func isOurBroker(_ pid: pid_t, configFile: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return false }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return matches(arguments: arguments, configFile: configFile)
    }

    /// The rule on a command line: the program is `mosquitto` (or `setpriv` about to exec a
    /// `mosquitto`) and `-c` is followed by exactly `configFile`.
    static func matches(arguments: [String], configFile: String) -> Bool {
        let names = arguments.map { ($0 as NSString).lastPathComponent }
        guard let program = names.first else { return false }
        guard program == "mosquitto" || (program == "setpriv" && names.contains("mosquitto")) else { return false }
        return zip(arguments, arguments.dropFirst()).contains { $0 == "-c" && $1 == configFile }
    }

    /// Stops `pid` with SIGTERM (mosquitto saves its store), SIGKILL after `timeout` seconds;
    /// returns whether it is gone.
    @discardableResult
    package static func stop(_ pid: pid_t, timeout: Double = 5) -> Bool {
        kill(pid, SIGTERM)
        if waitUntilGone(pid, timeout: timeout) { return true }
        kill(pid, SIGKILL)
        return waitUntilGone(pid, timeout: 2)
    }

    private static func waitUntilGone(_ pid: pid_t, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !isAlive(pid) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return !isAlive(pid)
    }

    /// Alive and not a zombie (an orphan is reaped by init, a child of ours only by us).
    private static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }
}
