import CCTVContract
import Foundation
import ServiceRuntime
import Synchronization

/// What the gateway knows about the monitor monitoring: the latest `monitor/pulse`, its own
/// broker link, and each camera's "last checked" from `monitor/checked` — in memory only, so a
/// check result costs the gateway no write (a restart relearns them within one interval).
package final class MonitoringWatch: Sendable {
    let configuration: SelfWatchConfiguration
    let startedAt: Date
    private struct State {
        var pulse: MonitoringHealth.ReceivedPulse?
        var checked: [String: Date] = [:]
        var brokerConnected: @Sendable () -> Bool = { false }
    }
    private let state = Mutex(State())

    package init(configuration: SelfWatchConfiguration, startedAt: Date = Date()) {
        self.configuration = configuration; self.startedAt = startedAt
    }

    /// Where to ask whether the broker link is up (the gateway's own connection).
    package func observeBroker(_ isConnected: @escaping @Sendable () -> Bool) {
        state.withLock { $0.brokerConnected = isConnected }
    }

    /// A `monitor/pulse` arrived.
    package func received(_ pulse: Envelope<MonitorPulse>, at now: Date = Date()) {
        state.withLock { $0.pulse = .init(pulse: pulse.data, sentAt: pulse.at, receivedAt: now) }
    }

    /// A `monitor/checked` arrived: its times, moved onto this clock (no skew between hosts).
    package func received(_ checked: Envelope<MonitorChecked>, at now: Date = Date()) {
        state.withLock { state in
            for (id, at) in checked.data.cameras {
                let local = now.addingTimeInterval(-checked.at.timeIntervalSince(at))
                if local > state.checked[id] ?? .distantPast { state.checked[id] = local }
            }
        }
    }

    /// A camera was deleted.
    package func forget(_ cameraID: String) { _ = state.withLock { $0.checked.removeValue(forKey: cameraID) } }

    /// When the camera's latest result arrived, if seen since the gateway started.
    package func checkedAt(_ cameraID: String) -> Date? { state.withLock { $0.checked[cameraID] } }

    /// `status` with its "last checked" filled in.
    package func stamped(_ status: CameraHealth?) -> CameraHealth? {
        guard var status else { return nil }
        status.checkedAt = checkedAt(status.cameraID)
        return status
    }

    /// The monitor's health now, given every service's availability.
    package func health(services: [String: String], now: Date = Date()) -> MonitoringHealth {
        let (pulse, brokerConnected) = state.withLock { ($0.pulse, $0.brokerConnected) }
        return MonitoringHealth.evaluate(pulse: pulse, brokerConnected: brokerConnected(), services: services, startedAt: startedAt, now: now,
                                         configuration: configuration)
    }
}
