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
public final class RegistryService: Service {
    let context: RuntimeContext
    let store: CameraStore
    let handler: RegistryCommandHandler
    let logger: Logger

    public init(context: RuntimeContext) throws {
        self.context = context
        self.logger = context.logger(for: "registry")
        self.store = try CameraStore(dataDir: context.dataDir)
        self.handler = RegistryCommandHandler(store: store)
    }

    public func run() async throws {
        let bus = context.makeBus(service: "registry")
        let publisher = RetainedConfigPublisher(bus: bus, store: store, topics: context.topics, logger: logger)
        let decoder = MessageDecoder(service: "registry", logger: logger)
        try await bus.withSubscription(to: context.topics.registryCommands) { commands in
            bus.start()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await publisher.run() }
                for await message in commands {
                    await handle(message, bus: bus, publisher: publisher, decoder: decoder)
                }
                group.cancelAll()
            }
        }
        await bus.shutdown()
    }

    func handle(_ message: MQTTMessage, bus: ServiceBus, publisher: RetainedConfigPublisher, decoder: MessageDecoder) async {
        let reply: RegistryReply
        var change: RegistryCommandHandler.Change?
        do {
            let envelope = try ContractCodec.decode(message.payload, as: RegistryCommand.self, expecting: [.registryCommand])
            (reply, change) = handler.handle(envelope.data, commandID: envelope.id, privateReply: message.properties.responseTopic != nil)
            logger.info("command", metadata: ["action": "\(envelope.data.action.rawValue)", "ok": "\(reply.ok)",
                                              "camera": "\(reply.camera?.id ?? envelope.data.id ?? "-")", "from": "\(envelope.source)"])
        } catch {
            // Still answer: a requester deserves a clear error rather than a timeout.
            _ = decoder.decode(message, as: RegistryCommand.self, expecting: [.registryCommand])
            reply = RegistryReply(ok: false, error: ContractError(code: error.code == "payload_too_large" ? "payload_too_large" : "bad_request", message: error.description))
        }
        // An import's many changes are published after the reply, so the requester learns the
        // outcome at once; commands are handled one at a time, so no later change can overtake them.
        if let change, !change.isBatch { await publish(change, bus: bus, publisher: publisher) }
        let envelope = Envelope(type: .registryReply, source: "registry", data: reply)
        do {
            if message.properties.responseTopic != nil {
                try await bus.client.reply(to: message, payload: ContractCodec.encode(envelope))
            } else {
                try await bus.client.publish(context.topics.registryResults, payload: ContractCodec.encode(envelope), timeout: .seconds(30))
            }
        } catch {
            logger.warning("could not send a command reply", metadata: ["error": "\(error)"])
        }
        if let change, change.isBatch { await publish(change, bus: bus, publisher: publisher) }
    }

    func publish(_ change: RegistryCommandHandler.Change, bus: ServiceBus, publisher: RetainedConfigPublisher) async {
        do {
            try await publisher.publishChange {
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

    /// Publishes many changes with a bounded window (``RetainedConfigPublisher/window``).
    func publishConcurrently(_ changes: [RegistryCommandHandler.Change], bus: ServiceBus) async throws {
        let started = ContinuousClock.now
        try await RetainedConfigPublisher.publishWindowed(changes) { change in
            switch change {
            case let .upserted(camera, created):
                try await bus.publish(self.context.topics.config(camera.id), type: .cameraConfig, data: camera, retain: true, timeout: nil)
                try await bus.publish(self.context.topics.registryEvents, type: created ? .cameraCreated : .cameraUpdated, data: camera, timeout: nil)
            case let .deleted(deleted):
                try await bus.publishTombstone(self.context.topics.config(deleted.id))
                try await bus.publish(self.context.topics.registryEvents, type: .cameraDeleted, data: deleted, timeout: nil)
            case .batch:
                break
            }
        }
        logger.info("published a batch of camera changes", metadata: ["changes": "\(changes.count)", "seconds": "\(ContinuousClock.now - started)"])
    }
}
