import CCTVContract
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
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
    /// Accounts, tokens, sessions and the audit log.
    public let access: AccessControl
    let logger: Logger
    let retention: [RetentionRule]
    /// "Monitoring stalled" and "last checked".
    public let monitoring: MonitoringWatch

    /// Opens the read store and the accounts; nothing listens until ``run()``.
    public init(context: RuntimeContext, configuration: GatewayConfiguration) throws {
        self.context = context
        self.configuration = configuration
        self.logger = context.logger(for: "gateway")
        self.store = try ReadStore(dataDir: context.dataDir)
        self.access = AccessControl(accounts: try AccountStore(dataDir: context.dataDir),
                                    options: configuration.accessOptions(publicURL: context.configuration.publicURL), logger: logger)
        let shared = context.configuration
        self.retention = ReadStore.retentionRules(incidentDays: shared.retention.incidentDays, deliveryDays: shared.retention.deliveryDays)
        self.monitoring = MonitoringWatch(configuration: shared.selfWatch)
    }

    public func run() async throws {
        let topics = context.topics
        let bus = context.makeBus(service: "gateway")
        // One subscription for every projected topic: one consumer applies them in broker order.
        try await bus.withSubscription(to: topics.allConfigs, topics.allStatuses, topics.allIssues, topics.notificationSent,
                                       topics.notificationFailed, topics.allAvailability, topics.monitorPulse, topics.monitorChecked) { events in
            // Registry replies that come after the REST request gave up (202) complete the command.
            // They arrive where the requests are made: on the publishing connection.
            try await bus.client.withSubscription(to: lateRepliesTopic(bus)) { lateReplies in
                bus.start()
                try await serve(bus: bus, events: events, lateReplies: lateReplies)
            }
        }
        hub.finishAll()
        await bus.shutdown()
    }

    /// Projects `events` into the read store and serves HTTP until shutdown.
    func serve(bus: ServiceBus, events: MQTTSubscription, lateReplies replies: MQTTSubscription) async throws {
        let topics = context.topics
        let decoder = MessageDecoder(service: "gateway", logger: logger)
        let client = bus.client
        let commandTopic = topics.registryCommands(from: bus.account)
        let replyPrefix = topics.replies
        let issueTopic = topics.issueCommands(from: bus.account)
        let send: ImportJobs.Send = { command, timeout in
            let envelope = Envelope(type: .registryCommand, source: "gateway", data: command)
            let answer = try await client.request(commandTopic, payload: ContractCodec.encode(envelope), replyPrefix: replyPrefix, timeout: timeout)
            return try ContractCodec.decode(answer.payload, as: RegistryReply.self, expecting: [.registryReply]).data
        }
        let imports = ImportJobs(logger: logger, send: send)
        let commandTimeout = Duration.milliseconds(Int64(configuration.commandTimeout * 1000))
        let monitoring = monitoring
        monitoring.observeBroker { client.isConnected }
        let api = GatewayAPI(store: store, hub: hub, imports: imports, access: access, https: configuration.https, monitoring: monitoring,
                             registry: { command, commandID in
            let envelope = Envelope(type: .registryCommand, id: commandID, source: "gateway", data: command)
            let answer = try await client.request(commandTopic, payload: ContractCodec.encode(envelope), replyPrefix: replyPrefix, timeout: commandTimeout)
            return try ContractCodec.decode(answer.payload, as: RegistryReply.self, expecting: [.registryReply]).data
        }, issueCommands: { command in
            let envelope = Envelope(type: .issueCommand, source: "gateway", data: command)
            let answer = try await client.request(issueTopic, payload: ContractCodec.encode(envelope), replyPrefix: replyPrefix, timeout: .seconds(15))
            return try ContractCodec.decode(answer.payload, as: IssueReply.self, expecting: [.issueReply]).data
        })
        let host = configuration.host, port = configuration.port
        let idleTimeout = configuration.idleTimeout
        let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [ConnectionTimeouts(idleSeconds: idleTimeout)],
                                                                 idleTimeout: .seconds(Int64(idleTimeout))))
        let server: HTTPServerBuilder
        if let certificate = configuration.tlsCertificate, let key = configuration.tlsKey {
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            server = try .tls(http1, tlsConfiguration: tls)
        } else {
            server = http1
            if configuration.listensBeyondLoopback {
                logger.warning("the gateway listens on \(host) without HTTPS: passwords and session cookies cross the network in clear text (set http.tls-cert and http.tls-key)")
            }
        }
        if let code = try access.setupCodeIfNeeded() {
            logger.warning("no account exists yet: open \(configuration.https ? "https" : "http")://\(host == "0.0.0.0" ? "localhost" : host):\(port)/setup and enter the one-time setup code \(code) (or run `cctv-out users add NAME --role admin`)")
        }
        let app = Application(
            router: api.router(),
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "cctv-out"),
            logger: logger)
        let sweeper = RetentionSweeper(database: store.database, logger: logger, rules: retention)
        let lateReplies = lateRepliesTopic(bus)
        // Every task ends by itself on graceful shutdown: the projections stop reading, the live
        // streams are finished so open browser connections close, and the server drains.
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    for await message in events where !self.watch(message, lateReplies: lateReplies) {
                        self.project(message, decoder: decoder)
                    }
                }
                group.addTask {
                    for await message in replies.cancelOnGracefulShutdown() { _ = self.watch(message, lateReplies: lateReplies) }
                }
                group.addTask { try await app.runService() }
                group.addTask { await sweeper.run() }
                group.addTask { await self.announceMonitoring(monitoring) }
                group.addTask {
                    var beats = 0
                    while !Task.isShuttingDownGracefully && !Task.isCancelled {
                        // Ends at once on graceful shutdown (a plain sleep held every stop for up to 20 s).
                        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(20)) }
                        self.hub.keepAlive()
                        beats += 1
                        if beats % 30 == 0 { try? self.access.sessionStore.purgeExpired() }
                    }
                }
            }
        } onGracefulShutdown: {
            self.hub.finishAll()
        }
    }

    /// Applies one event to the read store and pushes it live.
    func project(_ message: MQTTMessage, decoder: MessageDecoder) {
        let topics = context.topics
        do {
            if let cameraID = topics.cameraID(in: message.topic) {
                if message.topic.hasSuffix("/config") {
                    if message.payload.isEmpty {
                        let site = try store.camera(cameraID)?.camera.site
                        try store.removeCamera(cameraID)
                        monitoring.forget(cameraID)
                        hub.broadcast("deleted", ["id": cameraID], audience: .site(site))
                    } else if let envelope = decoder.decode(message, as: CameraDefinition.self, expecting: [.cameraConfig]), envelope.data.id == cameraID {
                        let previous = try store.camera(cameraID)?.camera
                        try store.apply(camera: envelope.data)
                        let row = ReadStore.CameraRow(camera: envelope.data, status: try store.status(cameraID))
                        hub.broadcast("camera", row, audience: .site(envelope.data.site))
                        // Moved to another site: listeners limited to the old site see it leave.
                        if let previous, previous.site != envelope.data.site {
                            hub.broadcast("deleted", ["id": cameraID], audience: .onlyLimitedTo(previous.site))
                        }
                    }
                } else if message.topic.hasSuffix("/status") {
                    if message.payload.isEmpty { try store.removeStatus(cameraID); return }
                    if let envelope = decoder.decode(message, as: CameraHealth.self, expecting: [.cameraStatus]), envelope.data.cameraID == cameraID {
                        try store.apply(status: envelope.data)
                        hub.broadcast("status", envelope.data, audience: .site(try store.camera(cameraID)?.camera.site))
                    }
                }
            } else if [topics.issueOpened, topics.issueUpdated, topics.issueResolved].contains(message.topic) {
                guard let envelope = decoder.decode(message, as: IssueRecord.self, expecting: [.issueOpened, .issueUpdated, .issueResolved]) else { return }
                if try store.apply(issue: envelope.data) {
                    let event = envelope.type == .issueOpened ? "opened" : envelope.type == .issueResolved ? "resolved" : "updated"
                    struct Pushed: Encodable { var event: String; var issue: IssueRecord }
                    hub.broadcast("issue", Pushed(event: event, issue: envelope.data), audience: .site(envelope.data.site))
                }
            } else if message.topic == topics.notificationSent || message.topic == topics.notificationFailed {
                guard let envelope = decoder.decode(message, as: NotificationRecord.self, expecting: [.notificationSent, .notificationFailed]) else { return }
                try store.apply(notification: envelope.data)
                hub.broadcast("notification", envelope.data, audience: .site(try store.camera(envelope.data.cameraID)?.camera.site))
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
