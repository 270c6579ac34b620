import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime

/// The registry service: owns the camera store, answers commands on `registry/commands`
/// (MQTT v5 request/response, or fire-and-forget with the outcome on `registry/results`),
/// and keeps every camera's retained `cctv/{id}/config` (empty = deleted) in step with the store.
public final class RegistryService: Service {
    let context: RuntimeContext
    let store: CameraStore
    let handler: RegistryCommandHandler
    let logger: Logger

    public init(context: RuntimeContext) throws {
        self.context = context
        self.logger = context.logger(for: "registry")
        self.store = try CameraStore(location: context.configuration.databaseLocation, logger: logger)
        self.handler = RegistryCommandHandler(store: store)
    }

    public func run() async throws {
        let bus = context.makeBus(service: "registry")
        let commands = try await bus.subscribe(context.topics.registryCommands)
        bus.start()
        let decoder = MessageDecoder(service: "registry", logger: logger)
        let republish = Task { await self.republishRetainedState(bus) }
        for await message in commands.cancelOnGracefulShutdown() {
            await handle(message, bus: bus, decoder: decoder)
        }
        republish.cancel()
        await bus.shutdown()
    }

    func handle(_ message: MQTTMessage, bus: ServiceBus, decoder: MessageDecoder) async {
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
        if let change, !change.isBatch { await publish(change, bus: bus) }
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
        if let change, change.isBatch { await publish(change, bus: bus) }
    }

    func publish(_ change: RegistryCommandHandler.Change, bus: ServiceBus) async {
        do {
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
        } catch {
            // The store already committed; the retained state is re-published on the next start.
            logger.error("could not publish a camera change", metadata: ["error": "\(error)"])
        }
    }

    /// Publishes many changes with at most 64 in flight: QoS 1 acknowledgements overlap instead of
    /// costing one broker round trip each, and memory stays bounded for a 100,000-camera import.
    func publishConcurrently(_ changes: [RegistryCommandHandler.Change], bus: ServiceBus) async throws {
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for change in changes {
                if inFlight >= 64 { try await group.next(); inFlight -= 1 }
                group.addTask {
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
                inFlight += 1
            }
            try await group.waitForAll()
        }
        logger.info("published a batch of camera changes", metadata: ["changes": "\(changes.count)", "seconds": "\(ContinuousClock.now - started)"])
    }

    /// Re-publishes every camera definition and tombstone, so that a change committed just before
    /// a crash (and never published) or a broker that lost its store is healed on start.
    func republishRetainedState(_ bus: ServiceBus) async {
        do {
            let (cameras, tombstones) = try store.snapshot()
            try await withThrowingTaskGroup(of: Void.self) { group in
                var inFlight = 0
                for camera in cameras {
                    if inFlight >= 64 { try await group.next(); inFlight -= 1 }
                    group.addTask { try await bus.publish(self.context.topics.config(camera.id), type: .cameraConfig, data: camera, retain: true, timeout: nil) }
                    inFlight += 1
                }
                for id in tombstones {
                    if inFlight >= 64 { try await group.next(); inFlight -= 1 }
                    group.addTask { try await bus.publishTombstone(self.context.topics.config(id)) }
                    inFlight += 1
                }
                try await group.waitForAll()
            }
            logger.info("retained camera state published", metadata: ["cameras": "\(cameras.count)", "tombstones": "\(tombstones.count)"])
        } catch {
            logger.error("re-publishing retained state failed", metadata: ["error": "\(error)"])
        }
    }
}
