import CCTVContract
import Foundation
import Hummingbird
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime

/// The gateway: keeps its read store in step with the broker's events, pushes them to browsers,
/// and serves the REST API and dashboard on `http.host:http.port`.
public final class GatewayService: Service {
    let context: RuntimeContext
    public let store: ReadStore
    public let hub = LiveHub()
    let logger: Logger

    public init(context: RuntimeContext) throws {
        self.context = context
        self.logger = context.logger(for: "gateway")
        self.store = try ReadStore(dataDir: context.dataDir)
    }

    public func run() async throws {
        let topics = context.topics
        let bus = context.makeBus(service: "gateway")
        let subscriptions = [
            try await bus.subscribe(topics.allConfigs), try await bus.subscribe(topics.allStatuses),
            try await bus.subscribe(topics.allIssues), try await bus.subscribe(topics.notificationSent), try await bus.subscribe(topics.notificationFailed),
            try await bus.subscribe(topics.allAvailability),
        ]
        bus.start()
        let decoder = MessageDecoder(service: "gateway", logger: logger)
        let client = bus.client
        let commandTopic = topics.registryCommands
        let replyPrefix = topics.replies
        let issueTopic = topics.issueCommands
        let send: ImportJobs.Send = { command, timeout in
            let envelope = Envelope(type: .registryCommand, source: "gateway", data: command)
            let answer = try await client.request(commandTopic, payload: ContractCodec.encode(envelope), replyPrefix: replyPrefix, timeout: timeout)
            return try ContractCodec.decode(answer.payload, as: RegistryReply.self, expecting: [.registryReply]).data
        }
        let imports = ImportJobs(logger: logger, send: send)
        let api = GatewayAPI(store: store, hub: hub, imports: imports, registry: { command in try await send(command, .seconds(15)) }, issueCommands: { command in
            let envelope = Envelope(type: .issueCommand, source: "gateway", data: command)
            let answer = try await client.request(issueTopic, payload: ContractCodec.encode(envelope), replyPrefix: replyPrefix, timeout: .seconds(15))
            return try ContractCodec.decode(answer.payload, as: IssueReply.self, expecting: [.issueReply]).data
        })
        let host = context.settings["http.host"]
        let port = try context.settings.int("http.port", in: 0...65_535)
        let app = Application(
            router: api.router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "cctv-out"),
            logger: logger)
        // Every event goes through one batcher: one read-store transaction per batch, in arrival order.
        let inbox = MessageBatches<MQTTMessage>(maxBatch: 2000)
        // Every task ends by itself on graceful shutdown: the projections stop reading, the live
        // streams are finished so open browser connections close, and the server drains.
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    await withDiscardingTaskGroup { pumps in
                        for subscription in subscriptions { pumps.addTask { await inbox.pump(from: subscription.cancelOnGracefulShutdown()) } }
                    }
                    inbox.finish()
                }
                group.addTask {
                    while let batch = await inbox.next() { await self.project(batch, decoder: decoder) }
                }
                group.addTask { try await app.runService() }
                group.addTask {
                    while !Task.isShuttingDownGracefully && !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(20))
                        self.hub.keepAlive()
                    }
                }
            }
        } onGracefulShutdown: {
            self.hub.finishAll()
            inbox.finish()
        }
        hub.finishAll()
        await bus.shutdown()
    }

    /// Applies a batch of events to the read store in one transaction, then pushes them live.
    func project(_ messages: [MQTTMessage], decoder: MessageDecoder) async {
        let changes = messages.compactMap { change(from: $0, decoder: decoder) }
        guard !changes.isEmpty else { return }
        do {
            for pushed in try await store.apply(changes) { push(pushed) }
        } catch where changes.count > 1 {
            // One bad change must not cost the others: one transaction each.
            for single in changes { _ = try? await store.apply([single]).map(push) }
            logger.warning("a read model batch failed; applied it change by change", metadata: ["count": "\(changes.count)", "error": "\(error)"])
        } catch {
            logger.error("read model update failed", metadata: ["error": "\(error)"])
        }
    }

    /// The read-model change an event calls for; `nil` for anything refused (logged by the decoder).
    func change(from message: MQTTMessage, decoder: MessageDecoder) -> ReadStore.Change? {
        let topics = context.topics
        if let cameraID = topics.cameraID(in: message.topic) {
            if message.topic.hasSuffix("/config") {
                if message.payload.isEmpty { return .cameraRemoved(cameraID) }
                guard let envelope = decoder.decode(message, as: CameraDefinition.self, expecting: [.cameraConfig]), envelope.data.id == cameraID else { return nil }
                return .camera(envelope.data)
            }
            if message.topic.hasSuffix("/status") {
                if message.payload.isEmpty { return .statusRemoved(cameraID) }
                guard let envelope = decoder.decode(message, as: CameraHealth.self, expecting: [.cameraStatus]), envelope.data.cameraID == cameraID else { return nil }
                return .status(envelope.data)
            }
            return nil
        }
        if [topics.issueOpened, topics.issueUpdated, topics.issueResolved].contains(message.topic) {
            guard let envelope = decoder.decode(message, as: IssueRecord.self, expecting: [.issueOpened, .issueUpdated, .issueResolved]) else { return nil }
            let event = envelope.type == .issueOpened ? "opened" : envelope.type == .issueResolved ? "resolved" : "updated"
            return .issue(event: event, envelope.data)
        }
        if message.topic == topics.notificationSent || message.topic == topics.notificationFailed {
            guard let envelope = decoder.decode(message, as: NotificationRecord.self, expecting: [.notificationSent, .notificationFailed]) else { return nil }
            return .notification(envelope.data)
        }
        if message.topic.hasSuffix("/availability") {
            let parts = message.topic.split(separator: "/")
            guard parts.count >= 3, let state = message.text, state == "online" || state == "offline" else { return nil }
            return .service(name: String(parts[parts.count - 2]), state: state)
        }
        return nil
    }

    /// Pushes one applied change to every browser.
    func push(_ pushed: ReadStore.Pushed) {
        struct Pushed: Encodable { var event: String; var issue: IssueRecord }
        switch pushed {
        case let .camera(row): hub.broadcast("camera", row)
        case let .deleted(id): hub.broadcast("deleted", ["id": id])
        case let .status(status): hub.broadcast("status", status)
        case let .issue(event, issue): hub.broadcast("issue", Pushed(event: event, issue: issue))
        case let .notification(record): hub.broadcast("notification", record)
        case let .service(name, state): hub.broadcast("service", ["name": name, "state": state])
        }
    }
}
