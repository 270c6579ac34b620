import AsyncHTTPClient
import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// The notifier's watch over the rest of the monitor: every service's availability and the
/// issues service's `monitor/pulse` in, the ``SelfWatch`` verdict every second, its notices to
/// the operators' channels through the delivery outbox, and the outbound ``Heartbeat``.
package final class SelfWatchMonitor: Sendable {
    let configuration: SelfWatchConfiguration
    let store: DeliveryStore
    /// The contacts in force (edited without a restart).
    let contacts: ContactsHolder
    let policy: NotificationPolicy
    let logger: Logger
    let startedAt = Date()
    private struct Seen {
        var pulse: MonitoringHealth.ReceivedPulse?
        var services: [String: String] = [:]
        var brokerConnected: @Sendable () -> Bool = { false }
    }
    private let seen = Mutex(Seen())

    init(configuration: SelfWatchConfiguration, store: DeliveryStore, contacts: ContactsHolder, policy: NotificationPolicy, logger: Logger) {
        self.configuration = configuration; self.store = store; self.contacts = contacts; self.policy = policy; self.logger = logger
    }

    /// Takes in an availability or pulse message.
    func received(_ message: MQTTMessage, topics: Topics, at now: Date = Date()) {
        if message.topic == topics.monitorPulse {
            guard let envelope = try? ContractCodec.decode(message.payload, as: MonitorPulse.self, expecting: [.monitorPulse]) else { return }
            seen.withLock { $0.pulse = .init(pulse: envelope.data, sentAt: envelope.at, receivedAt: now) }
        } else if message.topic.hasSuffix("/availability") {
            let parts = message.topic.split(separator: "/")
            guard parts.count >= 3, let state = message.text, state == "online" || state == "offline" else { return }
            seen.withLock { $0.services[String(parts[parts.count - 2])] = state }
        }
    }

    /// The monitor's health as the notifier sees it (its own availability left out: it is running).
    package func health(now: Date = Date()) -> MonitoringHealth {
        let (pulse, services, connected) = seen.withLock { ($0.pulse, $0.services, $0.brokerConnected) }
        return MonitoringHealth.evaluate(pulse: pulse, brokerConnected: connected(), services: services.filter { $0.key != "notifier" },
                                         startedAt: startedAt, now: now, configuration: configuration)
    }

    /// Judges every second and queues the notices due, until shutdown.
    func run(bus: ServiceBus, dispatcher: DeliveryDispatcher) async {
        seen.withLock { $0.brokerConnected = { bus.isConnected } }
        var watch = SelfWatch(offlineAfter: configuration.offlineAfter)
        do { watch.restore(announced: try store.announcedSelfWatch()) } catch {
            logger.error("could not read the self-watch conditions told before", metadata: ["error": "\(error)"])
        }
        let operators = contacts.current.teams.filter { $0.role == .operators }
        let recipients = operators.flatMap { team in team.channels.map { Recipient(team: team, channel: $0) } }
        if recipients.isEmpty {
            logger.warning("no operators team in the contacts: nobody is told when a service goes offline or checks stall (set notifier.webhook.operators or a team with role operators)")
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let now = Date()
            for notice in watch.observe(health(now: now), now: now) {
                logger.log(level: notice.kind == .down ? .error : .notice, "self-watch: \(notice.kind == .down ? "monitor in trouble" : "monitor recovered")",
                           metadata: ["condition": "\(notice.condition.key)", "since": "\(notice.since)"])
                do {
                    if try store.queue(notice, recipients: recipients, policy: policy, now: now) > 0 { dispatcher.kick() }
                } catch {
                    logger.error("could not queue a self-watch notice", metadata: ["condition": "\(notice.condition.key)", "error": "\(error)"])
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }

    /// The outbound heartbeat, until shutdown.
    func heartbeat(http: HTTPClient) async {
        await Heartbeat.run(configuration: configuration, health: { self.health() }, http: http, logger: logger)
    }
}
