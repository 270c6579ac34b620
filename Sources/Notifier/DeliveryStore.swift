import CCTVContract
import Foundation
import Logging
import ServiceRuntime
import Synchronization

/// How notifications are rendered and timed; from the settings.
package struct NotificationPolicy: Sendable {
    /// The gateway's public URL, linked from every message.
    package var dashboard: String
    /// The zone times are shown in.
    package var timeZone: TimeZone
    /// Seconds an incident may stay unacknowledged before the escalation contact is told; 0 = never.
    package var escalateAfter: TimeInterval
    /// Seconds between reminders while an incident stays open and unacknowledged; 0 = none.
    package var remindEvery: TimeInterval

    package init(dashboard: String, timeZone: TimeZone = TimeZone(identifier: "Asia/Seoul") ?? .gmt, escalateAfter: TimeInterval = 0, remindEvery: TimeInterval = 0) {
        self.dashboard = dashboard; self.timeZone = timeZone; self.escalateAfter = escalateAfter; self.remindEvery = remindEvery
    }
}

/// One row of the delivery history.
package struct DeliveryHistoryEntry: Codable, Sendable, Equatable {
    package var id: String
    package var issueID: String
    package var cameraID: String
    package var event: String
    package var team: String
    /// Channel kind (`slack`, `email`, …).
    package var channel: String
    /// Channel id.
    package var target: String
    /// Where it pointed, without secrets.
    package var display: String
    /// `pending`, `sending` (handed to the channel, outcome not yet recorded), `delivered`,
    /// `failed`, or `withdrawn` (a held notice dropped before it went out: the incident was
    /// grouped, silenced, resolved or replaced in its hold).
    package var state: String
    package var attempts: Int
    package var httpStatus: Int?
    package var lastError: String?
    package var createdAt: Date
    package var finishedAt: Date?
}

/// The notifier's durable outbox and delivery history, in SQLite (one box) or in schema `notifier`
/// of a shared PostgreSQL. Delivery rows are written in the same transaction that acknowledges
/// the issue event (`notification.ack` via the event outbox), keyed by (event id, channel id) so a
/// replayed event adds nothing, and only ever move forward: pending → sending → delivered | failed
/// (or back to pending for a retry), or pending → withdrawn for a held notice never attempted.
/// Escalation and reminder timers live here too (absolute times), so a restart loses none.
///
/// With a ``LeadershipFence`` in ``use(_:)`` every write transaction first checks that this
/// instance still leads the notifier: an old leader that was paused writes nothing after losing.
package final class DeliveryStore: Sendable {
    package let database: any SQLDatabase
    /// Every write is fenced by the notifier's leadership (``use(_:)``).
    let writes = FencedWrites()

    /// A delivery waiting to be attempted.
    package struct Pending: Sendable {
        package var id: String
        /// Channel id: the breaker and dedup key.
        package var target: String
        package var channel: String
        package var team: String
        package var display: String
        package var attempts: Int
        package var issueID: String
        package var cameraID: String
        package var event: String
    }

    /// Opens `{dataDir}/notifier.sqlite`.
    package convenience init(dataDir: String) throws {
        try self.init(location: .sqlite(directory: dataDir), logger: Logger(label: "cctv-out.notifier"))
    }

    /// Opens the notifier's database at `location` (schema `notifier` in PostgreSQL) and migrates it.
    /// - Throws: ``StoreError`` naming the server or the failed migration.
    package init(location: DatabaseLocation, logger: Logger) throws {
        database = try location.open(service: "notifier", sqlite: Self.migrator, postgres: Self.postgresMigrations, logger: logger)
    }

    /// Writes from now on only while `fence` holds (``LeadershipFence/unfenced`` on one box).
    package func use(_ fence: LeadershipFence) { writes.use(fence) }

    /// The fence in force (the outbox checks it in its own writes).
    package var currentFence: LeadershipFence { writes.current }

    /// The refusal of the first write fenced off since ``use(_:)``, if any: this instance no longer
    /// leads, whether or not its lease noticed yet.
    package var fencedOut: LeadershipError? { writes.fencedOut }

    /// One write transaction, fenced: nothing is written by an instance that no longer leads.
    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try writes.write(on: database, body)
    }

    /// One write transaction off the cooperative pool, fenced.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await writes.write(on: database, body)
    }

    /// Queues the page about a failing channel to `recipients` (once per channel and failing
    /// streak: the event id carries the streak's start). Returns how many deliveries were queued.
    @discardableResult
    package func queueChannelAlarm(_ notice: IssueRecord, recipients: [Recipient], policy: NotificationPolicy, now: Date = Date()) throws -> Int {
        try write { db in
            try recipients.reduce(0) { added, recipient in
                let id = UUID().uuidString
                let body = ChannelPayload.render(recipient, event: .channelFailing, issue: notice, dashboard: policy.dashboard, timeZone: policy.timeZone,
                                                 deliveryID: id, now: now)
                return added + (try Self.insertDelivery(db, id: id, eventID: notice.id, issueID: notice.id, cameraID: notice.cameraID,
                                                        event: NotificationEvent.channelFailing.rawValue, recipient: recipient, body: body, due: now, now: now))
            }
        }
    }

    /// Inserts one pending delivery unless (event id, channel) already has one; returns 1 if added.
    static func insertDelivery(_ db: any SQLConnection, id: String, eventID: String, issueID: String, cameraID: String, event: String,
                               recipient: Recipient, body: Data, due: Date, now: Date) throws -> Int {
        try db.execute("""
            INSERT INTO delivery (id, eventID, issueID, cameraID, event, channel, target, team, display, body, state, attempts, nextAttemptAt, createdAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING
            """, id, eventID, issueID, cameraID, event, recipient.channel.type.rawValue, recipient.channel.id, recipient.team.id,
            recipient.channel.displayTarget, body, due, now)
    }

    /// One issue event as it arrived.
    package struct IssueEvent: Sendable {
        package var eventID: String
        package var type: EventType
        package var issue: IssueRecord
        package init(eventID: String, type: EventType, issue: IssueRecord) {
            self.eventID = eventID; self.type = type; self.issue = issue
        }
    }

    /// Handles a batch of issue events in one transaction (on the database's own thread, off the
    /// cooperative pool): for each, records the incident's latest state and timers, queues the
    /// deliveries ``NotificationDecision`` calls for (a redelivered event adds nothing), and queues
    /// the `notification.ack` — so an acknowledgement leaves only once its deliveries are committed.
    /// Returns how many new deliveries were queued.
    @discardableResult
    package func accept(_ events: [IssueEvent], routing: NotificationRouting, policy: NotificationPolicy, topics: Topics, now: Date = Date()) async throws -> Int {
        try await write { db in
            try events.reduce(0) { $0 + (try self.accept(db, $1, routing: routing, policy: policy, topics: topics, now: now)) }
        }
    }

    /// One issue event in its own transaction (see ``accept(_:routing:policy:topics:now:)``).
    @discardableResult
    package func accept(eventID: String, type: EventType, issue: IssueRecord, routing: NotificationRouting, policy: NotificationPolicy,
                       topics: Topics, now: Date = Date()) throws -> Int {
        try write { db in
            try accept(db, IssueEvent(eventID: eventID, type: type, issue: issue), routing: routing, policy: policy, topics: topics, now: now)
        }
    }

    private func accept(_ db: any SQLConnection, _ incoming: IssueEvent, routing: NotificationRouting, policy: NotificationPolicy, topics: Topics,
                        now: Date) throws -> Int {
        let issue = incoming.issue
        let event: NotificationEvent = switch incoming.type {
        case .issueOpened: .opened
        case .issueResolved: .resolved
        default: .updated
        }
        let teamID = routing.responsibleTeam(for: issue)?.id ?? ""
        let watch = try db.row("SELECT version, escalateAt, nextRemindAt, issue FROM watch WHERE issueID = ?", issue.id)
        let previous = watch?.data("issue").flatMap { try? ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        let history = try self.history(db, issueID: issue.id, now: now, previous: previous)
        let decision = NotificationDecision.decide(event, issue: issue, history: history, routing: routing, now: now)

        if watch == nil || issue.version >= (watch?.int("version") ?? 0) {
            let open = event != .resolved && issue.state == .open
            let escalateAt: Date?
            let nextRemindAt: Date?
            if !open {
                (escalateAt, nextRemindAt) = (nil, nil)
            } else if let watch {
                (escalateAt, nextRemindAt) = (watch.date("escalateAt"), watch.date("nextRemindAt"))
            } else {
                escalateAt = policy.escalateAfter > 0 ? issue.openedAt.addingTimeInterval(policy.escalateAfter) : nil
                nextRemindAt = policy.remindEvery > 0 ? issue.openedAt.addingTimeInterval(policy.remindEvery) : nil
            }
            // The incident as JSON text: PostgreSQL's retention reads fields of it.
            let json = String(decoding: try ContractCodec.encodeValue(issue), as: UTF8.self)
            try db.execute("""
                INSERT INTO watch (issueID, issue, version, kind, team, state, escalateAt, nextRemindAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(issueID) DO UPDATE SET issue = excluded.issue, version = excluded.version, kind = excluded.kind,
                  team = excluded.team, state = excluded.state, escalateAt = excluded.escalateAt, nextRemindAt = excluded.nextRemindAt
                """, issue.id, json, issue.version, issue.kind.rawValue, teamID,
                event == .resolved ? IssueState.resolved.rawValue : issue.state.rawValue, escalateAt, nextRemindAt)
        }
        if decision.withdrawHeld { try withdrawHeld(db, issueID: issue.id, held: history.held, now: now) }
        if decision.refreshHeld { try refreshHeld(db, issue: issue, routing: routing, policy: policy, now: now) }
        let added = try queue(db, eventID: incoming.eventID, decision: decision, issue: issue, policy: policy, topics: topics, now: now)
        let ack = Envelope(type: .notificationAck, source: "notifier", data: NotificationAck(eventID: incoming.eventID, issueID: issue.id))
        try EventOutbox.enqueue(db, topic: topics.notificationAcks, payload: ContractCodec.encode(ack), retain: false)
        return added
    }

    /// What the notifier already did about an incident: who was told, whose notice is still held.
    private func history(_ db: any SQLConnection, issueID: String, now: Date, previous: IssueRecord?) throws -> NotificationHistory {
        let told = Set(try db.rows("SELECT target FROM told WHERE issueID = ?", issueID).compactMap { $0.string("target") })
        let held = Set(try db.rows("""
            SELECT DISTINCT target FROM delivery WHERE issueID = ? AND state = 'pending' AND attempts = 0 AND nextAttemptAt > ? AND event IN ('opened','updated')
            """, issueID, now).compactMap { $0.string("target") })
        guard !held.isEmpty else { return NotificationHistory(previous: previous, told: told) }
        // A channel counts as told once a notice to it went out (or is going); a held one is not yet.
        let sent = Set(try db.rows("""
            SELECT DISTINCT target FROM delivery WHERE issueID = ? AND state IN ('pending','sending','delivered','failed') AND event != 'resolved'
              AND NOT (state = 'pending' AND attempts = 0 AND nextAttemptAt > ?)
            """, issueID, now).compactMap { $0.string("target") })
        let heldOnly = held.subtracting(sent)
        return NotificationHistory(previous: previous, told: told.subtracting(heldOnly), held: heldOnly)
    }

    /// Withdraws an incident's held notices (never attempted): they stay in the history as
    /// `withdrawn`, and their channels no longer count as told.
    private func withdrawHeld(_ db: any SQLConnection, issueID: String, held: Set<String>, now: Date) throws {
        try db.execute("""
            UPDATE delivery SET state = 'withdrawn', finishedAt = ? WHERE issueID = ? AND state = 'pending' AND attempts = 0 AND nextAttemptAt > ?
              AND event IN ('opened','updated')
            """, now, issueID, now)
        for target in held {
            try db.execute("DELETE FROM told WHERE issueID = ? AND target = ?", issueID, target)
        }
    }

    /// Renders an incident's held notices again from its latest version (a site notice held while
    /// more cameras join says how many are down when it goes out, not when it was queued).
    private func refreshHeld(_ db: any SQLConnection, issue: IssueRecord, routing: NotificationRouting, policy: NotificationPolicy, now: Date) throws {
        let rows = try db.rows("SELECT id, target, event FROM delivery WHERE issueID = ? AND state = 'pending' AND attempts = 0 AND nextAttemptAt > ?",
                               issue.id, now)
        for row in rows {
            guard let id = row.string("id"), let found = routing.book.channel(row.string("target") ?? ""),
                  let event = NotificationEvent(rawValue: row.string("event") ?? "") else { continue }
            let body = ChannelPayload.render(Recipient(team: found.team, channel: found.channel), event: event, issue: issue,
                                             dashboard: policy.dashboard, timeZone: policy.timeZone, deliveryID: id, now: now)
            try db.execute("UPDATE delivery SET body = ? WHERE id = ?", body, id)
        }
    }

    /// Inserts the deliveries `decision` calls for, inside the caller's transaction.
    private func queue(_ db: any SQLConnection, eventID: String, decision: NotificationDecision, issue: IssueRecord, policy: NotificationPolicy,
                       topics: Topics, now: Date) throws -> Int {
        var added = 0
        for recipient in decision.recipients {
            let id = UUID().uuidString
            let body = ChannelPayload.render(recipient, event: decision.event, issue: issue, change: decision.change, dashboard: policy.dashboard,
                                             timeZone: policy.timeZone, deliveryID: id, now: now)
            added += try Self.insertDelivery(db, id: id, eventID: eventID, issueID: issue.id, cameraID: issue.cameraID, event: decision.event.rawValue,
                                             recipient: recipient, body: body, due: decision.holdUntil ?? now, now: now)
            if decision.event != .resolved {
                try db.execute("INSERT INTO told (issueID, target) VALUES (?, ?) ON CONFLICT DO NOTHING", issue.id, recipient.channel.id)
            }
        }
        // A told channel removed from the contacts file since: recorded as failed and surfaced,
        // never silently dropped.
        for channelID in decision.missing {
            let id = UUID().uuidString
            let error = "channel \(channelID) is no longer in the contacts file"
            let inserted = try db.execute("""
                INSERT INTO delivery (id, eventID, issueID, cameraID, event, channel, target, team, display, body, state, attempts, nextAttemptAt, lastError, createdAt, finishedAt)
                VALUES (?, ?, ?, ?, ?, 'unknown', ?, '', ?, ?, 'failed', 0, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """, id, eventID, issue.id, issue.cameraID, decision.event.rawValue, channelID, channelID, Data(), now, error, now, now)
            if inserted > 0 {
                let record = NotificationRecord(id: id, issueID: issue.id, cameraID: issue.cameraID, event: decision.event.rawValue, channel: "unknown",
                                                target: channelID, delivered: false, attempts: 0, error: error, at: now)
                try EventOutbox.enqueue(db, topic: topics.notificationFailed, payload: ContractCodec.encode(Envelope(type: .notificationFailed, source: "notifier", data: record)), retain: false)
            }
        }
        return added
    }

    /// Fires every escalation and reminder timer that is due: queues its deliveries and moves the
    /// timer on, in one transaction. Returns how many deliveries were queued.
    @discardableResult
    package func fireTimers(routing: NotificationRouting, policy: NotificationPolicy, topics: Topics, now: Date = Date()) async throws -> Int {
        try await write { db in
            let rows = try db.rows("""
                SELECT issueID, issue, escalateAt, nextRemindAt, reminders FROM watch
                WHERE state = 'OPEN' AND ((escalateAt IS NOT NULL AND escalateAt <= ?) OR (nextRemindAt IS NOT NULL AND nextRemindAt <= ?)) LIMIT 500
                """, now, now)
            var added = 0
            for row in rows {
                guard let issueID = row.string("issueID") else { continue }
                guard let json = row.data("issue"), let issue = try? ContractCodec.decodeValue(IssueRecord.self, from: json) else {
                    try db.execute("UPDATE watch SET escalateAt = NULL, nextRemindAt = NULL WHERE issueID = ?", issueID)
                    continue
                }
                let history = try self.history(db, issueID: issueID, now: now, previous: issue)
                if let escalateAt = row.date("escalateAt"), escalateAt <= now {
                    let decision = NotificationDecision.decide(.escalated, issue: issue, history: history, routing: routing, now: now)
                    added += try self.queue(db, eventID: "escalation:\(issueID)", decision: decision, issue: issue, policy: policy, topics: topics, now: now)
                    try db.execute("UPDATE watch SET escalateAt = NULL WHERE issueID = ?", issueID)
                }
                if let remindAt = row.date("nextRemindAt"), remindAt <= now {
                    let count = (row.int("reminders") ?? 0) + 1
                    let decision = NotificationDecision.decide(.reminder, issue: issue, history: history, routing: routing, now: now)
                    added += try self.queue(db, eventID: "reminder:\(issueID):\(count)", decision: decision, issue: issue, policy: policy, topics: topics, now: now)
                    // From now, not from the missed time: a notifier that was down sends one reminder, not a burst.
                    let next: Date? = policy.remindEvery > 0 ? now.addingTimeInterval(policy.remindEvery) : nil
                    try db.execute("UPDATE watch SET reminders = ?, nextRemindAt = ? WHERE issueID = ?", count, next, issueID)
                }
            }
            return added
        }
    }

    /// When the next escalation or reminder is due, if any.
    package func nextTimer() throws -> Date? {
        try database.read { db in
            let row = try db.row("SELECT MIN(escalateAt) AS escalate, MIN(nextRemindAt) AS remind FROM watch WHERE state = 'OPEN'")
            return [row?.date("escalate"), row?.date("remind")].compactMap { $0 }.min()
        }
    }
}
