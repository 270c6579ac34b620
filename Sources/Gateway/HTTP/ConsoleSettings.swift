import Foundation

/// What the console's routes need from the configuration, read once by the gateway service.
public struct ConsoleSettings: Sendable {
    /// Where Debian's `libjs-chart.js` puts Chart.js.
    public static let debianChartJS = "/usr/share/javascript/chart.js"

    /// The prober's default check interval, for "stalled" (seconds).
    public var defaultInterval: Double
    /// How late the history writes last-check times (seconds).
    public var flushInterval: Double
    /// Chart.js, served at `/vendor/chart.js/`.
    public var chartDir: String

    public init(defaultInterval: Double = 60, flushInterval: Double = 300, chartDir: String = ConsoleSettings.debianChartJS) {
        self.defaultInterval = defaultInterval; self.flushInterval = flushInterval; self.chartDir = chartDir
    }
}
