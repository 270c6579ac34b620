import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime

/// The registry service: owns the camera store, answers commands on `registry/commands`
/// (MQTT v5 request/response, or fire-and-forget with the outcome on `registry/results`),
/// and keeps every camera's retained `cctv/{id}/config` (empty = deleted) in step with the store,
/// also when the broker loses them (``RetainedConfigPublisher``).
///
/// Several replicas can share one PostgreSQL store (``RegistryConfiguration/replica``): each takes
/// commands from an MQTT shared subscription (`$share/registry/…`, so each command reaches one of
/// them), the store serializes their writes, and each retained publish is checked against the
/// store afterwards, so the broker keeps the newest definition whichever replica published last.
package final class RegistryService: Service {
    let context: RuntimeContext
    let configuration: RegistryConfiguration
    let store: CameraStore
    let handler: RegistryCommandHandler
    /// Replies to recent changes, so a repeated command is not applied twice.
    let commandLog: CommandLog
    let logger: Logger

    /// - Throws: ``RegistryConfiguration/SharedStoreRequired`` for a replica on SQLite, or the store's error.
    package init(context: RuntimeContext, configuration: RegistryConfiguration = RegistryConfiguration()) throws {
        if configuration.isReplica, case .sqlite = context.configuration.databaseLocation {
            throw RegistryConfiguration.SharedStoreRequired(replica: configuration.replica ?? "")
        }
        self.context = context
        self.configuration = configuration
        self.logger = context.logger(for: "registry")
        self.store = try CameraStore(location: context.configuration.databaseLocation, secretsDir: context.dataDir, logger: logger)
        self.handler = RegistryCommandHandler(store: store, destinations: context.configuration.destinations, sharedImports: configuration.isReplica)
        self.commandLog = CommandLog(database: store.database)
    }

    package func run() async throws {
        let bus = context.makeBus(service: "registry", session: configuration.busName, persistentInbox: !configuration.isReplica)
        let publisher = RetainedConfigPublisher(bus: bus, store: store, topics: context.topics, logger: logger)
        let decoder = MessageDecoder(service: "registry", logger: logger)
        let sweeper = RetentionSweeper(database: store.database, logger: logger, rules: [CommandLog.retention])
        // One subscription (one consumer) for commands and credential requests, so commands stay
        // strictly one at a time (see `handle`); the notifier's teams (for refusing a camera that
        // names an unknown line team or vendor) come in order with them. Replicas share the commands
        // and ONVIF results (one replica each); every replica reads the teams.
        let directoryTopic = context.topics.notifierDirectory
        let onvifResults = context.topics.allONVIF
        let shared = configuration.subscription
        try await bus.withSubscription(to: shared(context.topics.allRegistryCommands), shared(context.topics.allCredentialRequests), directoryTopic,
                                       shared(onvifResults)) { commands in
            bus.start()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await publisher.run() }
                group.addTask { await sweeper.run() }
                for await message in commands {
                    if message.topic == directoryTopic {
                        guard !message.payload.isEmpty,
                              let envelope = decoder.decode(message, as: TeamDirectory.self, expecting: [.notifierDirectory]) else { continue }
                        self.handler.teams.update(envelope.data)
                        continue
                    }
                    if TopicFilter.matches(message.topic, filter: onvifResults) {
                        await recordDevice(message, bus: bus, publisher: publisher, decoder: decoder)
                        continue
                    }
                    await handle(message, bus: bus, publisher: publisher)
                }
                group.cancelAll()
            }
        }
        await bus.shutdown()
    }

    /// Where a command came from: which topic family and which MQTT account (the topic's last level,
    /// which the broker's ACL ties to the account that published it).
    struct Origin {
        var account: String
        /// Arrived on `registry/credentials/{account}` (only prober accounts may publish there).
        var isCredentialRequest: Bool
    }

    func origin(of message: MQTTMessage) -> Origin {
        let account = context.topics.account(inCommandTopic: message.topic) ?? "unknown"
        return Origin(account: account, isCredentialRequest: message.topic == context.topics.credentialRequests(from: account))
    }

    func handle(_ message: MQTTMessage, bus: ServiceBus, publisher: RetainedConfigPublisher) async {
        var batch: RegistryCommandHandler.Change?
        let origin = origin(of: message)
        // A command without a response topic (fire and forget) is answered on the results topic.
        await bus.answer(message, as: RegistryCommand.self, expecting: .registryCommand, reply: .registryReply,
                         refusing: { RegistryReply(ok: false, commandID: $1, error: $0) }, orPublishTo: context.topics.registryResults) { envelope in
            let (reply, change) = execute(envelope, origin: origin, responseTopic: message.properties.responseTopic, bus: bus)
            // An import's many changes are published after the reply, so the requester learns the
            // outcome at once; commands are handled one at a time, so no later change can overtake them.
            if let change, !change.isBatch { await publish(change, bus: bus, publisher: publisher) }
            batch = change?.isBatch == true ? change : nil
            return reply
        }
        if let batch { await publish(batch, bus: bus, publisher: publisher) }
    }

    /// Runs one decoded command (or refuses it, or repeats the first outcome of a repeated one).
    func execute(_ envelope: Envelope<RegistryCommand>, origin: Origin, responseTopic: String?, bus: ServiceBus)
        -> (RegistryReply, RegistryCommandHandler.Change?) {
        var command = envelope.data
        command.actor = context.commandActor(claimed: command.actor, account: origin.account, ownAccount: bus.account)
        if let refusal = Self.refusal(command, origin: origin, responseTopic: responseTopic, replies: context.topics.replies) {
            return (RegistryReply(ok: false, commandID: envelope.id, error: refusal), nil)
        }
        if let earlier = try? commandLog.reply(to: command, id: envelope.id) {
            logger.info("repeated command answered with its first outcome, not applied again",
                        metadata: ["action": "\(command.action.name.rawValue)", "command": "\(envelope.id)", "actor": "\(command.actor ?? "-")"])
            return (earlier, nil)
        }
        let (reply, change) = handler.handle(command, commandID: envelope.id, privateReply: responseTopic != nil)
        do { try commandLog.record(reply, to: command, id: envelope.id) } catch {
            logger.error("could not remember a command's reply", metadata: ["command": "\(envelope.id)", "error": "\(error)"])
        }
        logger.info("command", metadata: ["action": "\(command.action.name.rawValue)", "ok": "\(reply.ok)",
                                          "camera": "\(reply.camera?.id ?? command.action.cameraID ?? "-")", "actor": "\(command.actor ?? "-")"])
        return (reply, change)
    }

    /// Stream credentials are answered only on the credentials topic (which only prober accounts may
    /// publish to) and only to the asking account's own reply topic; that topic takes nothing else.
    static func refusal(_ command: RegistryCommand, origin: Origin, responseTopic: String?, replies: String) -> ContractError? {
        if origin.isCredentialRequest {
            guard command.action.name == .credentials else {
                return ContractError(code: "bad_request", field: "action", message: "registry/credentials/{account} takes only the credentials action")
            }
            guard responseTopic == "\(replies)/\(origin.account)" else {
                return ContractError(code: "bad_request", field: "responseTopic", message: "credentials are answered only on \(replies)/\(origin.account)")
            }
            return nil
        }
        if command.action.name == .credentials {
            return ContractError(code: "forbidden", field: "action",
                                 message: "stream credentials are only for probers, asked on registry/credentials/{account}")
        }
        return nil
    }

    func publish(_ change: RegistryCommandHandler.Change, bus: ServiceBus, publisher: RetainedConfigPublisher) async {
        do {
            try await publisher.publishChange(change.retained) {
                switch change {
                case let .upserted(camera, created):
                    try await bus.publish(context.topics.config(camera.id), type: .cameraConfig, data: camera, retain: true)
                    try await bus.publish(context.topics.registryEvents, type: created ? .cameraCreated : .cameraUpdated, data: camera)
                case let .deleted(deleted):
                    try await bus.publishTombstone(context.topics.config(deleted.id))
                    try await bus.publish(context.topics.registryEvents, type: .cameraDeleted, data: deleted)
                case let .batch(changes):
                    try await publishConcurrently(changes, bus: bus)
                }
            }
        } catch {
            // The store already committed; the definitions are published again after the next
            // connect (the change was not vouched for), at the latest on the next start.
            logger.error("could not publish a camera change", metadata: ["error": "\(error)"])
        }
    }

    /// Publishes many changes a page at a time (``RetainedConfigPublisher/publishPaged(_:bus:_:)``):
    /// each camera encoded once, into its retained definition and its event.
    func publishConcurrently(_ changes: [RegistryCommandHandler.Change], bus: ServiceBus) async throws {
        let started = ContinuousClock.now
        let topics = context.topics
        try await RetainedConfigPublisher.publishPaged(changes, bus: bus) { change in
            switch change {
            case let .upserted(camera, created):
                let data = try ContractCodec.encodeValue(camera)
                return [bus.message(topics.config(camera.id), type: .cameraConfig, encodedData: data, retain: true),
                        bus.message(topics.registryEvents, type: created ? .cameraCreated : .cameraUpdated, encodedData: data)]
            case let .deleted(deleted):
                return [bus.tombstone(topics.config(deleted.id)),
                        bus.message(topics.registryEvents, type: .cameraDeleted, encodedData: try ContractCodec.encodeValue(deleted))]
            case .batch:
                return []
            }
        }
        logger.info("published a batch of camera changes", metadata: ["changes": "\(changes.count)", "seconds": "\(ContinuousClock.now - started)"])
    }

    /// Stores what a camera said it is over ONVIF; another serial or firmware is published as
    /// `camera.device_changed` on `registry/device-changes` (and the camera's new definition).
    func recordDevice(_ message: MQTTMessage, bus: ServiceBus, publisher: RetainedConfigPublisher, decoder: MessageDecoder) async {
        guard let id = context.topics.cameraID(in: message.topic),
              let envelope = decoder.decode(message, as: ONVIFResult.self, expecting: [.probeONVIF]), envelope.data.cameraID == id,
              let device = envelope.data.device else { return }
        let record: CameraStore.DeviceRecord?
        do { record = try store.recordDevice(id: id, device, at: envelope.data.startedAt) } catch {
            logger.error("could not store a camera's ONVIF identity", metadata: ["camera": "\(id)", "error": "\(error)"])
            return
        }
        guard let record else { return }
        await publish(.upserted(record.camera, created: false), bus: bus, publisher: publisher)
        guard let change = record.change else { return }
        logger.notice("camera device changed", metadata: ["camera": "\(id)", "change": "\(change.change.rawValue)"])
        do {
            try await bus.publish(context.topics.deviceChanges, type: .cameraDeviceChanged, data: change, timeout: .seconds(30))
        } catch {
            logger.warning("could not publish a device change", metadata: ["camera": "\(id)", "error": "\(error)"])
        }
    }
}
