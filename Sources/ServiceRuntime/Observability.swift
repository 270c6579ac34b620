import Foundation
import Logging
import Metrics
import Prometheus

/// Process-wide logging and metrics set-up, done once at start.
package enum Observability {
    /// The Prometheus registry every metric of this process lands in (served by the gateway at /metrics).
    package static let prometheus = PrometheusCollectorRegistry()

    private static let bootstrapped: Bool = {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
        return true
    }()

    /// Bootstraps swift-log (stderr, with metadata) at `level` and swift-metrics (Prometheus).
    package static func bootstrap(logLevel: String) {
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        bootstrapMetrics()
    }

    /// Bootstraps only metrics (tests keep their own logging).
    package static func bootstrapMetrics() { _ = bootstrapped }

    /// The Prometheus text exposition of every metric.
    package static func prometheusText() -> String {
        var buffer: [UInt8] = []
        prometheus.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
