import Gateway
import Issues
import Notifier
import Prober
import Registry
import ServiceRuntime

/// Every service's configuration, read once from flags, `CCTVOUT_*` variables and the file at
/// start: a mistake in any option stops the command before anything runs.
///
/// Tests and benchmarks build it directly: `var configuration = InstallationConfiguration();
/// configuration.prober.interval = 1`.
package struct InstallationConfiguration: Sendable {
    package var runtime = RuntimeConfiguration()
    package var registry = RegistryConfiguration()
    package var gateway = GatewayConfiguration()
    package var prober = ProberConfiguration()
    package var issues = IssuesConfiguration()
    package var notifier = NotifierConfiguration()

    /// Every default.
    package init() {}

    /// Every key of every service, in the order `cctv-out config` and the README list them.
    package static let keys: [SettingKey] = RuntimeConfiguration.keys + RegistryConfiguration.keys + GatewayConfiguration.keys + ProberConfiguration.keys
        + IssuesConfiguration.keys + NotifierConfiguration.keys

    /// Reads every service's keys once.
    /// - Throws: ``SettingsError`` naming the first key at fault.
    package init(settings: Settings) throws(SettingsError) {
        runtime = try RuntimeConfiguration(settings: settings)
        registry = try RegistryConfiguration(settings: settings)
        gateway = try GatewayConfiguration(settings: settings)
        runtime.publicURL = RuntimeConfiguration.dashboardAddress(publicURL: runtime.publicURL, listenHost: gateway.host, port: gateway.port,
                                                                      https: gateway.https)
        prober = try ProberConfiguration(settings: settings)
        gateway.defaultCheckInterval = prober.interval
        issues = try IssuesConfiguration(settings: settings)
        notifier = try NotifierConfiguration(settings: settings, runtime: runtime)
    }
}
