import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// The issues service: turns `cctv/+/icmp` and `cctv/+/hls` results into incidents with the
/// diagnosis table and hysteresis, persists them, and publishes `issues/opened|updated|resolved`
/// and each camera's retained `cctv/{id}/status` through a transactional outbox.
///
/// Results and camera definitions are applied in batches, one SQLite transaction per batch
/// (whatever arrived while the previous one was written, at most ``maxBatch``): one transaction
/// per result capped the service at ~300–500 results/s (an fsync each), so a 10,000-camera
/// storm took 20–30 s to reach the notifier.
package final class IssuesService: Service {
    let context: RuntimeContext
    let configuration: IssuesConfiguration
    let intake: ResultIntake
    let commands: IssueCommands
    package let store: IssueStore
    let logger: Logger
    /// Ids of the maintenance windows in force at the last sweep: when the set changes (a window
    /// started or ended on its schedule) the held flags of the active incidents are re-evaluated.
    let silencesInForce = Mutex<Set<String>?>(nil)
    /// Results arriving, for the monitor's self-watch (`monitor/pulse`, `monitor/checked`).
    let pulse: ResultPulse
    let retention: RetentionSweeper
    /// Whether this instance waits for the leadership (another instance leads).
    let standingBy = Mutex(false)
    /// Largest batch of results applied in one transaction (bounds a transaction to ~100 ms).
    let maxBatch = 1000

    /// Seconds to wait for the notifier's acknowledgement before publishing an issue event again.
    var ackTimeout: Double { configuration.ackTimeout }

    /// Opens the service's store (SQLite in the data folder, or schema `issues` of the shared
    /// PostgreSQL); nothing runs until ``run()``.
    package init(context: RuntimeContext, configuration: IssuesConfiguration) throws {
        self.context = context
        self.configuration = configuration
        self.logger = context.logger(for: "issues")
        let recorder = IncidentRecorder(policy: configuration.policy, stormPolicy: configuration.storm, topics: context.topics,
                                        ackTimeout: configuration.ackTimeout)
        self.intake = ResultIntake(recorder: recorder, monitorPolicy: configuration.monitor)
        self.commands = IssueCommands(recorder: recorder)
        self.store = try IssueStore(location: context.configuration.databaseLocation, logger: logger)
        self.pulse = ResultPulse(every: context.configuration.selfWatch.pulseEvery, database: store.database, logger: logger)
        self.retention = RetentionSweeper(database: store.database, logger: logger,
                                          rules: IssueRetention.rules(incidentDays: context.configuration.retention.incidentDays))
    }

    /// Active/standby: waits for the `issues` leadership (PostgreSQL: one instance of all that share
    /// the database; SQLite: at once), then does the service's work (``lead()``) until shutdown or
    /// until the leadership is lost, and then waits again. A standby connects nothing to the broker:
    /// the persistent `{instance}-issues` session keeps queueing for whoever leads (every instance
    /// of a pair runs with the same `instance`), and the health endpoint says `standby`.
    package func run() async throws {
        let lease = LeaderLease(location: context.configuration.databaseLocation, role: "issues", holder: LeaderLease.defaultHolder, logger: logger)
        let health = context.health
        let loop = Task {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    try await lease.withLeadership(onStandby: {
                        // Once each time this instance starts waiting.
                        self.logger.info("standing by: another instance leads issues")
                        self.standingBy.withLock { $0 = true }
                        health.setStandby("issues", true)
                    }) { fence in
                        self.standingBy.withLock { $0 = false }
                        health.setStandby("issues", false)
                        self.store.use(fence)
                        try await self.lead(connectPermit: { lease.isConfirmed })
                    }
                    return
                } catch let LeadershipError.lost(role, epoch) {
                    // The leader work was cancelled and disconnected; the fence keeps refusing writes.
                    self.logger.warning("lost the leadership", metadata: ["role": "\(role)", "epoch": "\(epoch)"])
                    self.standingBy.withLock { $0 = true }
                    health.setStandby("issues", true)
                }
            }
        }
        // A standby has nothing to finish: graceful shutdown ends its wait at once; a leader
        // shuts down gracefully (lead() sees the shutdown itself).
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await loop.value
            } onGracefulShutdown: {
                if self.standingBy.withLock({ $0 }) { loop.cancel() }
            }
        } onCancel: {
            loop.cancel()
        }
    }

    /// What the leading instance does: consume results, definitions, commands and acknowledgements,
    /// and publish through the outbox. The intake's memory is rebuilt from the store each time.
    /// - Parameter connectPermit: asked before every (re)connect: the lease still confirmed.
    func lead(connectPermit: (@Sendable () -> Bool)? = nil) async throws {
        let bus = context.makeBus(service: "issues", connectPermit: connectPermit)
        let topics = context.topics
        // Every result topic in one subscription, definitions in another, both into one batcher:
        // one consumer keeps each camera's updates in order.
        do {
            try await bus.withSubscriptions([[topics.allICMP, topics.allHLS, topics.allRTSP, topics.allPictures], [topics.allConfigs],
                                             [topics.allIssueCommands], [topics.notificationAcks]]) { subscriptions in
                bus.start()
                try await serve(bus: bus, results: subscriptions[0], configs: subscriptions[1], commands: subscriptions[2], acks: subscriptions[3])
            }
        } catch {
            await bus.shutdown(announcingOffline: !Task.isCancelled)
            throw error
        }
        // Cancelled = the leadership was lost: the new leader's `online` must stay.
        await bus.shutdown(announcingOffline: !Task.isCancelled)
    }

    func serve(bus: ServiceBus, results: MQTTSubscription, configs: MQTTSubscription, commands commandMessages: MQTTSubscription,
               acks: MQTTSubscription) async throws {
        let outbox = EventOutbox(database: store.database, logger: logger,
                                 retainedState: .init(marker: RetainedStateMarker(service: "issues", topics: context.topics),
                                                      republishAll: IssueStore.enqueueEveryStatus(topics: context.topics)))
        let store = store
        outbox.guardWrites { db in try store.currentFence.check(db) }
        let decoder = MessageDecoder(service: "issues", logger: logger)
        // One consumer for results and definitions keeps each camera's updates in order. A batch
        // lingers 20 ms for more: at 100,000 cameras the 1,667 results a second came in batches of
        // one or two, each a write transaction (with a thread hop to SQLite's queue).
        let inbox = MessageBatches<MQTTMessage>(maxBatch: maxBatch, linger: .milliseconds(20))
        let ackInbox = MessageBatches<MQTTMessage>(maxBatch: maxBatch)
        let finishAll: @Sendable () -> Void = {
            outbox.finish()
            inbox.finish()
            ackInbox.finish()
        }
        try await withGracefulShutdownHandler {
            await withTaskCancellationHandler { await withTaskGroup(of: Void.self) { group in
                group.addTask { await outbox.run(on: bus) }
                group.addTask { await self.pulse.run(bus: bus) }
                group.addTask { await self.retention.run() }
                group.addTask {
                    await withDiscardingTaskGroup { pumps in
                        for source in [results, configs] { pumps.addTask { await inbox.pump(from: source) } }
                    }
                    inbox.finish()
                }
                group.addTask { await self.consumeResults(inbox, decoder: decoder, outbox: outbox) }
                group.addTask {
                    for await message in commandMessages {
                        await self.handleCommand(message, bus: bus, outbox: outbox)
                    }
                }
                group.addTask {
                    await ackInbox.pump(from: acks)
                    ackInbox.finish()
                }
                group.addTask {
                    while let batch = await ackInbox.next() { await self.handleAcks(batch, decoder: decoder) }
                }
                group.addTask {
                    while !Task.isCancelled && !Task.isShuttingDownGracefully {
                        await self.sweep(outbox: outbox)
                        try? await Task.sleep(for: .seconds(2))
                    }
                }
                await group.next()
                group.cancelAll()
            } } onCancel: {
                // The leadership was lost: stop at once (the fence already refuses every write).
                finishAll()
            }
        } onGracefulShutdown: {
            finishAll()
        }
    }

    /// Applies result batches until the inbox ends. The fleet tally and the monitor-outage state
    /// live here, owned by this one loop.
    func consumeResults(_ inbox: MessageBatches<MQTTMessage>, decoder: MessageDecoder, outbox: EventOutbox) async {
        let intake = intake
        let memory: IntakeMemoryCell
        do {
            memory = IntakeMemoryCell(try await store.read { tx in try intake.loadMemory(tx, now: Date()) })
        } catch {
            logger.error("could not rebuild the fleet tally; starting from an empty one", metadata: ["error": "\(error)"])
            memory = IntakeMemoryCell(IntakeMemory(outage: MonitorOutage.State(calmAt: Date())))
        }
        let definitions = DefinitionReader(decoder: decoder)
        while let batch = await inbox.next() {
            let items = batch.compactMap { decode($0, decoder: decoder, definitions: definitions) }
            guard !items.isEmpty else { continue }
            for case let .result(cameraID, _, _) in items { pulse.record(cameraID) }
            await apply(items, memory: memory)
            outbox.signal()
        }
    }

    /// One transaction for the batch; if it fails, one per item, so one bad item cannot take the
    /// others with it. The memory is changed in place and undone when the transaction fails.
    func apply(_ items: [ResultIntake.Item], memory: IntakeMemoryCell) async {
        let intake = intake
        do {
            let effects = try await store.write { tx in
                try memory.withMemory { try intake.apply(items, memory: &$0, tx: tx, now: Date()) }
            }
            memory.withMemory { $0.commit() }
            effects.forEach(log)
        } catch where items.count > 1 {
            memory.withMemory { $0.rollBack() }
            logger.warning("a batch of results failed; applying them one by one", metadata: ["count": "\(items.count)", "error": "\(error)"])
            for item in items { await apply([item], memory: memory) }
        } catch {
            memory.withMemory { $0.rollBack() }
            logger.error("could not apply a result", metadata: ["camera": "\(items.first?.cameraID ?? "-")", "error": "\(error)"])
        }
    }

    /// A result or definition message as an intake item; `nil` for anything refused (logged).
    func decode(_ message: MQTTMessage, decoder: MessageDecoder, definitions: DefinitionReader) -> ResultIntake.Item? {
        guard let cameraID = context.topics.cameraID(in: message.topic) else { return nil }
        if message.topic.hasSuffix("/config") {
            if message.payload.isEmpty { return .removed(cameraID: cameraID) }
            guard let envelope = definitions.definition(message) else { return nil }
            guard envelope.data.id == cameraID else { return rejectMismatch(message) }
            return .config(cameraID: cameraID, CameraInfo(envelope.data))
        }
        if message.topic.hasSuffix("/icmp") {
            guard let envelope = decoder.decode(message, as: ICMPResult.self, expecting: [.probeICMP]) else { return nil }
            guard envelope.data.cameraID == cameraID else { return rejectMismatch(message) }
            return .result(cameraID: cameraID, .icmp(envelope.data, eventID: envelope.id), prober: envelope.data.prober)
        }
        if message.topic.hasSuffix("/rtsp") {
            guard let envelope = decoder.decode(message, as: RTSPResult.self, expecting: [.probeRTSP]) else { return nil }
            guard envelope.data.cameraID == cameraID else { return rejectMismatch(message) }
            return .result(cameraID: cameraID, .rtsp(envelope.data, eventID: envelope.id), prober: envelope.data.prober)
        }
        if message.topic.hasSuffix("/picture") {
            guard let envelope = decoder.decode(message, as: PictureResult.self, expecting: [.probePicture]) else { return nil }
            guard envelope.data.cameraID == cameraID else { return rejectMismatch(message) }
            return .result(cameraID: cameraID, .picture(envelope.data, eventID: envelope.id), prober: envelope.data.prober)
        }
        guard let envelope = decoder.decode(message, as: HLSResult.self, expecting: [.probeHLS]) else { return nil }
        guard envelope.data.cameraID == cameraID else { return rejectMismatch(message) }
        return .result(cameraID: cameraID, .hls(envelope.data, eventID: envelope.id), prober: envelope.data.prober)
    }

    /// The notifier stored the deliveries of these issue events: stop re-publishing them.
    func handleAcks(_ messages: [MQTTMessage], decoder: MessageDecoder) async {
        let ids = messages.compactMap { decoder.decode($0, as: NotificationAck.self, expecting: [.notificationAck])?.data.eventID }
        guard !ids.isEmpty else { return }
        do {
            try await store.write { tx in try tx.acknowledged(ids) }
        } catch {
            logger.error("could not record acknowledgements (the events will be re-published)", metadata: ["error": "\(error)"])
        }
    }

    /// Periodic work: re-publish unacknowledged issue events (back-off 30 s doubling to 10 min,
    /// same envelope id so the notifier deduplicates), and lift expired silences.
    func sweep(outbox: EventOutbox) async {
        let now = Date()
        let ackTimeout = ackTimeout
        let commands = commands
        do {
            let republished = try await store.write { tx -> Int in
                let due = try tx.unacknowledged(dueAt: now, limit: 500)
                for event in due {
                    try tx.enqueue(topic: event.topic, payload: event.payload, retain: false)
                    let delay = min(600, ackTimeout * pow(2, Double(event.attempts + 1)))
                    try tx.republished(event.eventID, attempts: event.attempts + 1, retryAt: now.addingTimeInterval(delay))
                }
                return due.count
            }
            if republished > 0 {
                outbox.signal()
                logger.warning("re-published issue events the notifier has not acknowledged", metadata: ["count": "\(republished)"])
            }
            let previouslyInForce = silencesInForce.withLock { $0 }
            let (lifted, inForce) = try await store.write { tx in
                try commands.sweepSilences(tx: tx, now: now, previouslyInForce: previouslyInForce)
            }
            silencesInForce.withLock { $0 = inForce }
            if !lifted.isEmpty { outbox.signal() }
        } catch {
            logger.error("sweep failed", metadata: ["error": "\(error)"])
        }
    }

    /// Lifecycle commands and silences; answered on the response topic when there is one.
    func handleCommand(_ message: MQTTMessage, bus: ServiceBus, outbox: EventOutbox) async {
        await bus.answer(message, as: IssueCommand.self, expecting: .issueCommand, reply: .issueReply,
                         refusing: { error, _ in IssueReply(ok: false, error: error) }) { envelope in
            var command = envelope.data
            let account = context.topics.account(inCommandTopic: message.topic) ?? "unknown"
            command.actor = context.commandActor(claimed: command.actor, account: account, ownAccount: bus.account)
            if case var .silence(silence) = command.action {
                silence.createdBy = command.actor
                command.action = .silence(silence)
            }
            let reply = await execute(command)
            if reply.ok { outbox.signal() }
            logger.info("issue command", metadata: ["action": "\(command.action.name.rawValue)", "issue": "\(command.issueID ?? "-")",
                                                    "actor": "\(command.actor ?? "-")", "account": "\(account)", "ok": "\(reply.ok)"])
            return reply
        }
    }

    func execute(_ command: IssueCommand) async -> IssueReply {
        let commands = commands
        do {
            let (reply, effects) = try await store.write { tx in try commands.execute(command, tx: tx, now: Date()) }
            effects.forEach(log)
            return reply
        } catch let error as ContractError {
            return IssueReply(ok: false, error: error)
        } catch {
            return IssueReply(ok: false, error: ContractError(code: "internal", message: "storage error: \(error)"))
        }
    }

    func log(_ effect: IncidentStateMachine.Effect) {
        switch effect {
        case let .opened(issue): logger.notice("incident opened", metadata: ["camera": "\(issue.cameraID)", "kind": "\(issue.kind.rawValue)", "reason": "\(issue.reason)", "issue": "\(issue.id)"])
        case let .updated(issue): logger.info("incident updated", metadata: ["camera": "\(issue.cameraID)", "kind": "\(issue.kind.rawValue)", "issue": "\(issue.id)"])
        case let .resolved(issue): logger.notice("incident resolved", metadata: ["camera": "\(issue.cameraID)", "kind": "\(issue.kind.rawValue)", "issue": "\(issue.id)"])
        case .status: break
        }
    }

    func rejectMismatch(_ message: MQTTMessage) -> ResultIntake.Item? {
        logger.warning("rejected a message whose camera id differs from its topic", metadata: ["topic": "\(message.topic.prefix(200))"])
        return nil
    }
}
