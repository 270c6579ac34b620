import AsyncHTTPClient
import Foundation
import Logging
import ServiceLifecycle
import ServiceRuntime

/// The outbound heartbeat, for a watcher outside CCTV Out (Healthchecks.io, Uptime Kuma "push"
/// monitors, or anything that alarms when a URL stops being called): a plain GET of
/// `monitor.heartbeat-url` every `monitor.heartbeat-every` seconds while the monitor is live.
///
/// While it is not live (a service offline, results stalled, the broker away) the heartbeat URL
/// is **not** called, which both services understand as "down" after their grace period; when
/// `monitor.heartbeat-fail-url` is set (Healthchecks.io's `<url>/fail`, or an Uptime Kuma push
/// URL with `?status=down`) that one is called instead, so the watcher alarms at once. And when
/// CCTV Out itself is dead or hung nothing is called at all — the case a heartbeat exists for.
package enum Heartbeat {
    /// The URL to call for `health`: the heartbeat while live, the fail URL (if any) while
    /// stalled, nothing while starting.
    package static func url(for health: MonitoringHealth, configuration: SelfWatchConfiguration) -> String? {
        switch health.state {
        case .live: configuration.heartbeatURL
        case .stalled: configuration.heartbeatFailURL
        case .starting: nil
        }
    }

    /// Calls the URL due every `configuration.heartbeatEvery` seconds until shutdown.
    static func run(configuration: SelfWatchConfiguration, health: @Sendable () -> MonitoringHealth, http: HTTPClient, logger: Logger) async {
        guard configuration.heartbeatURL != nil || configuration.heartbeatFailURL != nil else { try? await gracefulShutdown(); return }
        var nextDue = ContinuousClock.now
        var failures = 0
        var calledOnce = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if ContinuousClock.now >= nextDue {
                let current = health()
                if current.state != .starting { nextDue = .now.advanced(by: .milliseconds(Int(configuration.heartbeatEvery * 1000))) }
                if let url = url(for: current, configuration: configuration) {
                    do {
                        let response = try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
                        _ = try? await response.body.collect(upTo: 64 * 1024)
                        guard (200..<300).contains(response.status.code) else { throw HeartbeatError(status: Int(response.status.code)) }
                        if !calledOnce || failures > 0 {
                            logger.info("heartbeat called", metadata: ["state": "\(current.state.rawValue)", "status": "\(response.status.code)"])
                        }
                        calledOnce = true
                        failures = 0
                    } catch {
                        failures += 1
                        if failures == 1 || failures % 10 == 0 {
                            logger.warning("heartbeat call failed", metadata: ["error": "\(error)", "failures": "\(failures)"])
                        }
                    }
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }

    struct HeartbeatError: Error, CustomStringConvertible {
        let status: Int
        var description: String { "the heartbeat URL answered HTTP \(status)" }
    }
}
