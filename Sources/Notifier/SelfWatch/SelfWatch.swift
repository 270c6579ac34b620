import Foundation
import ServiceRuntime

/// When to tell operators that the monitor itself is in trouble, and when that it is over.
/// Pure: ``observe(_:now:)`` takes the monitor's health and the time and returns the notices.
///
/// - A service offline, or the broker unreachable, for ``offlineAfter`` seconds: told once.
/// - Check results missing: told at once (``MonitoringHealth`` only says so after two intervals).
/// - Whatever was told "down" is told "back" when it clears — never an orphaned alert, also
///   across a restart of the notifier (``announced`` is kept by the caller).
/// - While the broker is unreachable nothing else this process knows is current: the other
///   conditions stay as they were, neither raised nor cleared.
package struct SelfWatch: Sendable, Equatable {
    /// Something that keeps the monitor from monitoring.
    package enum Condition: Hashable, Sendable, Comparable {
        case brokerUnreachable
        case resultsStalled
        case serviceOffline(String)

        /// A stable text key (`service_offline:prober`), for storage and event ids.
        package var key: String {
            switch self {
            case .brokerUnreachable: "broker_unreachable"
            case .resultsStalled: "results_stalled"
            case let .serviceOffline(name): "service_offline:\(name)"
            }
        }

        package init?(key: String) {
            switch key {
            case "broker_unreachable": self = .brokerUnreachable
            case "results_stalled": self = .resultsStalled
            default:
                guard key.hasPrefix("service_offline:") else { return nil }
                self = .serviceOffline(String(key.dropFirst("service_offline:".count)))
            }
        }
    }

    struct Watched: Sendable, Equatable {
        var since: Date
        var announced: Bool
    }

    /// Seconds a service may be offline (or the broker away) before operators are told.
    package let offlineAfter: TimeInterval
    /// This process's own service name: it cannot report itself offline.
    package let ownService: String
    private(set) var watched: [Condition: Watched] = [:]

    package init(offlineAfter: TimeInterval, ownService: String = "notifier") {
        self.offlineAfter = offlineAfter; self.ownService = ownService
    }

    /// Conditions told "down" and not yet "back", with since when (to keep across a restart).
    package var announced: [Condition: Date] {
        watched.filter(\.value.announced).mapValues(\.since)
    }

    /// Restores conditions told "down" before a restart, so their "back" is still sent.
    package mutating func restore(announced: [Condition: Date]) {
        for (condition, since) in announced { watched[condition] = Watched(since: since, announced: true) }
    }

    /// The notices due now, given the monitor's health.
    package mutating func observe(_ health: MonitoringHealth, now: Date) -> [SelfWatchNotice] {
        guard health.state != .starting else { return [] }
        var active: Set<Condition> = []
        let brokerAway = health.reasons.contains(.brokerUnreachable)
        if brokerAway {
            active.insert(.brokerUnreachable)
        } else {
            if health.reasons.contains(.noResults) { active.insert(.resultsStalled) }
            for name in health.servicesOffline where name != ownService { active.insert(.serviceOffline(name)) }
        }
        var notices: [SelfWatchNotice] = []
        for condition in active.sorted() {
            var entry = watched[condition] ?? Watched(since: now, announced: false)
            let waitFor: TimeInterval = condition == .resultsStalled ? 0 : offlineAfter
            if !entry.announced && now.timeIntervalSince(entry.since) >= waitFor {
                entry.announced = true
                notices.append(SelfWatchNotice(kind: .down, condition: condition, since: entry.since, at: now, lastResultAt: health.lastResultAt))
            }
            watched[condition] = entry
        }
        for (condition, entry) in watched.sorted(by: { $0.key < $1.key }) where !active.contains(condition) {
            // Frozen while the broker is away: only the broker condition itself can clear.
            if brokerAway && condition != .brokerUnreachable { continue }
            watched[condition] = nil
            if entry.announced {
                notices.append(SelfWatchNotice(kind: .back, condition: condition, since: entry.since, at: now, lastResultAt: health.lastResultAt))
            }
        }
        return notices
    }
}

/// One self-watch notice to operators.
package struct SelfWatchNotice: Sendable, Equatable {
    package enum Kind: String, Sendable { case down, back }
    package var kind: Kind
    package var condition: SelfWatch.Condition
    /// When the condition began.
    package var since: Date
    /// When it was noticed (down) or cleared (back).
    package var at: Date
    /// The last check result, when known.
    package var lastResultAt: Date?

    /// `monitor.down` / `monitor.back`, the delivery's event.
    package var event: String { "monitor_\(kind.rawValue)" }
}
