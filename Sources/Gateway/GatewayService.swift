import CCTVContract
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime

/// Why the gateway stopped, in words that say what to change.
package enum GatewayError: Error, CustomStringConvertible {
    case cannotListen(host: String, port: Int, underlying: String)

    package var description: String {
        switch self {
        case let .cannotListen(host, port, underlying):
            if underlying.contains("in use") || underlying.contains("errno: 98") {
                return "the gateway cannot listen on \(host):\(port): port \(port) is already in use (another cctv-out or program?); choose another with --http-port or CCTVOUT_HTTP_PORT"
            }
            return "the gateway cannot listen on \(host):\(port) (http.host / http.port): \(underlying)"
        }
    }
}

/// The gateway: keeps its read store in step with the broker's events, pushes them to browsers,
/// and serves the REST API and dashboard on `http.host:http.port`.
package final class GatewayService: Service {
    let context: RuntimeContext
    let configuration: GatewayConfiguration
    package let store: ReadStore
    package let hub = LiveHub()
    /// Accounts, tokens, sessions and the audit log.
    package let access: AccessControl
    let logger: Logger
    let retention: [RetentionRule]
    /// "Monitoring stalled" and "last checked".
    package let monitoring: MonitoringWatch
    /// Measurements and state changes over time (charts, availability, SLA reports).
    package let history: HistoryRecorder
    package let historyStore: HistoryStore
    /// The notifier's team directory and channel health as last published.
    package let notifierView = NotifierView()

    /// Opens the read store and the accounts; nothing listens until ``run()``.
    package init(context: RuntimeContext, configuration: GatewayConfiguration) throws {
        self.context = context
        self.configuration = configuration
        self.logger = context.logger(for: "gateway")
        self.store = try ReadStore(dataDir: context.dataDir)
        self.access = AccessControl(accounts: try AccountStore(dataDir: context.dataDir),
                                    options: configuration.accessOptions(publicURL: context.configuration.publicURL), logger: logger)
        let shared = context.configuration
        self.retention = ReadStore.retentionRules(incidentDays: shared.retention.incidentDays, deliveryDays: shared.retention.deliveryDays)
        self.monitoring = MonitoringWatch(configuration: shared.selfWatch)
        self.historyStore = try HistoryStore(dataDir: context.dataDir)
        let store = store
        self.history = HistoryRecorder(store: historyStore, topics: context.topics, retention: configuration.retention,
                                       flushInterval: configuration.historyFlushInterval, logger: logger, activity: { try store.recordActivity($0) })
    }

    package func run() async throws {
        let topics = context.topics
        let bus = context.makeBus(service: "gateway")
        // One subscription for every projected topic: one consumer applies them in broker order.
        // The console's topics ride along: the notifier's directory and channel health, and the check
        // results the history records (the consumer sorts them by topic).
        try await bus.withSubscription(to: topics.allConfigs, topics.allStatuses, topics.allIssues, topics.notificationSent,
                                       topics.notificationFailed, topics.allAvailability, topics.monitorPulse, topics.monitorChecked,
                                       topics.notifierDirectory, topics.notifierHealth, topics.allICMP, topics.allHLS,
                                       topics.deviceChanges, topics.allONVIF) { events in
            // Registry replies that come after the REST request gave up (202) complete the command.
            // They arrive where the requests are made: on the publishing connection.
            try await bus.withRepliesSubscription { lateReplies in
                bus.start()
                try await serve(bus: bus, events: events, lateReplies: lateReplies)
            }
        }
        hub.finishAll()
        await bus.shutdown()
    }

    /// Projects `events` into the read store and serves HTTP until shutdown.
    func serve(bus: ServiceBus, events: MQTTSubscription, lateReplies replies: MQTTSubscription) async throws {
        let decoder = MessageDecoder(service: "gateway", logger: logger)
        let definitions = DefinitionReader(decoder: decoder)
        let monitoring = monitoring
        monitoring.observeBroker { bus.isConnected }
        let api = makeAPI(bus: bus, monitoring: monitoring)
        let host = configuration.host, port = configuration.port
        let server = try makeServer()
        try announceSetupCode()
        let app = Application(
            router: api.router(),
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "cctv-out"),
            logger: logger)
        let sweeper = RetentionSweeper(database: store.database, logger: logger, rules: retention)
        // Where a registry reply lands when its REST request gave up.
        let lateReplies = bus.repliesTopic
        // Every event goes through one batcher: one read-store transaction per batch, in arrival order.
        // It lingers 20 ms for more, so a steady trickle of check results wakes the consumer a few
        // dozen times a second instead of once per result.
        let inbox = MessageBatches<MQTTMessage>(maxBatch: 2000, linger: .milliseconds(20))
        // Every task ends by itself on graceful shutdown: the projections stop reading, the live
        // streams are finished so open browser connections close, and the server drains.
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    await inbox.pump(from: events)
                    inbox.finish()
                }
                group.addTask {
                    while let batch = await inbox.next() { await self.project(batch, decoder: decoder, definitions: definitions, lateReplies: lateReplies) }
                }
                group.addTask {
                    for await message in replies.cancelOnGracefulShutdown() { _ = self.watch(message, lateReplies: lateReplies) }
                }
                group.addTask { await self.history.run() }
                group.addTask {
                    do { try await app.runService() } catch {
                        throw GatewayError.cannotListen(host: host, port: port, underlying: "\(error)")
                    }
                }
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
            inbox.finish()
        }
    }

    /// The REST API, its commands sent over the bus as requests to the registry, the issues
    /// service and the notifier.
    func makeAPI(bus: ServiceBus, monitoring: MonitoringWatch) -> GatewayAPI {
        let topics = context.topics
        let registryTopic = topics.registryCommands(from: bus.account)
        let issueTopic = topics.issueCommands(from: bus.account)
        let notifierTopic = topics.notifierCommands(from: bus.account)
        let commandTimeout = Duration.milliseconds(Int64(configuration.commandTimeout * 1000))
        let imports = ImportJobs(logger: logger) { command, timeout in
            try await bus.request(registryTopic, type: .registryCommand, command, reply: .registryReply, timeout: timeout)
        }
        return GatewayAPI(store: store, hub: hub, imports: imports, access: access, https: configuration.https, monitoring: monitoring,
                          files: configuration.staticDir.map(DashboardFiles.folder) ?? .embedded(), history: history, historyStore: historyStore,
                          configuration: configuration, notifierView: notifierView, snapshots: SnapshotStore(dataDir: context.dataDir),
                          notifier: { command, timeout in
                              try await bus.request(notifierTopic, type: .notifierCommand, command, reply: .notifierReply, timeout: timeout)
                          },
                          registry: { command, commandID in
                              try await bus.request(registryTopic, type: .registryCommand, command, id: commandID, reply: .registryReply, timeout: commandTimeout)
                          },
                          issueCommands: { command in
                              try await bus.request(issueTopic, type: .issueCommand, command, reply: .issueReply, timeout: .seconds(15))
                          })
    }

    /// HTTP/1.1 with idle timeouts, over TLS when a certificate is configured.
    func makeServer() throws -> HTTPServerBuilder {
        let idleTimeout = configuration.idleTimeout
        let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [ConnectionTimeouts(idleSeconds: idleTimeout)],
                                                                 idleTimeout: .seconds(Int64(idleTimeout))))
        if let certificate = configuration.tlsCertificate, let key = configuration.tlsKey {
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            return try .tls(http1, tlsConfiguration: tls)
        }
        if configuration.listensBeyondLoopback {
            logger.warning("the gateway listens on \(configuration.host) without HTTPS: passwords and session cookies cross the network in clear text (set http.tls-cert and http.tls-key)")
        }
        return http1
    }

    /// While no account exists, the log says how to make the first one.
    func announceSetupCode() throws {
        let host = configuration.host, port = configuration.port
        if let code = try access.setupCodeIfNeeded() {
            logger.warning("no account exists yet: open \(configuration.https ? "https" : "http")://\(host == "0.0.0.0" ? "localhost" : host):\(port)/setup and enter the one-time setup code \(code) (or run `cctv-out users add NAME --role admin`)")
        }
    }

    /// Handles a batch of the gateway's subscription: self-watch messages and late replies
    /// (``watch(_:lateReplies:)``), the notifier's view, check results for the history only, and
    /// events applied to the read store in one transaction (and recorded by the history), then
    /// pushed live.
    func project(_ messages: [MQTTMessage], decoder: MessageDecoder, definitions: DefinitionReader, lateReplies: String) async {
        let topics = context.topics
        var changes: [ReadStore.Change] = []
        for message in messages where !watch(message, lateReplies: lateReplies) {
            if message.topic == topics.notifierDirectory || message.topic == topics.notifierHealth {
                projectNotifier(message, decoder: decoder)
            } else if message.topic == topics.deviceChanges {
                // "Camera replaced" / "firmware changed": pushed live to the operators of its site
                // (the camera's new model/firmware/serial arrive with its definition).
                if let envelope = decoder.decode(message, as: CameraDeviceChange.self, expecting: [.cameraDeviceChanged]) {
                    hub.broadcast("device_changed", envelope.data, audience: .site(envelope.data.site))
                }
            } else if TopicFilter.matches(message.topic, filter: topics.allICMP) || TopicFilter.matches(message.topic, filter: topics.allHLS) {
                history.observe(message)
            } else {
                history.observe(message)
                if let change = change(from: message, decoder: decoder, definitions: definitions) { changes.append(change) }
            }
        }
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

    func projectNotifier(_ message: MQTTMessage, decoder: MessageDecoder) {
        guard !message.payload.isEmpty else { return }
        if message.topic == context.topics.notifierDirectory, let envelope = decoder.decode(message, as: TeamDirectory.self, expecting: [.notifierDirectory]) {
            notifierView.update(directory: envelope.data)
            hub.broadcast("notifier", ["changed": "directory"])
        } else if message.topic == context.topics.notifierHealth, let envelope = decoder.decode(message, as: NotifierHealth.self, expecting: [.notifierHealth]) {
            notifierView.update(health: envelope.data)
            hub.broadcast("notifier", ["changed": "health"])
        }
    }

    /// The read-model change an event calls for; `nil` for anything refused (logged by the decoder).
    func change(from message: MQTTMessage, decoder: MessageDecoder, definitions: DefinitionReader) -> ReadStore.Change? {
        let topics = context.topics
        if let cameraID = topics.cameraID(in: message.topic) {
            if message.topic.hasSuffix("/config") {
                if message.payload.isEmpty { return .cameraRemoved(cameraID) }
                guard let envelope = definitions.definition(message), envelope.data.id == cameraID else { return nil }
                return .camera(envelope.data)
            }
            if message.topic.hasSuffix("/status") {
                if message.payload.isEmpty { return .statusRemoved(cameraID) }
                guard let envelope = decoder.decode(message, as: CameraHealth.self, expecting: [.cameraStatus]), envelope.data.cameraID == cameraID else { return nil }
                return .status(envelope.data)
            }
            if message.topic == topics.onvif(cameraID) {
                guard let envelope = decoder.decode(message, as: ONVIFResult.self, expecting: [.probeONVIF]), envelope.data.cameraID == cameraID else { return nil }
                return .onvif(envelope.data)
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

    /// Pushes one applied change to every browser that may see it.
    func push(_ pushed: ReadStore.Pushed) {
        struct Pushed: Encodable { var event: String; var issue: IssueRecord }
        switch pushed {
        case let .camera(row): hub.broadcast("camera", row, audience: .site(row.camera.site))
        case let .movedAway(id, site): hub.broadcast("deleted", ["id": id], audience: .onlyLimitedTo(site))
        case let .deleted(id, site):
            monitoring.forget(id)
            hub.broadcast("deleted", ["id": id], audience: .site(site))
        case let .status(status, site): hub.broadcast("status", status, audience: .site(site))
        case let .issue(event, issue): hub.broadcast("issue", Pushed(event: event, issue: issue), audience: .site(issue.site))
        case let .notification(record, site): hub.broadcast("notification", record, audience: .site(site))
        case let .service(name, state): hub.broadcast("service", ["name": name, "state": state])
        case let .onvif(result, site): hub.broadcast("onvif", result, audience: .site(site))
        }
    }
}
