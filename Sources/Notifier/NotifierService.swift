import AsyncHTTPClient
import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// The notifier: turns `issues/opened|updated|resolved` (and camera notices: clock off, camera
/// replaced, firmware changed, signal lost, tampering) into deliveries to the responsible team's
/// channels (and operators), kept in a durable outbox (SQLite, or PostgreSQL shared by active/standby instances), acknowledged to the issues service
/// once committed (`notifications/acks`), sent with retries, back-off and per-channel circuit
/// breakers, escalated and repeated while unacknowledged, and reported on `notifications/sent|failed`.
package final class NotifierService: Service {
    let context: RuntimeContext
    let configuration: NotifierConfiguration
    package let store: DeliveryStore
    /// The contacts in force: stored by the notifier, edited from the dashboard or REST, applied at once.
    package let contacts: ContactsHolder
    package let policy: NotificationPolicy
    let breakers: EndpointBreakers
    /// Every channel's recent record (dashboard, channel alarm).
    package let health = ChannelHealthBook()
    let logger: Logger
    /// Operators told when the monitor itself is in trouble; the outbound heartbeat.
    package let selfWatch: SelfWatchMonitor
    let retention: RetentionSweeper
    /// One active notifier per shared store: the others stand by (on SQLite it leads at once).
    let lease: LeaderLease
    /// Whether this instance is standing by (nothing consumed, nothing sent).
    private let standingBy = Atomic<Bool>(false)

    /// Routing over the contacts in force.
    package var routing: NotificationRouting { contacts.routing }

    /// Loads and checks the contacts and opens the delivery store; nothing runs until ``run()``.
    /// - Throws: ``ContactsError`` naming the entry at fault, or a storage error.
    package init(context: RuntimeContext, configuration: NotifierConfiguration) throws {
        self.context = context
        self.configuration = configuration
        self.logger = context.logger(for: "notifier")
        self.policy = configuration.policy
        self.breakers = EndpointBreakers(threshold: configuration.breakerFailures, coolDown: configuration.breakerCooldown)
        self.store = try DeliveryStore(location: context.configuration.databaseLocation, logger: logger)
        self.lease = LeaderLease(location: context.configuration.databaseLocation, role: "notifier", holder: LeaderLease.defaultHolder, logger: logger)
        // The file and the webhook settings are the import: when what they say changed since the
        // last start they replace the stored contacts; otherwise the stored ones (edited in the
        // dashboard meanwhile) stay in force.
        let configured = try configuration.contactBook()
        let sourceHash = hexString(sha256(Array(configured.json().utf8)))
        if let stored = try store.storedContacts(), stored.sourceHash == sourceHash {
            self.contacts = ContactsHolder(stored.book)
        } else {
            try store.saveContacts(configured, sourceHash: sourceHash, by: "settings")
            self.contacts = ContactsHolder(configured)
        }
        let shared = context.configuration
        self.selfWatch = SelfWatchMonitor(configuration: shared.selfWatch, store: store, contacts: contacts, policy: policy, logger: logger)
        self.retention = RetentionSweeper(database: store.database, logger: logger,
                                          rules: DeliveryRetention.rules(deliveryDays: shared.retention.deliveryDays, incidentDays: shared.retention.incidentDays))
    }

    /// One sender per channel kind, sharing one HTTP client.
    package static func channels(http: HTTPClient, timeoutSeconds: Int) -> [ChannelKind: any DeliveryChannel] {
        let poster = HTTPPoster(client: http, timeoutSeconds: timeoutSeconds)
        return [
            .webhook: WebhookChannel(poster: poster), .slack: SlackChannel(poster: poster), .teams: TeamsChannel(poster: poster),
            .telegram: TelegramChannel(poster: poster), .discord: DiscordChannel(poster: poster), .email: EmailChannel(timeoutSeconds: timeoutSeconds),
        ]
    }

    /// Runs while this instance leads the notifier (at once on SQLite); stands by while another
    /// instance leads — connected to nothing on the broker, so the shared persistent session
    /// `{instance}-notifier` keeps queueing issue events for whoever leads — and, after losing
    /// the lead (its work is cancelled and its store fenced), stands by again.
    package func run() async throws {
        let work = Task { try await self.leadWhenElected() }
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await work.value
            } onGracefulShutdown: {
                // The leader shuts down gracefully inside `serve`; a standby has nothing to finish.
                if self.standingBy.load(ordering: .relaxed) { work.cancel() }
            }
        } onCancel: {
            work.cancel()
        }
    }

    private func leadWhenElected() async throws {
        while !Task.isCancelled {
            do {
                try await lease.withLeadership(onStandby: { self.standBy() }) { fence in
                    try await self.lead(fence)
                }
                return
            } catch let LeadershipError.lost(role, epoch) {
                // The leader's work was cancelled and disconnected; the fence keeps refusing its writes.
                logger.warning("lost the lead: standing by", metadata: ["role": "\(role)", "epoch": "\(epoch)"])
                standBy()
            } catch is CancellationError {
                return
            } catch where context.configuration.database != nil {
                // Shared store unreachable or failing: another instance may lead meanwhile.
                logger.error("stopped leading after an error: standing by", metadata: ["error": "\(error)"])
                standBy()
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func standBy() {
        context.health.setStandby("notifier", true)
        if standingBy.exchange(true, ordering: .relaxed) { return }
        logger.info("standing by: another notifier instance leads")
    }

    /// The leader's work: in-flight deliveries of the previous leader go again (same keys), then
    /// issue events are taken and deliveries sent until shutdown or cancellation.
    private func lead(_ fence: LeadershipFence) async throws {
        store.use(fence)
        standingBy.store(false, ordering: .relaxed)
        context.health.setStandby("notifier", false)
        logger.info("leading the notifier", metadata: ["epoch": "\(fence.epoch)"])
        let resumed = try store.resumeInFlight()
        if resumed > 0 {
            logger.warning("deliveries were being sent when the last run stopped: sending them again with the same Idempotency-Key",
                           metadata: ["count": "\(resumed)"])
        }
        let lease = lease
        let bus = context.makeBus(service: "notifier", connectPermit: { lease.isConfirmed })
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await bus.withSubscriptions([[self.context.topics.allIssues], [self.context.topics.allAvailability, self.context.topics.monitorPulse],
                                                     [self.context.topics.allNotifierCommands],
                                                     [self.context.topics.allConfigs, self.context.topics.allONVIF, self.context.topics.allONVIFEvents,
                                                      self.context.topics.deviceChanges]]) { subscriptions in
                        bus.start()
                        try await self.serve(bus: bus, events: subscriptions[0], watched: subscriptions[1], commands: subscriptions[2],
                                             cameras: subscriptions[3])
                    }
                }
                group.addTask { try await self.watchFence() }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            logger.debug("leader work ended", metadata: ["error": "\(error)"])
            if error is LeadershipError { standBy() }
            // Lost the lead (cancelled by the lease, or fenced): the new leader's `online` must stay.
            await bus.shutdown(announcingOffline: !Task.isCancelled && !(error is LeadershipError))
            throw error
        }
        // Cancelled = the lead was lost: the new leader's `online` must stay.
        await bus.shutdown(announcingOffline: !Task.isCancelled)
        try Task.checkCancellation()
    }

    /// Throws as soon as one of the store's writes was fenced off: the lead is lost even if the
    /// lease has not noticed yet (a process resumed after a pause wrote first). Ends the leader's
    /// work; returns when cancelled.
    private func watchFence() async throws {
        while !Task.isCancelled {
            if let lost = store.fencedOut { throw lost }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Accepts issue events, delivers, publishes outcomes and acknowledgements, and watches the
    /// other services (`watched`: availability and the prober's pulse), and answers `commands` (who
    /// is told, test sends) and turns `cameras` (definitions, ONVIF results, device changes) into
    /// camera notices until shutdown.
    func serve(bus: ServiceBus, events: MQTTSubscription, watched: MQTTSubscription, commands: MQTTSubscription,
               cameras: MQTTSubscription) async throws {
        let outbox = EventOutbox(database: store.database, logger: logger)
        let store = store
        outbox.guardWrites { db in try store.currentFence.check(db) }
        let decoder = MessageDecoder(service: "notifier", logger: logger)
        let http = HTTPPoster.makeClient()
        // Issue events are taken in batches, one transaction each: a 10,000-incident storm is
        // acknowledged in a few transactions instead of 10,000.
        let inbox = MessageBatches<MQTTMessage>(maxBatch: 500)
        let progress = InboxProgress()
        let dispatcher = DeliveryDispatcher(store: store, contacts: contacts, health: health,
                                            channels: Self.channels(http: http, timeoutSeconds: configuration.timeoutSeconds),
                                            breakers: breakers, maxAttempts: configuration.maxAttempts, topics: context.topics, logger: logger,
                                            caughtUp: { progress.caughtUp(idle: inbox.buffered == 0) },
                                            onRecorded: { _ in outbox.signal() })
        if contacts.current.teams.isEmpty {
            logger.warning("no contacts configured: incidents are acknowledged but nobody is told (set notifier.contacts or notifier.webhook.*, or add teams in the dashboard)")
        }
        let finishAll: @Sendable () -> Void = {
            outbox.finish()
            inbox.finish()
        }
        try await withGracefulShutdownHandler {
            await withTaskCancellationHandler { await withTaskGroup(of: Void.self) { group in
                group.addTask { await outbox.run(on: bus) }
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
                    await inbox.pump(from: events)
                    inbox.finish()
                }
                group.addTask {
                    while let batch = await inbox.next() {
                        let received = progress.begin()
                        if await self.accept(batch, decoder: decoder) { dispatcher.kick() }
                        progress.applied(upTo: received)
                        outbox.signal()
                    }
                }
                group.addTask {
                    for await message in commands {
                        await self.handleCommand(message, bus: bus, http: http, dispatcher: dispatcher)
                    }
                }
                group.addTask { await self.watchChannels(bus: bus, dispatcher: dispatcher) }
                group.addTask { await self.watchCameras(cameras, decoder: decoder, dispatcher: dispatcher) }
                await group.next()
                group.cancelAll()
            } } onCancel: {
                // The lead was lost: stop at once (the fence already refuses every write).
                finishAll()
            }
        } onGracefulShutdown: {
            finishAll()
        }
        try? await http.shutdown()
    }

    /// Stores the deliveries for a batch of issue events and their acknowledgements in one
    /// transaction; returns whether anything new was queued.
    func accept(_ messages: [MQTTMessage], decoder: MessageDecoder) async -> Bool {
        let events = messages.compactMap { message -> DeliveryStore.IssueEvent? in
            guard let envelope = decoder.decode(message, as: IssueRecord.self, expecting: [.issueOpened, .issueUpdated, .issueResolved]) else { return nil }
            return DeliveryStore.IssueEvent(eventID: envelope.id, type: envelope.type, issue: envelope.data)
        }
        return await accept(events)
    }

    /// One transaction for the events; if it fails, one per event, so one bad event cannot hold up the others.
    func accept(_ events: [DeliveryStore.IssueEvent]) async -> Bool {
        guard !events.isEmpty else { return false }
        do {
            let added = try await store.accept(events, routing: routing, policy: policy, topics: context.topics)
            if added > 0 { logger.info("notifications queued", metadata: ["events": "\(events.count)", "count": "\(added)"]) }
            return added > 0
        } catch where events.count > 1 {
            var any = false
            for event in events { any = await accept([event]) || any }
            return any
        } catch {
            // Not acknowledged: the issues service sends the event again.
            logger.error("could not queue notifications", metadata: ["issue": "\(events[0].issue.id)", "error": "\(error)"])
            return false
        }
    }

    /// Fires escalations and reminders when due (at least once a second, so a timer is at most ~1 s late).
    func timerLoop(dispatcher: DeliveryDispatcher) async {
        while !Task.isCancelled {
            do {
                let added = try await store.fireTimers(routing: routing, policy: policy, topics: context.topics)
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

/// Up to when the issue events received have been applied: the dispatcher sends nothing due
/// later than that, so an event that withdraws a held notice is applied before the notice goes.
final class InboxProgress: Sendable {
    private struct State {
        var appliedUpTo = Date()
        var applying = false
    }
    private let state = Mutex(State())

    /// A batch was taken from the inbox; returns when.
    func begin() -> Date {
        state.withLock { $0.applying = true }
        return Date()
    }

    /// The batch taken at `received` is applied: so is everything received before it.
    func applied(upTo received: Date) {
        state.withLock { state in
            state.appliedUpTo = max(state.appliedUpTo, received)
            state.applying = false
        }
    }

    /// Now when nothing waits and nothing is being applied (`idle`: the inbox is empty), else the
    /// time up to which events were applied.
    func caughtUp(idle: Bool) -> Date {
        state.withLock { state in idle && !state.applying ? Date() : state.appliedUpTo }
    }
}
