import CCTVContract
import Foundation
import GRDB
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime

/// The issues service: turns `cctv/+/icmp` and `cctv/+/hls` results into incidents with the
/// diagnosis table and hysteresis, persists them, and publishes `issues/opened|updated|resolved`
/// and each camera's retained `cctv/{id}/status` through a transactional outbox.
public final class IssuesService: Service {
    let context: RuntimeContext
    let configuration: IssuesConfiguration
    public let store: IssueStore
    let logger: Logger
    /// Results arriving, for the monitor's self-watch (`monitor/pulse`, `monitor/checked`).
    let pulse: ResultPulse
    let retention: RetentionSweeper

    var policy: IssuePolicy { configuration.policy }
    var stormPolicy: StormGrouping.Policy { configuration.storm }
    /// Seconds to wait for the notifier's acknowledgement before publishing an issue event again.
    var ackTimeout: Double { configuration.ackTimeout }

    /// Opens the service's SQLite store in the data folder; nothing runs until ``run()``.
    public init(context: RuntimeContext, configuration: IssuesConfiguration) throws {
        self.context = context
        self.configuration = configuration
        self.logger = context.logger(for: "issues")
        self.store = try IssueStore(dataDir: context.dataDir)
        self.pulse = ResultPulse(every: context.configuration.selfWatch.pulseEvery, database: store.database, logger: logger)
        self.retention = RetentionSweeper(database: store.database, logger: logger,
                                          rules: IssueRetention.rules(incidentDays: context.configuration.retention.incidentDays))
    }

    public func run() async throws {
        let bus = context.makeBus(service: "issues")
        let topics = context.topics
        // Every result topic in one subscription: one consumer in broker order keeps each camera's
        // updates in order.
        try await bus.withSubscriptions([[topics.allICMP, topics.allHLS, topics.allRTSP, topics.allPictures], [topics.allConfigs], [topics.allIssueCommands], [topics.notificationAcks]]) { subscriptions in
            bus.start()
            try await serve(bus: bus, results: subscriptions[0], configs: subscriptions[1], commands: subscriptions[2], acks: subscriptions[3])
        }
        await bus.shutdown()
    }

    func serve(bus: ServiceBus, results: MQTTSubscription, configs: MQTTSubscription, commands: MQTTSubscription, acks: MQTTSubscription) async throws {
        let outbox = EventOutbox(database: store.database, logger: logger,
                                 retainedState: .init(marker: RetainedStateMarker(service: "issues", topics: context.topics),
                                                      republishAll: IssueStore.enqueueEveryStatus(topics: context.topics)))
        let decoder = MessageDecoder(service: "issues", logger: logger)
        try await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await outbox.run(client: bus.client) }
                group.addTask { await self.pulse.run(bus: bus) }
                group.addTask { await self.retention.run() }
                group.addTask {
                    for await message in results {
                        self.handleResult(message, decoder: decoder, outbox: outbox)
                    }
                }
                group.addTask {
                    for await message in configs {
                        self.handleConfig(message, decoder: decoder, outbox: outbox)
                    }
                }
                group.addTask {
                    for await message in commands {
                        await self.handleCommand(message, bus: bus, decoder: decoder, outbox: outbox)
                    }
                }
                group.addTask {
                    for await message in acks { self.handleAck(message, decoder: decoder) }
                }
                group.addTask {
                    while !Task.isCancelled && !Task.isShuttingDownGracefully {
                        self.sweep(outbox: outbox)
                        try? await Task.sleep(for: .seconds(2))
                    }
                }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            outbox.finish()
        }
    }

    func handleResult(_ message: MQTTMessage, decoder: MessageDecoder, outbox: EventOutbox) {
        guard let topicCamera = context.topics.cameraID(in: message.topic) else { return }
        let observation: IncidentStateMachine.Observation
        if message.topic.hasSuffix("/icmp") {
            guard let envelope = decoder.decode(message, as: ICMPResult.self, expecting: [.probeICMP]) else { return }
            guard envelope.data.cameraID == topicCamera else { return rejectMismatch(message) }
            observation = .icmp(envelope.data, eventID: envelope.id)
        } else if message.topic.hasSuffix("/rtsp") {
            guard let envelope = decoder.decode(message, as: RTSPResult.self, expecting: [.probeRTSP]) else { return }
            guard envelope.data.cameraID == topicCamera else { return rejectMismatch(message) }
            observation = .rtsp(envelope.data, eventID: envelope.id)
        } else if message.topic.hasSuffix("/picture") {
            guard let envelope = decoder.decode(message, as: PictureResult.self, expecting: [.probePicture]) else { return }
            guard envelope.data.cameraID == topicCamera else { return rejectMismatch(message) }
            observation = .picture(envelope.data, eventID: envelope.id)
        } else {
            guard let envelope = decoder.decode(message, as: HLSResult.self, expecting: [.probeHLS]) else { return }
            guard envelope.data.cameraID == topicCamera else { return rejectMismatch(message) }
            observation = .hls(envelope.data, eventID: envelope.id)
        }
        pulse.record(topicCamera)
        do {
            let effects = try store.database.write { db -> [IncidentStateMachine.Effect] in
                let track = try IssueStore.track(db, topicCamera)
                let info = try IssueStore.info(db, topicCamera)
                let now = Date()
                let silenced = SilenceMatcher.isSilenced(cameraID: topicCamera, info: info, silences: try IssueStore.silences(db), now: now)
                let (next, effects) = IncidentStateMachine.apply(observation, to: track, camera: info, policy: policy, now: now, silenced: silenced, newIssueID: { UUID().uuidString })
                if next != track { try IssueStore.save(db, next) }
                let grouped = try groupStorms(effects, db: db, now: now)
                try record(grouped, db: db)
                return grouped
            }
            if !effects.isEmpty { outbox.signal() }
            for effect in effects { log(effect) }
        } catch {
            logger.error("could not apply a result", metadata: ["camera": "\(topicCamera)", "error": "\(error)"])
        }
    }

    func handleConfig(_ message: MQTTMessage, decoder: MessageDecoder, outbox: EventOutbox) {
        guard let cameraID = context.topics.cameraID(in: message.topic) else { return }
        do {
            if message.payload.isEmpty {
                // Tombstone: the camera is gone. Resolve its incident and clear its status.
                let effects = try store.database.write { db -> [IncidentStateMachine.Effect] in
                    let track = try IssueStore.track(db, cameraID)
                    let effects = IncidentStateMachine.cameraRemoved(track, now: Date())
                    try record(effects, db: db)
                    try EventOutbox.enqueue(db, topic: context.topics.status(cameraID), payload: [], retain: true)
                    try db.execute(sql: "DELETE FROM track WHERE cameraID = ?", arguments: [cameraID])
                    try db.execute(sql: "DELETE FROM camera WHERE cameraID = ?", arguments: [cameraID])
                    return effects
                }
                outbox.signal()
                effects.forEach(log)
                return
            }
            guard let envelope = decoder.decode(message, as: CameraDefinition.self, expecting: [.cameraConfig]),
                  envelope.data.id == cameraID else { return }
            let info = CameraInfo(envelope.data)
            try store.database.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO camera (cameraID, json) VALUES (?, ?)", arguments: [cameraID, try ContractCodec.encodeValue(info)])
            }
        } catch {
            logger.error("could not apply a camera definition", metadata: ["camera": "\(cameraID)", "error": "\(error)"])
        }
    }

    /// Writes incidents and queues their events in the same transaction.
    func record(_ effects: [IncidentStateMachine.Effect], db: Database) throws {
        let topics = context.topics
        for effect in effects {
            switch effect {
            case let .opened(issue): try recordIssueEvent(issue, type: .issueOpened, topic: topics.issueOpened, db: db)
            case let .updated(issue): try recordIssueEvent(issue, type: .issueUpdated, topic: topics.issueUpdated, db: db)
            case let .resolved(issue): try recordIssueEvent(issue, type: .issueResolved, topic: topics.issueResolved, db: db)
            case let .status(health):
                try IssueStore.enqueueStatus(db, health, topics: topics)
            }
        }
    }

    /// Storm grouping, applied to a result's effects before they are recorded: a camera LINE
    /// incident that opens while its site is in a storm is opened already attached (its `opened`
    /// event carries `parentID`, so it is never announced alone); the incident that makes the
    /// storm opens the site incident and attaches the site's open camera incidents; a site
    /// incident resolves with its last camera.
    func groupStorms(_ effects: [IncidentStateMachine.Effect], db: Database, now: Date) throws -> [IncidentStateMachine.Effect] {
        guard stormPolicy.minimumCameras > 0 else { return effects }
        var out: [IncidentStateMachine.Effect] = []
        for effect in effects {
            switch effect {
            case let .opened(issue) where issue.kind == .line && !issue.isSiteIncident && issue.parentID == nil && issue.site != nil:
                let site = issue.site!
                if let parent = try IssueStore.activeSiteIncident(db, site: site) {
                    let (siteEffect, attached) = StormGrouping.onLineOpened(site: site, siteIncidents: [issue], siteIncident: parent,
                                                                            policy: stormPolicy, now: now, newID: { UUID().uuidString })
                    for child in attached { try updateActive(child, db: db); out.append(.opened(child)) }
                    if let siteEffect { out.append(siteEffect) }
                } else if try IssueStore.activeLineCount(db, site: site) + 1 >= stormPolicy.minimumCameras {
                    let candidates = try IssueStore.activeLineIncidents(db, site: site) + [issue]
                    let (siteEffect, attached) = StormGrouping.onLineOpened(site: site, siteIncidents: candidates, siteIncident: nil,
                                                                            policy: stormPolicy, now: now, newID: { UUID().uuidString })
                    // The site incident first, so every child refers to a stored parent.
                    if let siteEffect { out.insert(siteEffect, at: 0) }
                    for child in attached {
                        try updateActive(child, db: db)
                        out.append(child.id == issue.id ? .opened(child) : .updated(child))
                    }
                } else {
                    out.append(effect)
                }
            case let .resolved(issue):
                out.append(effect)
                guard let parentID = issue.parentID, let parent = try IssueStore.issue(db, parentID) else { continue }
                // This child is still stored as active until its effect is recorded: not counted.
                let remaining = max(0, try IssueStore.activeChildren(db, parentID: parentID) - 1)
                if let done = StormGrouping.onChildResolved(parent: parent, remainingChildren: remaining, now: now) { out.append(done) }
            default:
                out.append(effect)
            }
        }
        return out
    }

    /// Saves an incident and queues its event, remembering it until the notifier acknowledges it.
    func recordIssueEvent(_ issue: IssueRecord, type: EventType, topic: String, db: Database) throws {
        try IssueStore.saveIssue(db, issue)
        let envelope = Envelope(type: type, source: "issues", data: issue)
        let payload = ContractCodec.encode(envelope)
        try EventOutbox.enqueue(db, topic: topic, payload: payload, retain: false)
        try db.execute(sql: "INSERT OR REPLACE INTO pendingAck (eventID, issueID, topic, payload, attempts, nextAt) VALUES (?, ?, ?, ?, 0, ?)",
                       arguments: [envelope.id, issue.id, topic, Data(payload), Date().addingTimeInterval(ackTimeout)])
    }

    func handleAck(_ message: MQTTMessage, decoder: MessageDecoder) {
        guard let envelope = decoder.decode(message, as: NotificationAck.self, expecting: [.notificationAck]) else { return }
        _ = try? store.database.write { db in
            try db.execute(sql: "DELETE FROM pendingAck WHERE eventID = ?", arguments: [envelope.data.eventID])
        }
    }

    /// Periodic work: re-publish unacknowledged issue events (back-off 30 s doubling to 10 min,
    /// same envelope id so the notifier deduplicates), and lift expired silences.
    func sweep(outbox: EventOutbox) {
        let now = Date()
        do {
            let republished = try store.database.write { db -> Int in
                let due = try Row.fetchAll(db, sql: "SELECT eventID, topic, payload, attempts FROM pendingAck WHERE nextAt <= ? LIMIT 500", arguments: [now])
                for row in due {
                    let attempts: Int = row["attempts"]
                    let payload: Data = row["payload"]
                    try EventOutbox.enqueue(db, topic: row["topic"], payload: Array(payload), retain: false)
                    let delay = min(600, ackTimeout * pow(2, Double(attempts + 1)))
                    try db.execute(sql: "UPDATE pendingAck SET attempts = ?, nextAt = ? WHERE eventID = ?",
                                   arguments: [attempts + 1, now.addingTimeInterval(delay), row["eventID"] as String])
                }
                return due.count
            }
            if republished > 0 {
                outbox.signal()
                logger.warning("re-published issue events the notifier has not acknowledged", metadata: ["count": "\(republished)"])
            }
            let lifted = try store.database.write { db -> [IncidentStateMachine.Effect] in
                let expired = try IssueStore.silences(db).filter { $0.until <= now }
                guard !expired.isEmpty else { return [] }
                for silence in expired { try db.execute(sql: "DELETE FROM silence WHERE id = ?", arguments: [silence.id]) }
                return try resilence(db: db, now: now)
            }
            if !lifted.isEmpty { outbox.signal() }
        } catch {
            logger.error("sweep failed", metadata: ["error": "\(error)"])
        }
    }

    /// Re-evaluates `silenced` on every active incident after the silences changed; returns the updates.
    func resilence(db: Database, now: Date) throws -> [IncidentStateMachine.Effect] {
        let silences = try IssueStore.silences(db)
        var effects: [IncidentStateMachine.Effect] = []
        for var issue in try IssueStore.activeIssues(db) {
            let info = try IssueStore.info(db, issue.cameraID)
            let silenced = SilenceMatcher.isSilenced(cameraID: issue.cameraID, info: info, silences: silences, now: now)
            guard silenced != issue.silenced else { continue }
            issue.silenced = silenced
            issue.record(IssueTransition(from: issue.state, to: issue.state, actor: "system", at: now,
                                         note: silenced ? "notifications held (maintenance)" : "maintenance over: notifications resume"))
            try updateActive(issue, db: db)
            effects.append(.updated(issue))
        }
        try record(effects, db: db)
        return effects
    }

    /// Stores a changed active incident in both places it lives (history and the camera's track).
    func updateActive(_ issue: IssueRecord, db: Database) throws {
        var track = try IssueStore.track(db, issue.cameraID)
        if track.openIssue?.id == issue.id {
            track.openIssue = issue.isActive ? issue : nil
            try IssueStore.save(db, track)
        }
    }

    /// Lifecycle commands and silences; answered on the response topic when there is one.
    func handleCommand(_ message: MQTTMessage, bus: ServiceBus, decoder: MessageDecoder, outbox: EventOutbox) async {
        let reply: IssueReply
        if let envelope = decoder.decode(message, as: IssueCommand.self, expecting: [.issueCommand]) {
            var command = envelope.data
            let account = context.topics.account(inCommandTopic: message.topic) ?? "unknown"
            command.actor = context.commandActor(claimed: command.actor, account: account, ownAccount: bus.account)
            if command.action == .silence { command.silence?.createdBy = command.actor }
            reply = execute(command)
            if reply.ok { outbox.signal() }
            logger.info("issue command", metadata: ["action": "\(command.action.rawValue)", "issue": "\(command.issueID ?? "-")",
                                                    "actor": "\(command.actor ?? "-")", "account": "\(account)", "ok": "\(reply.ok)"])
        } else {
            reply = IssueReply(ok: false, error: ContractError(code: "bad_request", message: "not a valid issue.command envelope"))
        }
        try? await bus.client.reply(to: message, payload: ContractCodec.encode(Envelope(type: .issueReply, source: "issues", data: reply)))
    }

    func execute(_ command: IssueCommand) -> IssueReply {
        let now = Date()
        do {
            return try store.database.write { db -> IssueReply in
                switch command.action {
                case .silence:
                    guard var silence = command.silence else { throw ContractError(code: "bad_request", field: "silence", message: "silence {scope, value, until} is required") }
                    guard !silence.value.isEmpty, silence.value.count <= 200 else { throw ContractError(code: "invalid_field", field: "silence.value", message: "value must be 1–200 characters") }
                    guard silence.until > now, silence.until < now.addingTimeInterval(90 * 86_400) else {
                        throw ContractError(code: "invalid_field", field: "silence.until", message: "until must be in the future and within 90 days")
                    }
                    silence.createdBy = command.actor ?? silence.createdBy
                    try db.execute(sql: "INSERT OR REPLACE INTO silence (id, until, json) VALUES (?, ?, ?)", arguments: [silence.id, silence.until, try ContractCodec.encodeValue(silence)])
                    _ = try resilence(db: db, now: now)
                    return IssueReply(ok: true, silences: try IssueStore.silences(db))
                case .unsilence:
                    if let id = command.silence?.id ?? command.issueID {
                        try db.execute(sql: "DELETE FROM silence WHERE id = ?", arguments: [id])
                        _ = try resilence(db: db, now: now)
                    }
                    return IssueReply(ok: true, silences: try IssueStore.silences(db))
                default:
                    guard let id = command.issueID, let issue = try IssueStore.issue(db, id) else {
                        throw ContractError(code: "not_found", field: "issueID", message: "no incident with id \(command.issueID ?? "")")
                    }
                    let track = try IssueStore.track(db, issue.cameraID)
                    let canonical = track.openIssue?.id == issue.id ? track.openIssue! : issue
                    let changed = try IssueLifecycle.apply(command, to: canonical, track: track.openIssue?.id == issue.id ? track : nil, policy: policy, now: now)
                    try updateActive(changed, db: db)
                    let effect: IncidentStateMachine.Effect = changed.state == .resolved && canonical.state != .resolved ? .resolved(changed) : .updated(changed)
                    try record([effect], db: db)
                    return IssueReply(ok: true, issue: changed)
                }
            }
        } catch let error as ContractError {
            return IssueReply(ok: false, error: error)
        } catch {
            return IssueReply(ok: false, error: ContractError(code: "internal", message: "storage error: \(error)"))
        }
    }

    func log(_ effect: IncidentStateMachine.Effect) {
        switch effect {
        case let .opened(issue): logger.notice("incident opened", metadata: ["camera": "\(issue.cameraID)", "kind": "\(issue.kind.rawValue)", "reason": "\(issue.reason)", "issue": "\(issue.id)"])
        case let .updated(issue): logger.notice("incident re-diagnosed", metadata: ["camera": "\(issue.cameraID)", "kind": "\(issue.kind.rawValue)", "issue": "\(issue.id)"])
        case let .resolved(issue): logger.notice("incident resolved", metadata: ["camera": "\(issue.cameraID)", "kind": "\(issue.kind.rawValue)", "issue": "\(issue.id)"])
        case .status: break
        }
    }

    func rejectMismatch(_ message: MQTTMessage) {
        logger.warning("rejected a result whose cameraID differs from its topic", metadata: ["topic": "\(message.topic.prefix(200))"])
    }
}
