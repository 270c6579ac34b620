import AsyncHTTPClient
import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime

/// The notifier: turns `issues/opened|updated|resolved` into deliveries to the responsible team's
/// channels (and operators), kept in a durable SQLite outbox, acknowledged to the issues service
/// once committed (`notifications/acks`), sent with retries, back-off and per-channel circuit
/// breakers, escalated and repeated while unacknowledged, and reported on `notifications/sent|failed`.
public final class NotifierService: Service {
    let context: RuntimeContext
    public let store: DeliveryStore
    /// The contacts in force: stored by the notifier, edited from the dashboard or REST, applied at once.
    public let contacts: ContactsHolder
    public let policy: NotificationPolicy
    let maxAttempts: Int
    let timeoutSeconds: Int
    let breakers: EndpointBreakers
    /// Every channel's recent record (dashboard, channel alarm).
    public let health = ChannelHealthBook()
    /// A channel failing this long pages the operators through another channel (seconds).
    let alarmAfter: TimeInterval
    let logger: Logger

    /// Routing over the contacts in force.
    public var routing: NotificationRouting { contacts.routing }

    public init(context: RuntimeContext) throws {
        self.context = context
        self.logger = context.logger(for: "notifier")
        let settings = context.settings
        self.policy = try Self.policy(settings)
        self.maxAttempts = try settings.int("notifier.max-attempts", in: 1...1000)
        self.timeoutSeconds = try settings.int("notifier.timeout", in: 1...300)
        self.breakers = EndpointBreakers(threshold: try settings.int("notifier.breaker-failures", in: 1...1000),
                                         coolDown: TimeInterval(try settings.int("notifier.breaker-cooldown", in: 1...86_400)))
        self.alarmAfter = TimeInterval(try settings.int("notifier.channel-alarm-after", in: 10...604_800))
        self.store = try DeliveryStore(dataDir: context.dataDir)
        // The file and the webhook settings are the import: when what they say changed since the
        // last start they replace the stored contacts; otherwise the stored ones (edited in the
        // dashboard meanwhile) stay in force.
        let configured = try Self.contactBook(settings)
        let sourceHash = hexString(sha256(Array(configured.json().utf8)))
        if let stored = try store.storedContacts(), stored.sourceHash == sourceHash {
            self.contacts = ContactsHolder(stored.book)
        } else {
            try store.saveContacts(configured, sourceHash: sourceHash, by: "settings")
            self.contacts = ContactsHolder(configured)
        }
    }

    /// The contacts: the file named by `notifier.contacts`, plus the `notifier.webhook.*` shorthand
    /// (one team per party with one webhook each), validated together.
    /// - Throws: ``ContactsError`` or ``SettingsError`` naming the entry at fault.
    public static func contactBook(_ settings: Settings) throws -> ContactBook {
        for key in ["notifier.webhook.line-team", "notifier.webhook.vendor", "notifier.webhook.operators"] {
            if let url = settings.string(key), !ContactBook.isHTTPURL(url) {
                throw SettingsError.invalid(key: key, value: url, expected: "an http:// or https:// URL")
            }
        }
        var book = try settings.string("notifier.contacts").map { try ContactBook.load(path: $0) } ?? ContactBook(teams: [])
        let shorthand = ContactBook.fromWebhookSettings(lineTeam: settings.string("notifier.webhook.line-team"),
                                                        vendor: settings.string("notifier.webhook.vendor"),
                                                        operators: settings.string("notifier.webhook.operators"))
        for team in shorthand.teams {
            // The file's own team stays its role's default; the shorthand only fills a role the file lacks.
            if book.defaults?[team.role.rawValue] == nil, let fileTeam = book.teams.first(where: { $0.role == team.role }) {
                book.defaults = (book.defaults ?? [:]).merging([team.role.rawValue: fileTeam.id]) { old, _ in old }
            }
            book.teams.append(team)
        }
        do {
            try book.validate()
        } catch {
            guard case let .invalid(_, entry, problem) = error else { throw error }
            throw ContactsError.invalid(path: settings["notifier.contacts"], entry: entry, problem: problem + " (with the notifier.webhook.* settings)")
        }
        return book
    }

    /// The dashboard's address in notices: `http.public-url`, or else this machine's name with the
    /// gateway's port (`http://<host>:<http.port>`), so a changed port is never linked wrongly.
    public static func publicURL(_ settings: Settings) throws -> String {
        if let url = settings.string("http.public-url") {
            guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme?.lowercased() ?? ""), components.host?.isEmpty == false else {
                throw SettingsError.invalid(key: "http.public-url", value: url, expected: "the dashboard's address as browsers reach it, e.g. https://cctv.example.org")
            }
            return url
        }
        let port = try settings.int("http.port", in: 0...65_535)
        let listen = settings["http.host"]
        let host = ["", "0.0.0.0", "::", "[::]"].contains(listen) ? ProcessInfo.processInfo.hostName : listen
        return "http://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host):\(port)"
    }

    static func policy(_ settings: Settings) throws -> NotificationPolicy {
        guard let zone = TimeZone(identifier: settings["notifier.time-zone"]) else {
            throw SettingsError.invalid(key: "notifier.time-zone", value: settings["notifier.time-zone"], expected: "a time zone name such as Asia/Seoul or UTC")
        }
        return NotificationPolicy(dashboard: try publicURL(settings), timeZone: zone,
                                  escalateAfter: TimeInterval(try settings.int("notifier.escalate-after", in: 0...31_536_000)),
                                  remindEvery: TimeInterval(try settings.int("notifier.remind-every", in: 0...31_536_000)))
    }

    /// One sender per channel kind, sharing one HTTP client.
    public static func channels(http: HTTPClient, timeoutSeconds: Int) -> [ChannelKind: any DeliveryChannel] {
        let poster = HTTPPoster(client: http, timeoutSeconds: timeoutSeconds)
        return [
            .webhook: WebhookChannel(poster: poster), .slack: SlackChannel(poster: poster), .teams: TeamsChannel(poster: poster),
            .telegram: TelegramChannel(poster: poster), .discord: DiscordChannel(poster: poster), .email: EmailChannel(timeoutSeconds: timeoutSeconds),
        ]
    }

    public func run() async throws {
        let bus = context.makeBus(service: "notifier")
        let events = try await bus.subscribe(context.topics.allIssues)
        let commands = try await bus.subscribe(context.topics.notifierCommands)
        bus.start()
        let outbox = EventOutbox(database: store.database, logger: logger)
        let decoder = MessageDecoder(service: "notifier", logger: logger)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let dispatcher = DeliveryDispatcher(store: store, contacts: contacts, health: health, channels: Self.channels(http: http, timeoutSeconds: timeoutSeconds),
                                            breakers: breakers, maxAttempts: maxAttempts, topics: context.topics, logger: logger,
                                            onRecorded: { _ in outbox.signal() })
        if contacts.current.teams.isEmpty {
            logger.warning("no contacts configured: incidents are acknowledged but nobody is told (set notifier.contacts or notifier.webhook.*, or add teams in the dashboard)")
        }
        await publishDirectory(bus)
        try await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await outbox.run(client: bus.client) }
                group.addTask { await dispatcher.run() }
                // Only when on: the first child to end ends the service.
                if self.policy.escalateAfter > 0 || self.policy.remindEvery > 0 {
                    group.addTask { await self.timerLoop(dispatcher: dispatcher) }
                }
                group.addTask {
                    for await message in events.cancelOnGracefulShutdown() {
                        if self.accept(message, decoder: decoder) { dispatcher.kick() }
                        outbox.signal()
                    }
                }
                group.addTask {
                    for await message in commands.cancelOnGracefulShutdown() {
                        await self.handleCommand(message, bus: bus, http: http, dispatcher: dispatcher)
                    }
                }
                group.addTask { await self.watchChannels(bus: bus, dispatcher: dispatcher) }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            outbox.finish()
        }
        try? await http.shutdown()
        await bus.shutdown()
    }

    /// Stores the deliveries for one issue event and its acknowledgement; returns whether anything new was queued.
    func accept(_ message: MQTTMessage, decoder: MessageDecoder) -> Bool {
        guard let envelope = decoder.decode(message, as: IssueRecord.self, expecting: [.issueOpened, .issueUpdated, .issueResolved]) else { return false }
        do {
            let added = try store.accept(eventID: envelope.id, type: envelope.type, issue: envelope.data, routing: routing, policy: policy, topics: context.topics)
            if added > 0 { logger.info("notifications queued", metadata: ["issue": "\(envelope.data.id)", "type": "\(envelope.type.rawValue)", "count": "\(added)"]) }
            return added > 0
        } catch {
            // Not acknowledged: the issues service sends the event again.
            logger.error("could not queue notifications", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Fires escalations and reminders when due (at least once a second, so a timer is at most ~1 s late).
    func timerLoop(dispatcher: DeliveryDispatcher) async {
        while !Task.isCancelled {
            do {
                let added = try store.fireTimers(routing: routing, policy: policy, topics: context.topics)
                if added > 0 {
                    logger.info("escalations or reminders queued", metadata: ["count": "\(added)"])
                    dispatcher.kick()
                }
            } catch {
                logger.error("could not fire timers", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
