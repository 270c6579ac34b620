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
    let policy: IssuePolicy
    public let store: IssueStore
    let logger: Logger

    public init(context: RuntimeContext) throws {
        self.context = context
        self.logger = context.logger(for: "issues")
        self.policy = IssuePolicy(
            openAfter: try context.settings.int("issues.open-after", in: 1...1000),
            recoverAfter: try context.settings.int("issues.recover-after", in: 1...1000),
            lossThreshold: try context.settings.double("issues.loss-threshold", in: 0...100))
        self.store = try IssueStore(dataDir: context.dataDir)
    }

    public func run() async throws {
        let bus = context.makeBus(service: "issues")
        let topics = context.topics
        let icmp = try await bus.subscribe(topics.allICMP)
        let hls = try await bus.subscribe(topics.allHLS)
        let configs = try await bus.subscribe(topics.allConfigs)
        bus.start()
        let outbox = EventOutbox(database: store.database, logger: logger)
        let decoder = MessageDecoder(service: "issues", logger: logger)
        try await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await outbox.run(client: bus.client) }
                group.addTask {
                    // One consumer for both result streams keeps each camera's updates in order.
                    let merged = AsyncStream<MQTTMessage> { continuation in
                        let a = Task { for await m in icmp { continuation.yield(m) }; continuation.finish() }
                        let b = Task { for await m in hls { continuation.yield(m) }; continuation.finish() }
                        continuation.onTermination = { _ in a.cancel(); b.cancel() }
                    }
                    for await message in merged.cancelOnGracefulShutdown() {
                        self.handleResult(message, decoder: decoder, outbox: outbox)
                    }
                }
                group.addTask {
                    for await message in configs.cancelOnGracefulShutdown() {
                        self.handleConfig(message, decoder: decoder, outbox: outbox)
                    }
                }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            outbox.finish()
        }
        await bus.shutdown()
    }

    func handleResult(_ message: MQTTMessage, decoder: MessageDecoder, outbox: EventOutbox) {
        guard let topicCamera = context.topics.cameraID(in: message.topic) else { return }
        let observation: IncidentStateMachine.Observation
        if message.topic.hasSuffix("/icmp") {
            guard let envelope = decoder.decode(message, as: ICMPResult.self, expecting: [.probeICMP]) else { return }
            guard envelope.data.cameraID == topicCamera else { return rejectMismatch(message) }
            observation = .icmp(envelope.data, eventID: envelope.id)
        } else {
            guard let envelope = decoder.decode(message, as: HLSResult.self, expecting: [.probeHLS]) else { return }
            guard envelope.data.cameraID == topicCamera else { return rejectMismatch(message) }
            observation = .hls(envelope.data, eventID: envelope.id)
        }
        do {
            let effects = try store.database.write { db -> [IncidentStateMachine.Effect] in
                let track = try IssueStore.track(db, topicCamera)
                let info = try IssueStore.info(db, topicCamera)
                let (next, effects) = IncidentStateMachine.apply(observation, to: track, camera: info, policy: policy, now: Date(), newIssueID: { UUID().uuidString })
                if next != track { try IssueStore.save(db, next) }
                try record(effects, db: db)
                return effects
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
            case let .opened(issue):
                try IssueStore.saveIssue(db, issue)
                try EventOutbox.enqueue(db, topic: topics.issueOpened, payload: ContractCodec.encode(Envelope(type: .issueOpened, source: "issues", data: issue)), retain: false)
            case let .updated(issue):
                try IssueStore.saveIssue(db, issue)
                try EventOutbox.enqueue(db, topic: topics.issueUpdated, payload: ContractCodec.encode(Envelope(type: .issueUpdated, source: "issues", data: issue)), retain: false)
            case let .resolved(issue):
                try IssueStore.saveIssue(db, issue)
                try EventOutbox.enqueue(db, topic: topics.issueResolved, payload: ContractCodec.encode(Envelope(type: .issueResolved, source: "issues", data: issue)), retain: false)
            case let .status(health):
                try EventOutbox.enqueue(db, topic: topics.status(health.cameraID), payload: ContractCodec.encode(Envelope(type: .cameraStatus, source: "issues", data: health)), retain: true)
            }
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
