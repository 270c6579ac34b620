import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceLifecycle

/// One service's broker connections: an inbox for its subscriptions and a client for everything
/// it sends, a retained `services/{name}/availability` of `online` (re-published on every
/// reconnect) with `offline` as last will and on clean shutdown, and typed publish helpers.
///
/// Two connections, because a subscription applies back-pressure by not reading its
/// connection: a PUBACK, SUBACK or request reply queued behind unread messages on the same
/// connection would then wait for the consumer that is waiting for it. The inbox only receives
/// (client id `{instance}-{service}`, the persistent session that queues messages while the
/// service is away or slow); `client` publishes, requests and carries the will
/// (`{instance}-{service}-out`). Both stay inside: services go through the intent-named members
/// here (typed publish, ``request(_:type:_:id:reply:as:timeout:)``, ``answer(_:as:expecting:reply:refusing:orPublishTo:isolation:_:)``,
/// the connection epoch and states for retained-state checks).
package final class ServiceBus: Sendable {
    package let service: String
    package let topics: Topics
    /// Publishing, request/response, availability and the last will.
    let client: MQTTClient
    /// Subscriptions only (see the type's comment).
    let inbox: MQTTClient
    let logger: Logger
    /// The inbox's account when `service` is one of the five services (its ACL reads are ours).
    let inboxAccount: BrokerAccount?
    private let availabilityTask: Task<Void, Never>

    /// Creates the connections (not started: enter the subscriptions first, then ``start()``, so
    /// that messages queued for this persistent session have a subscription to land in).
    /// - Parameters:
    ///   - session: the name in the client ids when several processes run the same service
    ///     (probers: `prober-{member}`); default the service name. The accounts stay the service's
    ///     (a broker with `use_username_as_clientid` makes them the client ids again: there each
    ///     prober needs its own account).
    ///   - will: the last will instead of `offline` on the availability topic (a prober member
    ///     clears its heartbeat: one prober dying does not make the service offline).
    ///   - persistentInbox: `false` for one of several replicas sharing their commands (MQTT shared
    ///     subscriptions): the inbox session ends with its connection. mosquitto 2.0.11 hands a shared
    ///     subscription's messages round-robin to every member *with a session*, online or not
    ///     (measured: of 6 commands after one of 2 persistent members was SIGKILLed, 3 waited in the
    ///     dead member's session), so a dead replica with a persistent session would keep half the
    ///     commands until it came back; without one the broker drops it from the group at once.
    ///     Such a replica also answers another replica's `offline` (its will) with `online`.
    ///   - connectPermit: asked before every connect of both connections (``MQTTConfiguration/connectPermit``):
    ///     an active/standby service passes its lease's ``LeaderLease/isConfirmed``.
    package init(service: String, endpoint: BrokerEndpoint, instance: String, topics: Topics, logger: Logger,
                session: String? = nil, will: MQTTConfiguration.Will? = nil, persistentInbox: Bool = true,
                connectPermit: (@Sendable () -> Bool)? = nil) {
        self.service = service
        self.topics = topics
        self.logger = logger
        let availability = topics.availability(service)
        var outboxConfiguration = endpoint.clientConfiguration(
            clientID: ServiceConnection.outbox.clientID(instance: instance, service: session ?? service),
            account: ServiceConnection.outbox.clientID(instance: instance, service: service), connection: .outbox,
            will: will ?? .init(topic: availability, payload: Array("offline".utf8), qos: .atLeastOnce, retain: true))
        outboxConfiguration.connectPermit = connectPermit
        let client = MQTTClient(configuration: outboxConfiguration, logger: logger)
        self.client = client
        var inboxConfiguration = endpoint.clientConfiguration(clientID: ServiceConnection.inbox.clientID(instance: instance, service: session ?? service),
                                                              account: ServiceConnection.inbox.clientID(instance: instance, service: service),
                                                              connection: .inbox, will: nil)
        if !persistentInbox { inboxConfiguration.cleanStart = true; inboxConfiguration.sessionExpiry = 0 }
        inboxConfiguration.connectPermit = connectPermit
        let inbox = MQTTClient(configuration: inboxConfiguration, logger: logger)
        self.inbox = inbox
        inboxAccount = BrokerRole(rawValue: service).map {
            BrokerAccount(name: ServiceConnection.inbox.clientID(instance: instance, service: service), role: $0, service: service, connection: .inbox)
        }
        let states = client.connectionStates()
        let online = Array("online".utf8)
        availabilityTask = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await state in states where state == .connected {
                        // `online` promises that what is published from now on reaches this service.
                        try? await inbox.waitUntilSubscribed(timeout: .seconds(30))
                        try? await client.publish(availability, payload: online, retain: true, timeout: .seconds(10))
                    }
                }
                // A replica's last will (or clean stop) says `offline` for the whole service: the
                // replicas still alive say `online` again at once.
                if !persistentInbox {
                    group.addTask {
                        try? await client.withSubscription(to: [availability], qos: .atLeastOnce) { messages in
                            for await message in messages where message.payload != online {
                                try? await client.publish(availability, payload: online, retain: true, timeout: .seconds(10))
                            }
                        }
                    }
                }
            }
        }
    }

    /// The MQTT account this connection acts as: its user name, or its client id on a broker
    /// without accounts. It is the last level of the command topics it publishes.
    package var account: String { client.configuration.username ?? client.configuration.clientID }

    /// Starts connecting (and reconnecting) in the background.
    package func start() {
        inbox.start()
        client.start()
    }

    /// Subscribes to `filters` while `body` runs (see ``MQTTClient/withSubscription(to:qos:isolation:_:)``):
    /// every matching message in broker order, never dropped. On graceful shutdown the inbox
    /// stops reading and the sequence ends after the messages already read; the persistent
    /// session keeps the subscription, so a restart gets the rest, unacknowledged until then.
    package func withSubscription<Result>(
        to filters: String...,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (MQTTSubscription) async throws -> Result
    ) async throws -> Result {
        try await subscribe(filters, body)
    }

    private func subscribe<Result>(
        _ filters: [String],
        isolation: isolated (any Actor)? = #isolation,
        _ body: (MQTTSubscription) async throws -> Result
    ) async throws -> Result {
        if let account = inboxAccount, let filter = filters.first(where: { !BrokerACL.mayRead($0, account: account, topics: topics) }) {
            throw ServiceBusError.subscriptionNotInACL(account: account.name, filter: filter)
        }
        let inbox = inbox
        return try await inbox.withSubscription(to: filters, qos: .atLeastOnce) { messages in
            // A service's subscriptions last as long as the service: when the body ends (shutdown,
            // cancellation, an error) the inbox stops receiving first, so the persistent session
            // keeps them at the broker and queues what comes meanwhile for the next run.
            defer { inbox.stopReceiving() }
            return try await withGracefulShutdownHandler {
                try await body(messages)
            } onGracefulShutdown: {
                inbox.stopReceiving()
            }
        }
    }

    /// Several subscriptions at once, one per group of filters (each with its own buffer and
    /// consumer), all ended when `body` ends.
    package func withSubscriptions<Result>(
        _ groups: [[String]],
        isolation: isolated (any Actor)? = #isolation,
        _ body: ([MQTTSubscription]) async throws -> Result
    ) async throws -> Result {
        try await nest(groups[...], opened: [], body)
    }

    private func nest<Result>(
        _ groups: ArraySlice<[String]>, opened: [MQTTSubscription],
        isolation: isolated (any Actor)? = #isolation,
        _ body: ([MQTTSubscription]) async throws -> Result
    ) async throws -> Result {
        guard let first = groups.first else { return try await body(opened) }
        return try await subscribe(first) { subscription in
            try await nest(groups.dropFirst(), opened: opened + [subscription], body)
        }
    }

    /// Publishes an envelope (QoS 1 unless `qos` says otherwise). `retain` for state topics.
    package func publish<P: Codable & Sendable>(_ topic: String, type: EventType, data: P, retain: Bool = false, id: String = EventID.random(),
                                               qos: MQTTQoS = .atLeastOnce, timeout: Duration? = .seconds(30)) async throws {
        let envelope = Envelope(type: type, id: id, source: service, data: data)
        try await client.publish(topic, payload: ContractCodec.encode(envelope), qos: qos, retain: retain, timeout: timeout)
    }

    /// An envelope of `type` around `data`, from this service, as a QoS 1 message for
    /// ``publishAll(_:timeout:)``: what ``publish(_:type:data:retain:id:qos:timeout:)`` would send.
    package func message<P: Codable & Sendable>(_ topic: String, type: EventType, data: P, retain: Bool = false, id: String = EventID.random()) -> MQTTOutgoingMessage {
        MQTTOutgoingMessage(topic: topic, payload: ContractCodec.encode(Envelope(type: type, id: id, source: service, data: data)), retain: retain)
    }

    /// An envelope of `type` around `data` already encoded with ``ContractCodec/encodeValue(_:)``, from
    /// this service, as a QoS 1 message for ``publishAll(_:timeout:)``: one value encoded once can go
    /// out in several envelopes (a camera's retained definition and its `camera.created` event).
    package func message(_ topic: String, type: EventType, encodedData data: Data, retain: Bool = false) -> MQTTOutgoingMessage {
        MQTTOutgoingMessage(topic: topic, payload: ContractCodec.encode(type: type, source: service, encodedData: data), retain: retain)
    }

    /// The tombstone of a retained state topic as a message for ``publishAll(_:timeout:)``.
    package func tombstone(_ topic: String) -> MQTTOutgoingMessage {
        MQTTOutgoingMessage(topic: topic, payload: [], retain: true)
    }

    /// Publishes many QoS 1 messages in order and returns once all are acknowledged (see
    /// ``MQTTClient/publishAll(_:timeout:)``): bulk publishing without a task and a wait per message.
    package func publishAll(_ messages: [MQTTOutgoingMessage], timeout: Duration? = nil) async throws {
        try await client.publishAll(messages, timeout: timeout)
    }

    /// Sends `command` as an envelope of `type` to the service serving `topic` and waits for its
    /// reply (MQTT 5 request/response, answered on `replies/…`), decoded as `Reply` of `replyType`.
    /// - Throws: the client's timeout or connection error, or ``ContractError`` for a reply that
    ///   does not decode.
    package func request<Command: Codable & Sendable, Reply: Codable & Sendable>(
        _ topic: String, type: EventType, _ command: Command, id: String = EventID.random(),
        reply replyType: EventType, as _: Reply.Type = Reply.self, timeout: Duration
    ) async throws -> Reply {
        let envelope = Envelope(type: type, id: id, source: service, data: command)
        let answer = try await client.request(topic, payload: ContractCodec.encode(envelope), replyPrefix: topics.replies, timeout: timeout)
        return try ContractCodec.decode(answer.payload, as: Reply.self, expecting: [replyType]).data
    }

    /// Answers one request that arrived on a subscription: decodes it as an envelope of
    /// `commandType` carrying `Command`, runs `handle`, and sends its `Reply` as an envelope of
    /// `replyType` to the message's response topic (MQTT 5 request/response, with its correlation
    /// data) — or, for a message without one, to `fallbackTopic` when given (else nowhere).
    /// A payload that does not decode is logged and counted like every refused message and answered
    /// with `refusal(error, nil)` (code `payload_too_large` or `bad_request`); a command that decoded
    /// as an envelope but lacks what its action needs is answered with `refusal(itsError, envelopeID)`:
    /// a requester gets a clear error rather than a timeout. A reply that cannot be sent is logged,
    /// not thrown: the requester's own timeout covers it.
    package func answer<Command: Codable & Sendable, Reply: Codable & Sendable>(
        _ message: MQTTMessage, as _: Command.Type = Command.self, expecting commandType: EventType,
        reply replyType: EventType, refusing refusal: (ContractError, _ commandID: String?) -> Reply, orPublishTo fallbackTopic: String? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ handle: (Envelope<Command>) async -> Reply
    ) async {
        let reply: Reply
        switch MessageDecoder(service: service, logger: logger).envelope(message, as: Command.self, expecting: [commandType]) {
        case let .success(envelope):
            reply = await handle(envelope)
        case let .failure(.refused(error, envelopeID)):
            reply = refusal(error, envelopeID)
        case let .failure(error):
            reply = refusal(ContractError(code: error.code == "payload_too_large" ? "payload_too_large" : "bad_request", message: error.description), nil)
        }
        do {
            let payload = try ContractCodec.encode(Envelope(type: replyType, source: service, data: reply))
            if message.properties.responseTopic != nil {
                try await client.reply(to: message, payload: payload)
            } else if let fallbackTopic {
                try await client.publish(fallbackTopic, payload: payload, qos: .atLeastOnce, retain: false, timeout: .seconds(30))
            }
        } catch {
            logger.warning("could not send a command reply", metadata: ["type": "\(replyType.rawValue)", "error": "\(error)"])
        }
    }

    /// Where replies to this bus's requests land: `{replies}/{account}`. A reply that comes after
    /// its ``request(_:type:_:id:reply:as:timeout:)`` gave up arrives there too.
    package var repliesTopic: String { "\(topics.replies)/\(account)" }

    /// Subscribes to ``repliesTopic`` on the publishing connection (where requests are made and
    /// answered) while `body` runs: for a service that completes requests whose waiter gave up.
    package func withRepliesSubscription<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (MQTTSubscription) async throws -> Result
    ) async throws -> Result {
        try await client.withSubscription(to: [repliesTopic], qos: .atLeastOnce, body)
    }

    /// Whether the publishing connection is up (the broker can be reached).
    package var isConnected: Bool { client.isConnected }

    /// Counts the publishing connection's connects: equal before and after a series of publishes
    /// means they were all acknowledged on one unbroken connection (what a retained-state marker
    /// may vouch for).
    package var connectionEpoch: UInt64 { client.connectionEpoch }

    /// The publishing connection's state changes, as they happen (e.g. to check retained state
    /// after every connect).
    package func connectionStates() -> AsyncStream<MQTTConnectionState> { client.connectionStates() }

    /// Publishes an empty retained payload: the tombstone that deletes a retained state topic.
    package func publishTombstone(_ topic: String, timeout: Duration = .seconds(30)) async throws {
        try await client.publish(topic, payload: [], qos: .atLeastOnce, retain: true, timeout: timeout)
    }

    /// Says `offline` (retained) and disconnects cleanly. While the broker is away it only stops:
    /// nothing could be sent, and waiting for it would hold up a SIGTERM (the broker publishes
    /// the last will `offline` for a connection that dropped).
    /// - Parameter announcingOffline: `false` when other processes still run the service: an active
    ///   instance that lost its role to another (active/standby; the new one's `online` stays), or a
    ///   prober that is not the last live member.
    package func shutdown(announcingOffline: Bool = true) async {
        availabilityTask.cancel()
        inbox.stopReceiving()
        if announcingOffline, client.isConnected {
            try? await client.publish(topics.availability(service), payload: Array("offline".utf8), retain: true, timeout: .seconds(1))
        }
        async let inboxDone: Void = inbox.shutdown(timeout: .seconds(1))
        await client.shutdown(timeout: .seconds(1))
        await inboxDone
    }
}
