import CCTVContract
import Foundation
import Logging
import Synchronization

/// Works through the outbox: sends due deliveries through their channels, at most `concurrency`
/// at once and at most `perEndpoint` to any one endpoint (so a slow endpoint cannot take every
/// slot), skips endpoints whose circuit breaker is open (their rows wait, attempts untouched), and
/// records every outcome. Runs until cancelled.
public final class DeliveryDispatcher: Sendable {
    let store: DeliveryStore
    /// The contacts in force (replaced when an operator saves new ones).
    let contacts: ContactsHolder
    /// Every attempt's outcome per channel (for the dashboard and the channel alarm).
    let health: ChannelHealthBook
    let channels: [ChannelKind: any DeliveryChannel]
    let breakers: EndpointBreakers
    let maxAttempts: Int
    let topics: Topics
    let concurrency: Int
    let perEndpoint: Int
    let logger: Logger
    let onRecorded: @Sendable (NotificationRecord) -> Void
    let doorbell = Doorbell()
    private let inFlight = Mutex<[String: String]>([:]) // delivery id → channel id

    public init(store: DeliveryStore, contacts: ContactsHolder, health: ChannelHealthBook = ChannelHealthBook(), channels: [ChannelKind: any DeliveryChannel],
                breakers: EndpointBreakers, maxAttempts: Int, topics: Topics, concurrency: Int = 16, perEndpoint: Int = 4, logger: Logger,
                onRecorded: @escaping @Sendable (NotificationRecord) -> Void = { _ in }) {
        self.store = store; self.contacts = contacts; self.health = health; self.channels = channels; self.breakers = breakers; self.maxAttempts = maxAttempts
        self.topics = topics; self.concurrency = concurrency; self.perEndpoint = perEndpoint; self.logger = logger; self.onRecorded = onRecorded
    }

    /// Tells the loop new deliveries were queued.
    public func kick() { doorbell.ring() }

    /// Number of deliveries being sent right now.
    public var sending: Int { inFlight.withLock { $0.count } }

    /// Delivers until the task is cancelled; deliveries in flight then stay pending and go again on the next start.
    public func run() async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let started = dispatchDue(into: &group)
                if started > 0 { continue }
                let next = ((try? store.nextDue()) ?? nil)?.timeIntervalSinceNow ?? 1
                await doorbell.wait(upTo: .milliseconds(Int(min(1, max(0.01, next)) * 1000)))
            }
        }
    }

    /// Starts what is due and fits; returns how many started.
    private func dispatchDue(into group: inout DiscardingTaskGroup) -> Int {
        let busy = inFlight.withLock { $0 }
        let free = concurrency - busy.count
        guard free > 0 else { return 0 }
        var perTarget: [String: Int] = [:]
        for target in busy.values { perTarget[target, default: 0] += 1 }
        let saturated = Set(perTarget.filter { $0.value >= perEndpoint }.keys)
        let now = Date()
        let due: [DeliveryStore.Pending]
        do {
            due = try store.due(now: now, excludingTargets: saturated, excludingIDs: Set(busy.keys), limit: free + 16)
        } catch {
            logger.error("could not read the outbox", metadata: ["error": "\(error)"])
            return 0
        }
        var started = 0
        let book = contacts.current
        for pending in due where started < free {
            if perTarget[pending.target, default: 0] >= perEndpoint { continue }
            guard let found = book.channel(pending.target), let sender = channels[found.channel.type] else {
                record(pending, .failed(status: nil, error: "channel \(pending.target) is no longer in the contacts file", permanent: true))
                continue
            }
            if case let .wait(until) = breakers.admit(pending.target, now: now) {
                try? store.deferTarget(pending.target, until: until)
                perTarget[pending.target] = perEndpoint
                continue
            }
            perTarget[pending.target, default: 0] += 1
            started += 1
            inFlight.withLock { $0[pending.id] = pending.target }
            let channel = found.channel
            group.addTask {
                let outcome: DeliveryOutcome
                if let body = try? self.store.body(of: pending.id) {
                    outcome = await sender.send(body, via: channel, deliveryID: pending.id)
                } else {
                    outcome = .failed(status: nil, error: "could not read the stored payload", permanent: false)
                }
                if Task.isCancelled { return } // shutting down: the row stays pending and is sent again on start
                self.health.record(pending.target, outcome)
                if self.breakers.record(pending.target, outcome) {
                    let until = Date().addingTimeInterval(self.breakers.coolDown)
                    try? self.store.deferTarget(pending.target, until: until)
                    self.logger.warning("circuit breaker opened", metadata: ["channel": "\(pending.target)", "until": "\(until)"])
                }
                self.record(pending, outcome)
                self.inFlight.withLock { _ = $0.removeValue(forKey: pending.id) }
                self.doorbell.ring()
            }
        }
        return started
    }

    private func record(_ pending: DeliveryStore.Pending, _ outcome: DeliveryOutcome) {
        do {
            if let record = try store.record(pending, outcome: outcome, maxAttempts: maxAttempts, topics: topics) {
                onRecorded(record)
                logger.log(level: record.delivered ? .debug : .error, record.delivered ? "notification delivered" : "notification failed for good",
                           metadata: ["issue": "\(record.issueID)", "event": "\(record.event)", "channel": "\(pending.target)",
                                      "attempts": "\(record.attempts)", "error": "\(record.error ?? "")"])
            }
        } catch {
            logger.error("could not record a delivery", metadata: ["error": "\(error)"])
        }
    }
}
