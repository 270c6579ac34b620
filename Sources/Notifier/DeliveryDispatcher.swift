import CCTVContract
import Foundation
import Logging
import ServiceRuntime
import Synchronization

/// Works through the outbox: sends due deliveries through their channels, at most `concurrency`
/// at once and at most `perEndpoint` to any one endpoint (so a slow endpoint cannot take every
/// slot), skips endpoints whose circuit breaker is open (their rows wait, attempts untouched), and
/// records every outcome. Runs until cancelled.
package final class DeliveryDispatcher: Sendable {
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
    /// Until when every issue event received has been applied (see ``dueNow()``).
    let caughtUp: @Sendable () -> Date
    /// The most a delivery waits for the event backlog: a notifier that never catches up still sends.
    static let maxBacklogWait: TimeInterval = 10
    let doorbell = WakeSignal()
    /// Rung when an outcome waits to be recorded.
    let recorderBell = WakeSignal()
    /// Deliveries being sent or waiting to be recorded: id → (channel id, still sending).
    private let inFlight = Mutex<[String: (target: String, sending: Bool)]>([:])
    /// Every channel id of the contacts in force, in file order (operators may change them while running).
    private var channelIDs: [String] { contacts.current.teams.flatMap { $0.channels.map(\.id) } }
    /// When to look next for due rows of channels no longer in the contacts.
    private let orphanCheck = Mutex(Date.distantPast)
    /// Finished attempts waiting to be recorded, and channels whose breaker opened (hold until).
    private let finished = Mutex<(outcomes: [(DeliveryStore.Pending, DeliveryOutcome)], deferrals: [String: Date])>(([], [:]))

    package init(store: DeliveryStore, contacts: ContactsHolder, health: ChannelHealthBook = ChannelHealthBook(), channels: [ChannelKind: any DeliveryChannel],
                breakers: EndpointBreakers, maxAttempts: Int, topics: Topics, concurrency: Int = 16, perEndpoint: Int = 4, logger: Logger,
                caughtUp: @escaping @Sendable () -> Date = Date.init,
                onRecorded: @escaping @Sendable (NotificationRecord) -> Void = { _ in }) {
        self.caughtUp = caughtUp
        self.store = store; self.contacts = contacts; self.health = health; self.channels = channels; self.breakers = breakers; self.maxAttempts = maxAttempts
        self.topics = topics; self.concurrency = concurrency; self.perEndpoint = perEndpoint; self.logger = logger; self.onRecorded = onRecorded
    }

    /// Tells the loop new deliveries were queued.
    package func kick() { doorbell.signal() }

    /// Number of deliveries being sent right now.
    package var sending: Int { inFlight.withLock { $0.values.count(where: \.sending) } }

    /// Delivers until the task is cancelled; deliveries in flight then stay `sending` and go again
    /// when the next leader (or this one, restarted) calls ``DeliveryStore/resumeInFlight(now:)``.
    package func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.recordLoop() }
            while !Task.isCancelled {
                let started = await dispatchDue(into: &group)
                if started > 0 { continue }
                let next = ((try? store.nextDue()) ?? nil)?.timeIntervalSinceNow ?? 1
                _ = await doorbell.wait(upTo: .milliseconds(Int(min(1, max(0.01, next)) * 1000)))
            }
            group.cancelAll()
        }
    }

    /// Records finished attempts in batches until cancelled; a delivery leaves `inFlight` only once
    /// its outcome is stored, so it is never picked twice.
    private func recordLoop() async {
        while !Task.isCancelled {
            _ = await recorderBell.wait(upTo: .seconds(1))
            let (outcomes, deferrals) = finished.withLock { state in
                defer { state = ([], [:]) }
                return state
            }
            guard !outcomes.isEmpty || !deferrals.isEmpty else { continue }
            for (target, until) in deferrals { try? await store.deferTarget(target, until: until) }
            do {
                let records = try await store.record(outcomes, maxAttempts: maxAttempts, topics: topics)
                for record in records {
                    onRecorded(record)
                    logger.log(level: record.delivered ? .debug : .error, record.delivered ? "notification delivered" : "notification failed for good",
                               metadata: ["issue": "\(record.issueID)", "event": "\(record.event)", "channel": "\(record.target)",
                                          "attempts": "\(record.attempts)", "error": "\(record.error ?? "")"])
                }
            } catch {
                // Kept in flight and recorded on the next round; if this instance stops first they
                // stay `sending` and the next leader sends them again (same Idempotency-Key).
                logger.error("could not record deliveries", metadata: ["count": "\(outcomes.count)", "error": "\(error)"])
                finished.withLock { $0.outcomes.insert(contentsOf: outcomes, at: 0) }
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            inFlight.withLock { busy in for (pending, _) in outcomes { busy.removeValue(forKey: pending.id) } }
            doorbell.signal()
        }
    }

    /// Hands a finished attempt to the recorder.
    private func finish(_ pending: DeliveryStore.Pending, _ outcome: DeliveryOutcome, deferUntil: Date? = nil) {
        inFlight.withLock { $0[pending.id]?.sending = false }
        finished.withLock { state in
            state.outcomes.append((pending, outcome))
            if let deferUntil { state.deferrals[pending.target] = deferUntil }
        }
        recorderBell.signal()
    }

    /// The time deliveries are due by: now, unless issue events received before now are still
    /// waiting to be applied — then the time up to which they were applied (at most
    /// ``maxBacklogWait`` behind). A held opening is sent only once the events that arrived during
    /// its hold are in (the one that groups or resolves it withdraws it), even when a storm has
    /// put the notifier a few seconds behind.
    func dueNow() -> Date {
        let now = Date()
        return max(min(now, caughtUp()), now.addingTimeInterval(-Self.maxBacklogWait))
    }

    /// Starts what is due and fits; returns how many started.
    private func dispatchDue(into group: inout DiscardingTaskGroup) async -> Int {
        let busy = inFlight.withLock { $0 }
        guard var slots = Slots(busy: busy, concurrency: concurrency, perEndpoint: perEndpoint) else { return 0 }
        let now = dueNow()
        let due: [DeliveryStore.Pending]
        do {
            due = try readDue(busy: busy, slots: slots, now: now)
        } catch {
            logger.error("could not read the outbox", metadata: ["error": "\(error)"])
            return 0
        }
        let starting = await admit(due, slots: &slots, now: now)
        let marked = await markSending(starting)
        for start in starting where marked.contains(start.pending.id) {
            group.addTask { await self.send(start) }
        }
        return marked.count
    }

    /// How many deliveries may start now, overall and per channel.
    private struct Slots {
        /// Deliveries that may start in this round.
        let free: Int
        /// Deliveries per channel counted against `perEndpoint` (sending now, or full when too many wait unrecorded).
        var perTarget: [String: Int] = [:]

        /// Nil when no delivery may start. A slot frees when the answer comes, not when it is
        /// recorded, so sending goes on while a batch is written; but at most as many again may wait
        /// unrecorded, which bounds what a crash can make us send twice (same delivery id) to
        /// 2 × `perEndpoint` per endpoint.
        init?(busy: [String: (target: String, sending: Bool)], concurrency: Int, perEndpoint: Int) {
            let sendingNow = busy.values.filter(\.sending)
            free = min(concurrency - sendingNow.count, 2 * concurrency - busy.count)
            guard free > 0 else { return nil }
            var heldPerTarget: [String: Int] = [:]
            for entry in sendingNow { perTarget[entry.target, default: 0] += 1 }
            for entry in busy.values { heldPerTarget[entry.target, default: 0] += 1 }
            for (target, held) in heldPerTarget where held >= 2 * perEndpoint { perTarget[target] = perEndpoint }
        }
    }

    /// The due rows worth trying this round: each channel with room is asked for its own oldest due
    /// rows (an index seek each); rows of channels no longer in the contacts are looked for once a second.
    private func readDue(busy: [String: (target: String, sending: Bool)], slots: Slots, now: Date) throws -> [DeliveryStore.Pending] {
        var due: [DeliveryStore.Pending] = []
        for target in channelIDs where due.count < slots.free + 16 {
            let room = perEndpoint - slots.perTarget[target, default: 0]
            guard room > 0 else { continue }
            let mine = Set(busy.filter { $0.value.target == target }.keys)
            due += try store.due(target: target, now: now, excludingIDs: mine, limit: room)
        }
        if orphanCheck.withLock({ now >= $0 }) {
            orphanCheck.withLock { $0 = now.addingTimeInterval(1) }
            due += try store.due(now: now, excludingTargets: Set(channelIDs), excludingIDs: Set(busy.keys), limit: 16)
        }
        return due
    }

    /// A delivery about to be sent, with its channel's sender and settings.
    private struct Start: Sendable {
        let pending: DeliveryStore.Pending
        let sender: any DeliveryChannel
        let channel: ChannelConfig
    }

    /// Picks from `due` what fits the slots, in flight from now: a delivery whose channel left the
    /// contacts fails for good, and a channel whose breaker is open is deferred (its rows wait).
    private func admit(_ due: [DeliveryStore.Pending], slots: inout Slots, now: Date) async -> [Start] {
        var starting: [Start] = []
        let book = contacts.current
        for pending in due where starting.count < slots.free {
            if slots.perTarget[pending.target, default: 0] >= perEndpoint { continue }
            guard let found = book.channel(pending.target), let sender = channels[found.channel.type] else {
                inFlight.withLock { $0[pending.id] = (pending.target, true) }
                finish(pending, .failed(status: nil, error: "channel \(pending.target) is no longer in the contacts file", permanent: true))
                continue
            }
            if case let .wait(until) = breakers.admit(pending.target, now: now) {
                try? await store.deferTarget(pending.target, until: until)
                slots.perTarget[pending.target] = perEndpoint
                continue
            }
            slots.perTarget[pending.target, default: 0] += 1
            inFlight.withLock { $0[pending.id] = (pending.target, true) }
            starting.append(Start(pending: pending, sender: sender, channel: found.channel))
        }
        return starting
    }

    /// Marks the deliveries `sending` in the store before any network call (one transaction per
    /// round), so whoever leads next knows what may have gone out; a fenced-off instance marks
    /// nothing and sends nothing. Those not marked leave `inFlight`. Returns the ids marked.
    private func markSending(_ starting: [Start]) async -> Set<String> {
        let marked: Set<String>
        do {
            marked = try await store.markSending(starting.map(\.pending.id))
        } catch {
            logger.error("could not mark deliveries as sending", metadata: ["count": "\(starting.count)", "error": "\(error)"])
            marked = []
        }
        inFlight.withLock { busy in for entry in starting where !marked.contains(entry.pending.id) { busy.removeValue(forKey: entry.pending.id) } }
        return marked
    }

    /// Sends one delivery and hands its outcome to the recorder, opening the channel's breaker when
    /// the outcome trips it.
    private func send(_ start: Start) async {
        let pending = start.pending
        let outcome: DeliveryOutcome
        if let body = try? store.body(of: pending.id) {
            outcome = await start.sender.send(body, via: start.channel, deliveryID: pending.id)
        } else {
            outcome = .failed(status: nil, error: "could not read the stored payload", permanent: false)
        }
        if Task.isCancelled { return } // stopping: the row stays `sending` and is sent again by the next leader
        var deferUntil: Date?
        health.record(pending.target, outcome)
        if breakers.record(pending.target, outcome) {
            deferUntil = Date().addingTimeInterval(breakers.coolDown)
            logger.warning("circuit breaker opened", metadata: ["channel": "\(pending.target)", "until": "\(deferUntil!)"])
        }
        finish(pending, outcome, deferUntil: deferUntil)
    }
}
