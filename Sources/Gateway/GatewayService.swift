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
    let configuration: GatewayConfiguration
    public let store: ReadStore
    public let hub = LiveHub()
    let logger: Logger

    /// Opens the read store; nothing listens until ``run()``.
    public init(context: RuntimeContext, configuration: GatewayConfiguration) throws {
        self.context = context
        self.configuration = configuration
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
        let app = Application(
            router: api.router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "cctv-out"),
            logger: logger)
        // Every task ends by itself on graceful shutdown: the projections stop reading, the live
        // streams are finished so open browser connections close, and the server drains.
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                for subscription in subscriptions {
                    group.addTask {
                        for await message in subscription.cancelOnGracefulShutdown() { self.project(message, decoder: decoder) }
                    }
                }
                group.addTask { try await app.runService() }
                group.addTask {
                    while !Task.isShuttingDownGracefully && !Task.isCancelled {
                        // Cut short by a graceful shutdown: a plain 20 s sleep held every stop for up to 20 s.
                        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(20)) }
                        self.hub.keepAlive()
                    }
                }
            }
        } onGracefulShutdown: {
            self.hub.finishAll()
        }
        hub.finishAll()
        await bus.shutdown()
    }

    /// Applies one event to the read store and pushes it live.
    func project(_ message: MQTTMessage, decoder: MessageDecoder) {
        let topics = context.topics
        do {
            if let cameraID = topics.cameraID(in: message.topic) {
                if message.topic.hasSuffix("/config") {
                    if message.payload.isEmpty {
                        try store.removeCamera(cameraID)
                        hub.broadcast("deleted", ["id": cameraID])
                    } else if let envelope = decoder.decode(message, as: CameraDefinition.self, expecting: [.cameraConfig]), envelope.data.id == cameraID {
                        try store.apply(camera: envelope.data)
                        hub.broadcast("camera", ReadStore.CameraRow(camera: envelope.data, status: try store.status(cameraID)))
                    }
                } else if message.topic.hasSuffix("/status") {
                    if message.payload.isEmpty { try store.removeStatus(cameraID); return }
                    if let envelope = decoder.decode(message, as: CameraHealth.self, expecting: [.cameraStatus]), envelope.data.cameraID == cameraID {
                        try store.apply(status: envelope.data)
                        hub.broadcast("status", envelope.data)
                    }
                }
            } else if [topics.issueOpened, topics.issueUpdated, topics.issueResolved].contains(message.topic) {
                guard let envelope = decoder.decode(message, as: IssueRecord.self, expecting: [.issueOpened, .issueUpdated, .issueResolved]) else { return }
                if try store.apply(issue: envelope.data) {
                    let event = envelope.type == .issueOpened ? "opened" : envelope.type == .issueResolved ? "resolved" : "updated"
                    struct Pushed: Encodable { var event: String; var issue: IssueRecord }
                    hub.broadcast("issue", Pushed(event: event, issue: envelope.data))
                }
            } else if message.topic == topics.notificationSent || message.topic == topics.notificationFailed {
                guard let envelope = decoder.decode(message, as: NotificationRecord.self, expecting: [.notificationSent, .notificationFailed]) else { return }
                try store.apply(notification: envelope.data)
                hub.broadcast("notification", envelope.data)
            } else if message.topic.hasSuffix("/availability") {
                let parts = message.topic.split(separator: "/")
                guard parts.count >= 3, let state = message.text, state == "online" || state == "offline" else { return }
                let name = String(parts[parts.count - 2])
                try store.apply(service: name, state: state)
                hub.broadcast("service", ["name": name, "state": state])
            }
        } catch {
            logger.error("read model update failed", metadata: ["topic": "\(message.topic.prefix(200))", "error": "\(error)"])
        }
    }
}
