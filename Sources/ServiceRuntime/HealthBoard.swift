import Foundation
import Synchronization

/// The health of one process: every service it runs registers the checks that must hold for it to
/// do its work (its broker connection, later its database). Read by the health endpoint
/// (`health.port`, `cctv-out health`), which container engines, systemd and load balancers poll.
public final class HealthBoard: Sendable {
    /// One named check, e.g. `issues broker`.
    public struct Check: Sendable {
        public var name: String
        public var passes: @Sendable () -> Bool
    }

    /// What the endpoint answers: healthy only when at least one check is registered and all pass.
    public struct Report: Codable, Sendable, Equatable {
        /// `ok`, `starting` (nothing registered yet) or `failing`.
        public var status: String
        /// Each check by name: `true` when it passes.
        public var checks: [String: Bool]
        /// The role of each active/standby service in this process (`leading` or `standby`), when it has one.
        public var roles: [String: String]?
        public var healthy: Bool { status == "ok" }
    }

    private let checks = Mutex<[Check]>([])
    private let roles = Mutex<[String: String]>([:])

    public init() {}

    /// Adds a check, or replaces the one of that name (a service that reconnects, or stands by,
    /// re-registers it); a service calls this once it has created what the check looks at.
    public func register(_ name: String, passes: @escaping @Sendable () -> Bool) {
        checks.withLock { checks in
            checks.removeAll { $0.name == name }
            checks.append(Check(name: name, passes: passes))
        }
    }

    /// Says whether an active/standby `service` leads here (`leading`) or waits (`standby`):
    /// both are healthy; the report shows which.
    public func setRole(_ service: String, _ role: String) {
        roles.withLock { $0[service] = role }
    }

    /// Runs every check now.
    public func report() -> Report {
        let current = checks.withLock { $0 }
        var results: [String: Bool] = [:]
        for check in current { results[check.name] = check.passes() }
        let status = current.isEmpty ? "starting" : (results.values.allSatisfy { $0 } ? "ok" : "failing")
        let roles = roles.withLock { $0 }
        return Report(status: status, checks: results, roles: roles.isEmpty ? nil : roles)
    }
}
