import AsyncHTTPClient
import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime

/// The notifier: turns `issues/opened|updated|resolved` into deliveries to the responsible party
/// (and operators), kept in a durable SQLite outbox, retried with back-off until delivered or
/// given up, and reported on `notifications/sent|failed`.
public final class NotifierService: Service {
    let context: RuntimeContext
    public let store: DeliveryStore
    let routing: NotificationRouting
    let maxAttempts: Int
    let timeoutSeconds: Int
    let logger: Logger

    public init(context: RuntimeContext) throws {
        self.context = context
        self.logger = context.logger(for: "notifier")
        self.store = try DeliveryStore(dataDir: context.dataDir)
        let settings = context.settings
        for key in ["notifier.webhook.line-team", "notifier.webhook.vendor", "notifier.webhook.operators"] {
            if let url = settings.string(key), URL(string: url)?.scheme.map({ ["http", "https"].contains($0.lowercased()) }) != true {
                throw SettingsError.invalid(key: key, value: url, expected: "an http:// or https:// URL")
            }
        }
        self.routing = NotificationRouting(
            lineTeam: settings.string("notifier.webhook.line-team"),
            vendor: settings.string("notifier.webhook.vendor"),
            operators: settings.string("notifier.webhook.operators"))
        self.maxAttempts = try settings.int("notifier.max-attempts", in: 1...1000)
        self.timeoutSeconds = try settings.int("notifier.timeout", in: 1...300)
    }

    public func run() async throws {
        let bus = context.makeBus(service: "notifier")
        let events = try await bus.subscribe(context.topics.allIssues)
        bus.start()
        let outbox = EventOutbox(database: store.database, logger: logger)
        let decoder = MessageDecoder(service: "notifier", logger: logger)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let channel = WebhookChannel(client: http, timeoutSeconds: timeoutSeconds)
        let kick = WakeSignal()
        if routing == NotificationRouting() {
            logger.warning("no webhook configured: deliveries are not queued (set notifier.webhook.line-team / vendor / operators)")
        }
        try await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await outbox.run(client: bus.client) }
                group.addTask { await self.deliveryLoop(channel: channel, outbox: outbox, kick: kick) }
                group.addTask {
                    for await message in events.cancelOnGracefulShutdown() {
                        if self.accept(message, decoder: decoder) { kick.signal() }
                    }
                }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            outbox.finish()
        }
        try? await http.shutdown()
        await bus.shutdown()
    }

    /// Stores the deliveries for one issue event; returns whether anything new was queued.
    func accept(_ message: MQTTMessage, decoder: MessageDecoder) -> Bool {
        guard let envelope = decoder.decode(message, as: IssueRecord.self, expecting: [.issueOpened, .issueUpdated, .issueResolved]) else { return false }
        let event: String = switch envelope.type {
        case .issueOpened: "opened"
        case .issueResolved: "resolved"
        default: "updated"
        }
        do {
            let added = try store.enqueue(eventID: envelope.id, event: event, issue: envelope.data, routing: routing, dashboard: context.settings["http.public-url"])
            if added > 0 { logger.info("notifications queued", metadata: ["issue": "\(envelope.data.id)", "event": "\(event)", "count": "\(added)"]) }
            return added > 0
        } catch {
            logger.error("could not queue notifications", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Delivers due rows, up to 16 at once; sleeps until the next due time or a kick.
    func deliveryLoop(channel: WebhookChannel, outbox: EventOutbox, kick: WakeSignal) async {
        while !Task.isCancelled {
            let due = (try? store.due()) ?? []
            if !due.isEmpty {
                await withTaskGroup(of: Void.self) { group in
                    var inFlight = 0
                    for pending in due {
                        if inFlight >= 16 { await group.next(); inFlight -= 1 }
                        group.addTask {
                            let outcome = await channel.deliver(pending.body, to: pending.target, deliveryID: pending.id)
                            do {
                                if let record = try self.store.record(pending, outcome: outcome, maxAttempts: self.maxAttempts, topics: self.context.topics) {
                                    outbox.signal()
                                    self.logger.log(level: record.delivered ? .info : .error, record.delivered ? "notification delivered" : "notification failed for good",
                                                    metadata: ["issue": "\(record.issueID)", "event": "\(record.event)", "target": "\(record.target)", "attempts": "\(record.attempts)"])
                                }
                            } catch {
                                self.logger.error("could not record a delivery", metadata: ["error": "\(error)"])
                            }
                        }
                        inFlight += 1
                    }
                }
                continue
            }
            // Nothing due: wait for a kick or the next retry time (at most 5 s, to stay responsive).
            let wait = min(5, max(0.05, ((try? store.nextDue()) ?? nil)?.timeIntervalSinceNow ?? 5))
            await kick.wait(upTo: .milliseconds(Int(wait * 1000)))
        }
    }
}
