import Foundation
import Synchronization

/// The health of one process: every service it runs registers the checks that must hold for it to
/// do its work (its broker connection, later its database). Read by the health endpoint
/// (`health.port`, `cctv-out health`), which container engines, systemd and load balancers poll.
package final class HealthBoard: Sendable {
    /// One named check, e.g. `issues broker`.
    package struct Check: Sendable {
        package var name: String
        package var passes: @Sendable () -> Bool
    }

    /// What the endpoint answers: healthy only when at least one check is registered and all pass
    /// (a service on standby counts as healthy: it is ready to take over).
    package struct Report: Codable, Sendable, Equatable {
        /// `ok`, `standby` (every service here waits as a standby), `starting` (nothing registered yet) or `failing`.
        package var status: String
        /// Each check by name: `true` when it passes (a standby service's checks are not run).
        package var checks: [String: Bool]
        /// Services waiting as standby of an active instance elsewhere (active/standby on PostgreSQL).
        package var standby: [String]?
        package var healthy: Bool { status == "ok" || status == "standby" }
    }

    private let checks = Mutex<[Check]>([])
    private let standbys = Mutex<Set<String>>([])

    package init() {}

    /// Adds a check (replacing one of the same name); a service calls this once it has created what
    /// the check looks at. Checks named `{service} …` belong to that service.
    package func register(_ name: String, passes: @escaping @Sendable () -> Bool) {
        checks.withLock { checks in
            checks.removeAll { $0.name == name }
            checks.append(Check(name: name, passes: passes))
        }
    }

    /// Marks `service` as waiting for the leadership (or no longer): its checks are set aside and the
    /// report names it under `standby`.
    package func setStandby(_ service: String, _ standby: Bool) {
        standbys.withLock { if standby { $0.insert(service) } else { $0.remove(service) } }
    }

    /// Runs every check now.
    package func report() -> Report {
        let current = checks.withLock { $0 }
        let standby = standbys.withLock { $0 }
        var results: [String: Bool] = [:]
        for check in current where !standby.contains(where: { check.name.hasPrefix($0 + " ") }) { results[check.name] = check.passes() }
        let status = if !results.values.allSatisfy({ $0 }) { "failing" } else if !results.isEmpty { "ok" } else if !standby.isEmpty { "standby" } else { "starting" }
        return Report(status: status, checks: results, standby: standby.isEmpty ? nil : standby.sorted())
    }
}
