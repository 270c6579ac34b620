import CCTVContract
import Foundation
import GRDB
import ServiceRuntime

/// How notifications are rendered and timed; from the settings.
public struct NotificationPolicy: Sendable {
    /// The gateway's public URL, linked from every message.
    public var dashboard: String
    /// The zone times are shown in.
    public var timeZone: TimeZone
    /// Seconds an incident may stay unacknowledged before the escalation contact is told; 0 = never.
    public var escalateAfter: TimeInterval
    /// Seconds between reminders while an incident stays open and unacknowledged; 0 = none.
    public var remindEvery: TimeInterval

    public init(dashboard: String, timeZone: TimeZone = TimeZone(identifier: "Asia/Seoul") ?? .gmt, escalateAfter: TimeInterval = 0, remindEvery: TimeInterval = 0) {
        self.dashboard = dashboard; self.timeZone = timeZone; self.escalateAfter = escalateAfter; self.remindEvery = remindEvery
    }
}

/// One row of the delivery history.
public struct DeliveryHistoryEntry: Codable, Sendable, Equatable {
    public var id: String
    public var issueID: String
    public var cameraID: String
    public var event: String
    public var team: String
    /// Channel kind (`slack`, `email`, …).
    public var channel: String
    /// Channel id.
    public var target: String
    /// Where it pointed, without secrets.
    public var display: String
    /// `pending`, `delivered`, `failed`, or `withdrawn` (a held notice dropped before it went out:
    /// the incident was grouped, silenced, resolved or replaced in its hold).
    public var state: String
    public var attempts: Int
    public var httpStatus: Int?
    public var lastError: String?
    public var createdAt: Date
    public var finishedAt: Date?
}

/// The notifier's durable outbox and delivery history. Delivery rows are written in the same
/// transaction that acknowledges the issue event (`notification.ack` via the event outbox),
/// deduplicated by (event id, channel id), and only ever move forward: pending → delivered | failed,
/// or pending → withdrawn for a held notice that was never attempted.
/// Escalation and reminder timers live here too (absolute times), so a restart loses none.
public final class DeliveryStore: Sendable {
    public let database: DatabasePool

    /// A delivery waiting to be attempted.
    public struct Pending: Sendable {
        public var id: String
        /// Channel id: the breaker and dedup key.
        public var target: String
        public var channel: String
        public var team: String
        public var display: String
        public var attempts: Int
        public var issueID: String
        public var cameraID: String
        public var event: String
    }

    /// A timer that fired: escalate or remind about an incident.
    struct DueTimer {
        var issue: IssueRecord
        var event: NotificationEvent
        var eventID: String
    }

    public init(dataDir: String) throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("notifier v1") { db in
            try db.create(table: "delivery") { t in
                t.primaryKey("id", .text)
                t.column("eventID", .text).notNull()
                t.column("issueID", .text).notNull().indexed()
                t.column("cameraID", .text).notNull().indexed()
                t.column("event", .text).notNull()
                t.column("channel", .text).notNull()
                t.column("target", .text).notNull()
                t.column("body", .blob).notNull()
                t.column("state", .text).notNull().indexed()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("nextAttemptAt", .datetime).notNull()
                t.column("httpStatus", .integer)
                t.column("lastError", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
                t.uniqueKey(["eventID", "target"])
            }
            // Everyone told about an incident, so its recovery reaches each of them.
            try db.create(table: "told") { t in
                t.column("issueID", .text).notNull()
                t.column("target", .text).notNull()
                t.primaryKey(["issueID", "target"])
            }
        }
        EventOutbox.register(in: &migrator)
        migrator.registerMigration("notifier v2: teams, channels, timers") { db in
            // `target` now holds the channel id from the contacts file (unique with the event id,
            // so dedup is per channel); `display` is where it points, without secrets.
            try db.alter(table: "delivery") { t in
                t.add(column: "team", .text).notNull().defaults(to: "")
                t.add(column: "display", .text).notNull().defaults(to: "")
            }
            try db.create(index: "delivery_due", on: "delivery", columns: ["state", "nextAttemptAt"])
            // The latest version of every incident seen, with its escalation and reminder timers.
            try db.create(table: "watch") { t in
                t.primaryKey("issueID", .text)
                t.column("issue", .blob).notNull()
                t.column("version", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("team", .text).notNull()
                t.column("state", .text).notNull()
                t.column("escalateAt", .datetime)
                t.column("nextRemindAt", .datetime)
                t.column("reminders", .integer).notNull().defaults(to: 0)
            }
            try db.create(index: "watch_escalate", on: "watch", columns: ["escalateAt"])
            try db.create(index: "watch_remind", on: "watch", columns: ["nextRemindAt"])
        }
        Self.registerSelfWatch(in: &migrator)
        migrator.registerMigration("notifier v3: due per channel") { db in
            // The dispatcher asks each channel with room for its oldest due rows: an index seek,
            // where "everything due except the busy channels" scanned every pending row while the
            // one busy endpoint held them all (10,000 rows read per dispatch round in a storm).
            try db.create(index: "delivery_due_target", on: "delivery", columns: ["state", "target", "nextAttemptAt"])
        }
        migrator.registerMigration("notifier v4: contacts stored by the notifier") { db in
            // The contacts in force (edited in the dashboard, or imported from the file / settings
            // whose content hash is `sourceHash`, so a changed file is imported again at start).
            try db.create(table: "contacts") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("json", .blob).notNull()
                t.column("sourceHash", .text).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.column("updatedBy", .text)
            }
        }
        database = try ServiceDatabase.open(dataDir: dataDir, service: "notifier", migrator: migrator)
    }

    /// The stored contacts and the hash of the file/settings they were last imported from.
    public func storedContacts() throws -> (book: ContactBook, sourceHash: String)? {
        try database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT json, sourceHash FROM contacts WHERE id = 1") else { return nil }
            guard let book = try? JSONDecoder().decode(ContactBook.self, from: row["json"] as Data) else { return nil }
            return (book, row["sourceHash"])
        }
    }

    /// Stores the contacts in force.
    public func saveContacts(_ book: ContactBook, sourceHash: String, by actor: String?) throws {
        let data = try JSONEncoder().encode(book)
        try database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO contacts (id, json, sourceHash, updatedAt, updatedBy) VALUES (1, ?, ?, ?, ?)",
                           arguments: [data, sourceHash, Date(), actor])
        }
    }

    /// Queues the page about a failing channel to `recipients` (once per channel and failing
    /// streak: the event id carries the streak's start). Returns how many deliveries were queued.
    @discardableResult
    public func queueChannelAlarm(_ notice: IssueRecord, recipients: [Recipient], policy: NotificationPolicy, now: Date = Date()) throws -> Int {
        try database.write { db in
            var added = 0
            for recipient in recipients {
                let id = UUID().uuidString
                let body = ChannelPayload.render(recipient, event: .channelFailing, issue: notice, dashboard: policy.dashboard, timeZone: policy.timeZone, deliveryID: id, now: now)
                try db.execute(sql: """
                    INSERT OR IGNORE INTO delivery (id, eventID, issueID, cameraID, event, channel, target, team, display, body, state, attempts, nextAttemptAt, createdAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
                    """, arguments: [id, notice.id, notice.id, notice.cameraID, NotificationEvent.channelFailing.rawValue, recipient.channel.type.rawValue,
                                     recipient.channel.id, recipient.team.id, recipient.channel.displayTarget, body, now, now])
                added += db.changesCount
            }
            return added
        }
    }

    /// One issue event as it arrived.
    public struct IssueEvent: Sendable {
        public var eventID: String
        public var type: EventType
        public var issue: IssueRecord
        public init(eventID: String, type: EventType, issue: IssueRecord) {
            self.eventID = eventID; self.type = type; self.issue = issue
        }
    }

    /// Handles a batch of issue events in one transaction (on GRDB's writer queue, off the
    /// cooperative pool): for each, records the incident's latest state and timers, queues the
    /// deliveries ``NotificationDecision`` calls for (a redelivered event adds nothing), and queues
    /// the `notification.ack` — so an acknowledgement leaves only once its deliveries are committed.
    /// Returns how many new deliveries were queued.
    @discardableResult
    public func accept(_ events: [IssueEvent], routing: NotificationRouting, policy: NotificationPolicy, topics: Topics, now: Date = Date()) async throws -> Int {
        try await database.write { db in
            try events.reduce(0) { $0 + (try self.accept(db, $1, routing: routing, policy: policy, topics: topics, now: now)) }
        }
    }

    /// One issue event in its own transaction (see ``accept(_:routing:policy:topics:now:)``).
    @discardableResult
    public func accept(eventID: String, type: EventType, issue: IssueRecord, routing: NotificationRouting, policy: NotificationPolicy,
                       topics: Topics, now: Date = Date()) throws -> Int {
        try database.write { db in
            try accept(db, IssueEvent(eventID: eventID, type: type, issue: issue), routing: routing, policy: policy, topics: topics, now: now)
        }
    }

    private func accept(_ db: Database, _ incoming: IssueEvent, routing: NotificationRouting, policy: NotificationPolicy, topics: Topics, now: Date) throws -> Int {
        let issue = incoming.issue
        let event: NotificationEvent = switch incoming.type {
        case .issueOpened: .opened
        case .issueResolved: .resolved
        default: .updated
        }
        let teamID = routing.responsibleTeam(for: issue)?.id ?? ""
        let watch = try Row.fetchOne(db, sql: "SELECT version, escalateAt, nextRemindAt, issue FROM watch WHERE issueID = ?", arguments: [issue.id])
        let previous = (watch?["issue"] as Data?).flatMap { try? ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        let history = try self.history(db, issueID: issue.id, now: now, previous: previous)
        let decision = NotificationDecision.decide(event, issue: issue, history: history, routing: routing, now: now)

        if watch == nil || issue.version >= (watch?["version"] as Int? ?? 0) {
            let open = event != .resolved && issue.state == .open
            let escalateAt: Date?
            let nextRemindAt: Date?
            if !open {
                (escalateAt, nextRemindAt) = (nil, nil)
            } else if let watch {
                (escalateAt, nextRemindAt) = (watch["escalateAt"], watch["nextRemindAt"])
            } else {
                escalateAt = policy.escalateAfter > 0 ? issue.openedAt.addingTimeInterval(policy.escalateAfter) : nil
                nextRemindAt = policy.remindEvery > 0 ? issue.openedAt.addingTimeInterval(policy.remindEvery) : nil
            }
            try db.execute(sql: """
                INSERT INTO watch (issueID, issue, version, kind, team, state, escalateAt, nextRemindAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(issueID) DO UPDATE SET issue = excluded.issue, version = excluded.version, kind = excluded.kind,
                  team = excluded.team, state = excluded.state, escalateAt = excluded.escalateAt, nextRemindAt = excluded.nextRemindAt
                """, arguments: [issue.id, try ContractCodec.encodeValue(issue), issue.version, issue.kind.rawValue, teamID,
                                 event == .resolved ? IssueState.resolved.rawValue : issue.state.rawValue, escalateAt, nextRemindAt])
        }
        if decision.withdrawHeld { try withdrawHeld(db, issueID: issue.id, held: history.held, now: now) }
        if decision.refreshHeld { try refreshHeld(db, issue: issue, routing: routing, policy: policy, now: now) }
        let added = try queue(db, eventID: incoming.eventID, decision: decision, issue: issue, policy: policy, topics: topics, now: now)
        let ack = Envelope(type: .notificationAck, source: "notifier", data: NotificationAck(eventID: incoming.eventID, issueID: issue.id))
        try EventOutbox.enqueue(db, topic: topics.notificationAcks, payload: ContractCodec.encode(ack), retain: false)
        return added
    }

    /// What the notifier already did about an incident: who was told, whose notice is still held.
    private func history(_ db: Database, issueID: String, now: Date, previous: IssueRecord?) throws -> NotificationHistory {
        let told = Set(try String.fetchAll(db, sql: "SELECT target FROM told WHERE issueID = ?", arguments: [issueID]))
        let held = Set(try String.fetchAll(db, sql: """
            SELECT DISTINCT target FROM delivery WHERE issueID = ? AND state = 'pending' AND attempts = 0 AND nextAttemptAt > ? AND event IN ('opened','updated')
            """, arguments: [issueID, now]))
        guard !held.isEmpty else { return NotificationHistory(previous: previous, told: told) }
        // A channel counts as told once a notice to it went out (or is going); a held one is not yet.
        let sent = Set(try String.fetchAll(db, sql: """
            SELECT DISTINCT target FROM delivery WHERE issueID = ? AND state IN ('pending','delivered','failed') AND event != 'resolved'
              AND NOT (state = 'pending' AND attempts = 0 AND nextAttemptAt > ?)
            """, arguments: [issueID, now]))
        let heldOnly = held.subtracting(sent)
        return NotificationHistory(previous: previous, told: told.subtracting(heldOnly), held: heldOnly)
    }

    /// Withdraws an incident's held notices (never attempted): they stay in the history as
    /// `withdrawn`, and their channels no longer count as told.
    private func withdrawHeld(_ db: Database, issueID: String, held: Set<String>, now: Date) throws {
        try db.execute(sql: """
            UPDATE delivery SET state = 'withdrawn', finishedAt = ? WHERE issueID = ? AND state = 'pending' AND attempts = 0 AND nextAttemptAt > ?
              AND event IN ('opened','updated')
            """, arguments: [now, issueID, now])
        for target in held {
            try db.execute(sql: "DELETE FROM told WHERE issueID = ? AND target = ?", arguments: [issueID, target])
        }
    }

    /// Renders an incident's held notices again from its latest version (a site notice held while
    /// more cameras join says how many are down when it goes out, not when it was queued).
    private func refreshHeld(_ db: Database, issue: IssueRecord, routing: NotificationRouting, policy: NotificationPolicy, now: Date) throws {
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, target, event FROM delivery WHERE issueID = ? AND state = 'pending' AND attempts = 0 AND nextAttemptAt > ?
            """, arguments: [issue.id, now])
        for row in rows {
            guard let found = routing.book.channel(row["target"]), let event = NotificationEvent(rawValue: row["event"]) else { continue }
            let id: String = row["id"]
            let body = ChannelPayload.render(Recipient(team: found.team, channel: found.channel), event: event, issue: issue,
                                             dashboard: policy.dashboard, timeZone: policy.timeZone, deliveryID: id, now: now)
            try db.execute(sql: "UPDATE delivery SET body = ? WHERE id = ?", arguments: [body, id])
        }
    }

    /// Inserts the deliveries `decision` calls for, inside the caller's transaction.
    private func queue(_ db: Database, eventID: String, decision: NotificationDecision, issue: IssueRecord, policy: NotificationPolicy,
                       topics: Topics, now: Date) throws -> Int {
        var added = 0
        for recipient in decision.recipients {
            let id = UUID().uuidString
            let body = ChannelPayload.render(recipient, event: decision.event, issue: issue, change: decision.change, dashboard: policy.dashboard,
                                             timeZone: policy.timeZone, deliveryID: id, now: now)
            try db.execute(sql: """
                INSERT OR IGNORE INTO delivery (id, eventID, issueID, cameraID, event, channel, target, team, display, body, state, attempts, nextAttemptAt, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
                """, arguments: [id, eventID, issue.id, issue.cameraID, decision.event.rawValue, recipient.channel.type.rawValue, recipient.channel.id,
                                 recipient.team.id, recipient.channel.displayTarget, body, decision.holdUntil ?? now, now])
            added += db.changesCount
            if decision.event != .resolved {
                try db.execute(sql: "INSERT OR IGNORE INTO told (issueID, target) VALUES (?, ?)", arguments: [issue.id, recipient.channel.id])
            }
        }
        // A told channel removed from the contacts file since: recorded as failed and surfaced,
        // never silently dropped.
        for channelID in decision.missing {
            let id = UUID().uuidString
            let error = "channel \(channelID) is no longer in the contacts file"
            try db.execute(sql: """
                INSERT OR IGNORE INTO delivery (id, eventID, issueID, cameraID, event, channel, target, team, display, body, state, attempts, nextAttemptAt, lastError, createdAt, finishedAt)
                VALUES (?, ?, ?, ?, ?, 'unknown', ?, '', ?, x'', 'failed', 0, ?, ?, ?, ?)
                """, arguments: [id, eventID, issue.id, issue.cameraID, decision.event.rawValue, channelID, channelID, now, error, now, now])
            if db.changesCount > 0 {
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
    public func fireTimers(routing: NotificationRouting, policy: NotificationPolicy, topics: Topics, now: Date = Date()) async throws -> Int {
        try await database.write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT issueID, issue, escalateAt, nextRemindAt, reminders FROM watch
                WHERE state = 'OPEN' AND ((escalateAt IS NOT NULL AND escalateAt <= ?) OR (nextRemindAt IS NOT NULL AND nextRemindAt <= ?)) LIMIT 500
                """, arguments: [now, now])
            var added = 0
            for row in rows {
                let issueID: String = row["issueID"]
                guard let issue = try? ContractCodec.decodeValue(IssueRecord.self, from: row["issue"]) else {
                    try db.execute(sql: "UPDATE watch SET escalateAt = NULL, nextRemindAt = NULL WHERE issueID = ?", arguments: [issueID])
                    continue
                }
                let history = try self.history(db, issueID: issueID, now: now, previous: issue)
                if let escalateAt: Date = row["escalateAt"], escalateAt <= now {
                    let decision = NotificationDecision.decide(.escalated, issue: issue, history: history, routing: routing, now: now)
                    added += try queue(db, eventID: "escalation:\(issueID)", decision: decision, issue: issue, policy: policy, topics: topics, now: now)
                    try db.execute(sql: "UPDATE watch SET escalateAt = NULL WHERE issueID = ?", arguments: [issueID])
                }
                if let remindAt: Date = row["nextRemindAt"], remindAt <= now {
                    let count: Int = row["reminders"] + 1
                    let decision = NotificationDecision.decide(.reminder, issue: issue, history: history, routing: routing, now: now)
                    added += try queue(db, eventID: "reminder:\(issueID):\(count)", decision: decision, issue: issue, policy: policy, topics: topics, now: now)
                    // From now, not from the missed time: a notifier that was down sends one reminder, not a burst.
                    let next: Date? = policy.remindEvery > 0 ? now.addingTimeInterval(policy.remindEvery) : nil
                    try db.execute(sql: "UPDATE watch SET reminders = ?, nextRemindAt = ? WHERE issueID = ?", arguments: [count, next, issueID])
                }
            }
            return added
        }
    }

    /// When the next escalation or reminder is due, if any.
    public func nextTimer() throws -> Date? {
        try database.read { db in
            let escalate = try Date.fetchOne(db, sql: "SELECT MIN(escalateAt) FROM watch WHERE state = 'OPEN'")
            let remind = try Date.fetchOne(db, sql: "SELECT MIN(nextRemindAt) FROM watch WHERE state = 'OPEN'")
            return [escalate, remind].compactMap { $0 }.min()
        }
    }

    /// Deliveries due now, oldest due first, leaving out the given channels (breaker open or
    /// saturated) and deliveries already in flight.
    public func due(now: Date = Date(), excludingTargets: Set<String> = [], excludingIDs: Set<String> = [], limit: Int = 64) throws -> [Pending] {
        try database.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if !excludingTargets.isEmpty {
                conditions.append("target NOT IN (\(databaseQuestionMarks(count: excludingTargets.count)))")
                arguments += StatementArguments(Array(excludingTargets))
            }
            if !excludingIDs.isEmpty {
                conditions.append("id NOT IN (\(databaseQuestionMarks(count: excludingIDs.count)))")
                arguments += StatementArguments(Array(excludingIDs))
            }
            return try Self.pending(db, now: now, where: conditions, arguments, limit: limit)
        }
    }

    /// Deliveries of channel `target` due now, oldest due first, leaving out those in flight.
    public func due(target: String, now: Date = Date(), excludingIDs: Set<String> = [], limit: Int) throws -> [Pending] {
        try database.read { db in
            var conditions = ["target = ?"]
            var arguments: StatementArguments = [target]
            if !excludingIDs.isEmpty {
                conditions.append("id NOT IN (\(databaseQuestionMarks(count: excludingIDs.count)))")
                arguments += StatementArguments(Array(excludingIDs))
            }
            return try Self.pending(db, now: now, where: conditions, arguments, limit: limit)
        }
    }

    /// Pending rows due at `now` matching `conditions`, oldest due first. Without the body: it is
    /// loaded only for the deliveries that start (``body(of:)``).
    private static func pending(_ db: Database, now: Date, where conditions: [String], _ arguments: StatementArguments, limit: Int) throws -> [Pending] {
        let filter = conditions.map { " AND " + $0 }.joined()
        return try Row.fetchAll(db, sql: """
            SELECT id, target, channel, team, display, attempts, issueID, cameraID, event FROM delivery
            WHERE state = 'pending' AND nextAttemptAt <= ?\(filter) ORDER BY nextAttemptAt LIMIT ?
            """, arguments: [now] + arguments + [limit]).map {
            Pending(id: $0["id"], target: $0["target"], channel: $0["channel"], team: $0["team"], display: $0["display"],
                    attempts: $0["attempts"], issueID: $0["issueID"], cameraID: $0["cameraID"], event: $0["event"])
        }
    }

    /// The stored payload of one delivery.
    public func body(of id: String) throws -> Data? {
        try database.read { db in try Data.fetchOne(db, sql: "SELECT body FROM delivery WHERE id = ?", arguments: [id]) }
    }

    /// When the next pending delivery is due, if any.
    public func nextDue() throws -> Date? {
        try database.read { db in try Date.fetchOne(db, sql: "SELECT MIN(nextAttemptAt) FROM delivery WHERE state = 'pending'") }
    }

    /// Holds every pending delivery of `target` until `until` without touching its attempts
    /// (its circuit breaker is open).
    public func deferTarget(_ target: String, until: Date) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE delivery SET nextAttemptAt = ? WHERE state = 'pending' AND target = ? AND nextAttemptAt < ?", arguments: [until, target, until])
        }
    }

    /// Records the outcomes of several attempts in one transaction (off the cooperative pool), each
    /// with its `notification.sent|failed` event; returns the finished ones. One transaction per
    /// outcome capped one endpoint at ~620 deliveries/s; a batch pays the commit once.
    public func record(_ outcomes: [(Pending, DeliveryOutcome)], maxAttempts: Int, topics: Topics, now: Date = Date()) async throws -> [NotificationRecord] {
        try await database.write { db in
            try outcomes.compactMap { try self.record(db, $0.0, outcome: $0.1, maxAttempts: maxAttempts, topics: topics, now: now) }
        }
    }

    /// Records one attempt's outcome and queues the `notification.sent|failed` event in the same transaction.
    public func record(_ pending: Pending, outcome: DeliveryOutcome, maxAttempts: Int, topics: Topics, now: Date = Date()) throws -> NotificationRecord? {
        try database.write { db in try record(db, pending, outcome: outcome, maxAttempts: maxAttempts, topics: topics, now: now) }
    }

    private func record(_ db: Database, _ pending: Pending, outcome: DeliveryOutcome, maxAttempts: Int, topics: Topics, now: Date) throws -> NotificationRecord? {
        let attempts = pending.attempts + 1
        var record: NotificationRecord?
        switch outcome {
        case let .delivered(status):
            try db.execute(sql: "UPDATE delivery SET state = 'delivered', attempts = ?, httpStatus = ?, lastError = NULL, finishedAt = ? WHERE id = ? AND state = 'pending'",
                           arguments: [attempts, status, now, pending.id])
            record = NotificationRecord(id: pending.id, issueID: pending.issueID, cameraID: pending.cameraID, event: pending.event, channel: pending.channel,
                                        target: pending.display, delivered: true, attempts: attempts, httpStatus: status, at: now)
        case let .failed(status, error, permanent):
            let error = String(error.prefix(500))
            if permanent || attempts >= maxAttempts {
                try db.execute(sql: "UPDATE delivery SET state = 'failed', attempts = ?, httpStatus = ?, lastError = ?, finishedAt = ? WHERE id = ? AND state = 'pending'",
                               arguments: [attempts, status, error, now, pending.id])
                record = NotificationRecord(id: pending.id, issueID: pending.issueID, cameraID: pending.cameraID, event: pending.event, channel: pending.channel,
                                            target: pending.display, delivered: false, attempts: attempts, httpStatus: status, error: error, at: now)
            } else {
                try db.execute(sql: "UPDATE delivery SET attempts = ?, httpStatus = ?, lastError = ?, nextAttemptAt = ? WHERE id = ?",
                               arguments: [attempts, status, error, now.addingTimeInterval(Self.backoff(attempt: attempts)), pending.id])
            }
        }
        if let record, db.changesCount > 0 {
            let topic = record.delivered ? topics.notificationSent : topics.notificationFailed
            let type: EventType = record.delivered ? .notificationSent : .notificationFailed
            try EventOutbox.enqueue(db, topic: topic, payload: ContractCodec.encode(Envelope(type: type, source: "notifier", data: record)), retain: false)
            return record
        }
        return nil
    }

    /// Seconds before retry number `attempt + 1`: exponential (2, 4, 8 … capped at 5 minutes)
    /// with ±20 % jitter, so deliveries that failed together do not retry in lockstep.
    static func backoff(attempt: Int) -> TimeInterval {
        min(300, pow(2, Double(min(attempt, 16)))) * Double.random(in: 0.8...1.2)
    }

    /// Delivery history, newest first, for one camera, one incident, or everything.
    public func history(cameraID: String? = nil, issueID: String? = nil, limit: Int = 200) throws -> [DeliveryHistoryEntry] {
        try database.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let cameraID { conditions.append("cameraID = ?"); arguments += [cameraID] }
            if let issueID { conditions.append("issueID = ?"); arguments += [issueID] }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments += [min(max(limit, 1), 10_000)]
            return try Row.fetchAll(db, sql: "SELECT * FROM delivery \(filter) ORDER BY createdAt DESC, rowid DESC LIMIT ?", arguments: arguments).map {
                DeliveryHistoryEntry(id: $0["id"], issueID: $0["issueID"], cameraID: $0["cameraID"], event: $0["event"], team: $0["team"], channel: $0["channel"],
                                     target: $0["target"], display: $0["display"], state: $0["state"], attempts: $0["attempts"], httpStatus: $0["httpStatus"],
                                     lastError: $0["lastError"], createdAt: $0["createdAt"], finishedAt: $0["finishedAt"])
            }
        }
    }

    /// Counts of deliveries by state (`pending`, `delivered`, `failed`).
    public func counts() throws -> [String: Int] {
        try database.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM delivery GROUP BY state").map { ($0["state"], $0["n"]) })
        }
    }
}
