import CCTVContract
import Foundation
import Testing
@testable import ServiceRuntime

/// The one rule behind "monitoring stalled", the operators' self-watch notices and the heartbeat.
@Suite("monitoring health")
struct MonitoringHealthTests {
    let configuration = SelfWatchConfiguration(stallAfter: 130, offlineAfter: 120)
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let online = ["registry": "online", "prober": "online", "issues": "online", "notifier": "online", "gateway": "online"]

    func pulse(lastResult ago: TimeInterval?, cameras: Int = 10, sentAt: Date? = nil, receivedAt: Date? = nil, since: Date? = nil) -> MonitoringHealth.ReceivedPulse {
        let sent = sentAt ?? t0
        return .init(pulse: MonitorPulse(lastResultAt: ago.map { sent.addingTimeInterval(-$0) }, since: since ?? t0.addingTimeInterval(-3600),
                                         results: 5, cameras: cameras, every: 5),
                     sentAt: sent, receivedAt: receivedAt ?? t0)
    }

    func evaluate(_ pulse: MonitoringHealth.ReceivedPulse?, broker: Bool = true, services: [String: String]? = nil, now: Date? = nil,
                  startedAt: Date? = nil) -> MonitoringHealth {
        MonitoringHealth.evaluate(pulse: pulse, brokerConnected: broker, services: services ?? online, startedAt: startedAt ?? t0.addingTimeInterval(-600),
                                  now: now ?? t0, configuration: configuration)
    }

    @Test("results arriving, broker up, every service online: live")
    func live() {
        let health = evaluate(pulse(lastResult: 3))
        #expect(health.state == .live)
        #expect(health.reasons.isEmpty)
        #expect(health.lastResultAt == t0.addingTimeInterval(-3))
    }

    @Test("no result for longer than the stall time while cameras are enabled: stalled, no_results")
    func noResults() {
        let health = evaluate(pulse(lastResult: 131))
        #expect(health.state == .stalled)
        #expect(health.reasons == [.noResults])
    }

    @Test("a pulse that stops coming is itself a stall, however fresh its last result looked")
    func pulseStops() {
        let health = evaluate(pulse(lastResult: 1), now: t0.addingTimeInterval(131))
        #expect(health.reasons == [.noResults])
    }

    @Test("no result at all since the issues service started counting, long ago: stalled")
    func neverAResult() {
        let health = evaluate(pulse(lastResult: nil, since: t0.addingTimeInterval(-300)))
        #expect(health.reasons == [.noResults])
        #expect(evaluate(pulse(lastResult: nil, since: t0.addingTimeInterval(-30))).state == .live, "just started counting: not yet")
    }

    @Test("an empty fleet expects no results and is not stalled")
    func emptyFleet() {
        #expect(evaluate(pulse(lastResult: nil, cameras: 0, since: t0.addingTimeInterval(-86_400))).state == .live)
    }

    @Test("the broker unreachable says only that: everything else known is frozen")
    func brokerAway() {
        let health = evaluate(pulse(lastResult: 500), broker: false, services: ["prober": "offline"])
        #expect(health.state == .stalled)
        #expect(health.reasons == [.brokerUnreachable])
        #expect(health.servicesOffline.isEmpty)
    }

    @Test("a service offline makes monitoring stalled and is named")
    func serviceOffline() {
        var services = online
        services["prober-0of2"] = "offline"
        let health = evaluate(pulse(lastResult: 2), services: services)
        #expect(health.state == .stalled)
        #expect(health.reasons == [.serviceOffline])
        #expect(health.servicesOffline == ["prober-0of2"])
    }

    @Test("before a first pulse, within the stall time: starting, not stalled")
    func starting() {
        #expect(evaluate(nil, startedAt: t0.addingTimeInterval(-10)).state == .starting)
        #expect(evaluate(nil, startedAt: t0.addingTimeInterval(-200)).reasons == [.noResults])
    }

    @Test("the sender's clock may differ from ours: only ages count")
    func clockSkew() {
        // The issues host is 1 hour ahead; its last result was 10 s before its pulse, which arrived 5 s ago.
        let skewed = pulse(lastResult: 10, sentAt: t0.addingTimeInterval(3600), receivedAt: t0.addingTimeInterval(-5))
        let health = evaluate(skewed)
        #expect(health.state == .live)
        #expect(health.lastResultAt == t0.addingTimeInterval(-15))
    }

    @Test("the stall time defaults to two prober intervals plus 10 s")
    func defaults() throws {
        var configuration = try SelfWatchConfiguration(settings: Settings(arguments: [], environment: [:], keys: SelfWatchConfiguration.keys))
        #expect(configuration.stallAfter == 130)
        configuration.proberInterval = 30
        #expect(configuration.stallAfter == 70)
        #expect(configuration.offlineAfter == 120)
        #expect(configuration.heartbeatURL == nil)
        #expect(configuration.pulseEvery == 5)
        let explicit = try SelfWatchConfiguration(settings: Settings(arguments: ["--monitor-stall-after", "8"], environment: [:], keys: SelfWatchConfiguration.keys))
        #expect(explicit.stallAfter == 8)
        #expect(explicit.pulseEvery == 2)
    }

    @Test("a heartbeat URL that is not http(s) or has a port above 65535 is refused at start", arguments: [
        "ftp://hc-ping.com/x", "https://hc-ping.com:70000/x", "not a url",
    ])
    func badHeartbeatURL(url: String) throws {
        let settings = try Settings(arguments: ["--monitor-heartbeat-url", url], environment: [:], keys: SelfWatchConfiguration.keys)
        #expect(throws: SettingsError.self) { _ = try SelfWatchConfiguration(settings: settings) }
    }
}
