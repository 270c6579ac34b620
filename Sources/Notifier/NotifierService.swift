import AsyncHTTPClient
import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime

/// The notifier: turns `issues/opened|updated|resolved` into deliveries to the responsible team's
/// channels (and operators), kept in a durable SQLite outbox, acknowledged to the issues service
/// once committed (`notifications/acks`), sent with retries, back-off and per-channel circuit
/// breakers, escalated and repeated while unacknowledged, and reported on `notifications/sent|failed`.
public final class NotifierService: Service {
    let context: RuntimeContext
    let configuration: NotifierConfiguration
    public let store: DeliveryStore
    public let routing: NotificationRouting
    public let policy: NotificationPolicy
    let breakers: EndpointBreakers
    let logger: Logger
    /// Operators told when the monitor itself is in trouble; the outbound heartbeat.
    let selfWatch: SelfWatchMonitor
    let retention: RetentionSweeper

    /// Loads and checks the contacts and opens the delivery store; nothing runs until ``run()``.
    /// - Throws: ``ContactsError`` naming the entry at fault, or a storage error.
    public init(context: RuntimeContext, configuration: NotifierConfiguration) throws {
        self.context = context
        self.configuration = configuration
        self.logger = context.logger(for: "notifier")
        self.routing = NotificationRouting(book: try configuration.contactBook())
        self.policy = configuration.policy
        self.breakers = EndpointBreakers(threshold: configuration.breakerFailures, coolDown: configuration.breakerCooldown)
        self.store = try DeliveryStore(dataDir: context.dataDir)
        let shared = context.configuration
        self.selfWatch = SelfWatchMonitor(configuration: shared.selfWatch, store: store, routing: routing, policy: policy, logger: logger)
        self.retention = RetentionSweeper(database: store.database, logger: logger,
                                          rules: DeliveryRetention.rules(deliveryDays: shared.retention.deliveryDays, incidentDays: shared.retention.incidentDays))
    }

    /// One sender per channel kind, sharing one HTTP client.
    public static func channels(http: HTTPClient, timeoutSeconds: Int) -> [ChannelKind: any DeliveryChannel] {
        let poster = HTTPPoster(client: http, timeoutSeconds: timeoutSeconds)
        return [
            .webhook: WebhookChannel(poster: poster), .slack: SlackChannel(poster: poster), .teams: TeamsChannel(poster: poster),
            .telegram: TelegramChannel(poster: poster), .discord: DiscordChannel(poster: poster), .email: EmailChannel(timeoutSeconds: timeoutSeconds),
        ]
    }

    public func run() async throws {
        let bus = context.makeBus(service: "notifier")
        try await bus.withSubscriptions([[context.topics.allIssues], [context.topics.allAvailability, context.topics.monitorPulse]]) { subscriptions in
            bus.start()
            try await serve(bus: bus, events: subscriptions[0], watched: subscriptions[1])
        }
        await bus.shutdown()
    }

    /// Accepts issue events, delivers, publishes outcomes and acknowledgements, and watches the
    /// other services (`watched`: availability and the prober's pulse) until shutdown.
    func serve(bus: ServiceBus, events: MQTTSubscription, watched: MQTTSubscription) async throws {
        let outbox = EventOutbox(database: store.database, logger: logger)
        let decoder = MessageDecoder(service: "notifier", logger: logger)
        let http = HTTPPoster.makeClient()
        let dispatcher = DeliveryDispatcher(store: store, book: routing.book, channels: Self.channels(http: http, timeoutSeconds: configuration.timeoutSeconds),
                                            breakers: breakers, maxAttempts: configuration.maxAttempts, topics: context.topics, logger: logger,
                                            onRecorded: { _ in outbox.signal() })
        if routing.book.teams.isEmpty {
            logger.warning("no contacts configured: incidents are acknowledged but nobody is told (set notifier.contacts or notifier.webhook.*)")
        }
        try await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await outbox.run(client: bus.client) }
                group.addTask { await dispatcher.run() }
                group.addTask { await self.selfWatch.run(bus: bus, dispatcher: dispatcher) }
                group.addTask { await self.selfWatch.heartbeat(http: http) }
                group.addTask { await self.retention.run() }
                group.addTask {
                    for await message in watched { self.selfWatch.received(message, topics: self.context.topics) }
                }
                // Only when on: the first child to end ends the service.
                if self.policy.escalateAfter > 0 || self.policy.remindEvery > 0 {
                    group.addTask { await self.timerLoop(dispatcher: dispatcher) }
                }
                group.addTask {
                    for await message in events {
                        if self.accept(message, decoder: decoder) { dispatcher.kick() }
                        outbox.signal()
                    }
                }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            outbox.finish()
        }
        try? await http.shutdown()
    }

    /// Stores the deliveries for one issue event and its acknowledgement; returns whether anything new was queued.
    func accept(_ message: MQTTMessage, decoder: MessageDecoder) -> Bool {
        guard let envelope = decoder.decode(message, as: IssueRecord.self, expecting: [.issueOpened, .issueUpdated, .issueResolved]) else { return false }
        do {
            let added = try store.accept(eventID: envelope.id, type: envelope.type, issue: envelope.data, routing: routing, policy: policy, topics: context.topics)
            if added > 0 { logger.info("notifications queued", metadata: ["issue": "\(envelope.data.id)", "type": "\(envelope.type.rawValue)", "count": "\(added)"]) }
            return added > 0
        } catch {
            // Not acknowledged: the issues service sends the event again.
            logger.error("could not queue notifications", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Fires escalations and reminders when due (at least once a second, so a timer is at most ~1 s late).
    func timerLoop(dispatcher: DeliveryDispatcher) async {
        while !Task.isCancelled {
            do {
                let added = try store.fireTimers(routing: routing, policy: policy, topics: context.topics)
                if added > 0 {
                    logger.info("escalations or reminders queued", metadata: ["count": "\(added)"])
                    dispatcher.kick()
                }
            } catch {
                logger.error("could not fire timers", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
