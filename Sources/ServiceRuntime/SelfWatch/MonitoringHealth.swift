import CCTVContract
import Foundation

/// Whether the monitor is monitoring right now: the one rule behind the dashboard's "monitoring
/// stalled" banner, `/api/summary`, the operators' self-watch notices and the outbound heartbeat.
package struct MonitoringHealth: Codable, Sendable, Equatable {
    package enum State: String, Codable, Sendable {
        /// Results arrive, the broker is reachable, every service is online.
        case live
        /// Something stops the monitor from monitoring: see ``reasons``.
        case stalled
        /// Just started: no pulse yet, and not long enough to call it stalled.
        case starting
    }

    /// Why it is not live.
    package enum Reason: String, Codable, Sendable {
        /// This process has no broker connection: nothing else it knows is current.
        case brokerUnreachable = "broker_unreachable"
        /// No check result for ``SelfWatchConfiguration/stallAfter`` while cameras are enabled.
        case noResults = "no_results"
        /// A service said `offline` (or its last will did).
        case serviceOffline = "service_offline"
    }

    package var state: State
    package var reasons: [Reason]
    /// Services whose availability is `offline`.
    package var servicesOffline: [String]
    /// When the last check result arrived, on this process's clock.
    package var lastResultAt: Date?
    /// Enabled cameras, from the latest pulse.
    package var cameras: Int?

    package init(state: State, reasons: [Reason] = [], servicesOffline: [String] = [], lastResultAt: Date? = nil, cameras: Int? = nil) {
        self.state = state; self.reasons = reasons; self.servicesOffline = servicesOffline; self.lastResultAt = lastResultAt; self.cameras = cameras
    }

    /// A pulse as received: its envelope's `at` (sender's clock) and when it arrived (ours).
    package struct ReceivedPulse: Sendable, Equatable {
        package var pulse: MonitorPulse
        package var sentAt: Date
        package var receivedAt: Date
        package init(pulse: MonitorPulse, sentAt: Date, receivedAt: Date) { self.pulse = pulse; self.sentAt = sentAt; self.receivedAt = receivedAt }

        /// When the last result arrived, moved onto the receiver's clock (no clock skew between
        /// hosts): its age at sending plus the time since the pulse arrived.
        package var lastResultAt: Date? { pulse.lastResultAt.map(onReceiverClock) }

        /// Since when results are missing: the last result, or the sender's start when none came.
        var silentSince: Date { onReceiverClock(pulse.lastResultAt ?? pulse.since) }

        func onReceiverClock(_ senderTime: Date) -> Date { receivedAt.addingTimeInterval(-sentAt.timeIntervalSince(senderTime)) }
    }

    /// Judges the monitor's health.
    /// - Parameters:
    ///   - pulse: the latest `monitor/pulse`, if any arrived.
    ///   - brokerConnected: whether this process's broker connection is up.
    ///   - services: every known service's availability (`online` / `offline`).
    ///   - startedAt: when this process started watching (the grace before a first pulse).
    package static func evaluate(pulse: ReceivedPulse?, brokerConnected: Bool, services: [String: String], startedAt: Date, now: Date,
                                configuration: SelfWatchConfiguration) -> MonitoringHealth {
        let lastResult = pulse?.lastResultAt
        // Without the broker everything else this process knows is frozen: say only that.
        guard brokerConnected else {
            return MonitoringHealth(state: .stalled, reasons: [.brokerUnreachable], lastResultAt: lastResult, cameras: pulse?.pulse.cameras)
        }
        var reasons: [Reason] = []
        let offline = services.filter { $0.value == "offline" }.map(\.key).sorted()
        if !offline.isEmpty { reasons.append(.serviceOffline) }
        if let pulse {
            let resultsMissing = pulse.pulse.cameras > 0 && now.timeIntervalSince(pulse.silentSince) > configuration.stallAfter
            // A pulse that stopped coming: whoever counts results is gone.
            let pulseMissing = now.timeIntervalSince(pulse.receivedAt) > configuration.stallAfter
            if resultsMissing || pulseMissing { reasons.append(.noResults) }
        } else if now.timeIntervalSince(startedAt) > configuration.stallAfter {
            reasons.append(.noResults)
        } else {
            return MonitoringHealth(state: .starting, reasons: reasons, servicesOffline: offline)
        }
        return MonitoringHealth(state: reasons.isEmpty ? .live : .stalled, reasons: reasons, servicesOffline: offline,
                                lastResultAt: lastResult, cameras: pulse?.pulse.cameras)
    }
}
