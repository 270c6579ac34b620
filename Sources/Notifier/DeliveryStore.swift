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
    /// `pending`, `delivered` or `failed`.
    public var state: String
    public var attempts: Int
    public var httpStatus: Int?
    public var lastError: String?
    public var createdAt: Date
    public var finishedAt: Date?
}

/// The notifier's durable outbox and delivery history. Delivery rows are written in the same
/// transaction that acknowledges the issue event (`notification.ack` via the event outbox),
/// deduplicated by (event id, channel id), and only ever move forward: pending → delivered | failed.
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
        database = try ServiceDatabase.open(dataDir: dataDir, service: "notifier", migrator: migrator)
    }

    /// Handles one issue event in one transaction: records the incident's latest state and timers,
    /// queues the deliveries it calls for (a redelivered event adds nothing), and queues the
    /// `notification.ack` for `eventID` — so the acknowledgement leaves only once the deliveries
    /// are committed. Returns how many new deliveries were queued.
    @discardableResult
    public func accept(eventID: String, type: EventType, issue: IssueRecord, routing: NotificationRouting, policy: NotificationPolicy,
                       topics: Topics, now: Date = Date()) throws -> Int {
        try database.write { db in
            let event: NotificationEvent = switch type {
            case .issueOpened: .opened
            case .issueResolved: .resolved
            default: .updated
            }
            let teamID = routing.responsibleTeam(for: issue)?.id ?? ""
            let watch = try Row.fetchOne(db, sql: "SELECT version, kind, team, state, escalateAt, nextRemindAt, issue FROM watch WHERE issueID = ?", arguments: [issue.id])
            // A maintenance window that ended (or a camera taken out of a storm group) is news:
            // the held incident is announced now.
            let previous = (watch?["issue"] as Data?).flatMap { try? ContractCodec.decodeValue(IssueRecord.self, from: $0) }
            let released = previous.map { ($0.silenced && !issue.silenced) || ($0.parentID != nil && issue.parentID == nil) } ?? false
            var notify = true
            if let watch {
                let seenVersion: Int = watch["version"]
                let seenState: String = watch["state"]
                if issue.version < seenVersion {
                    notify = false // re-ordered: an older version arrived after a newer one
                } else if event == .updated, !released, watch["kind"] == issue.kind.rawValue, watch["team"] == teamID {
                    notify = false // only the lifecycle moved (acknowledged, dispatched): nobody new to tell
                } else if event != .resolved, [IssueState.resolved.rawValue, IssueState.closed.rawValue].contains(seenState), issue.version <= seenVersion {
                    notify = false
                }
            }
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
            var added = 0
            if notify {
                added = try self.queue(db, eventID: eventID, event: event, issue: issue, routing: routing, policy: policy, topics: topics, now: now)
            }
            let ack = Envelope(type: .notificationAck, source: "notifier", data: NotificationAck(eventID: eventID, issueID: issue.id))
            try EventOutbox.enqueue(db, topic: topics.notificationAcks, payload: ContractCodec.encode(ack), retain: false)
            return added
        }
    }

    /// Inserts the deliveries of one notification inside the caller's transaction.
    private func queue(_ db: Database, eventID: String, event: NotificationEvent, issue: IssueRecord, routing: NotificationRouting,
                       policy: NotificationPolicy, topics: Topics, now: Date) throws -> Int {
        let told = Set(try String.fetchAll(db, sql: "SELECT target FROM told WHERE issueID = ?", arguments: [issue.id]))
        guard AnnouncementRule.shouldNotify(event: event.rawValue, issue: issue, alreadyTold: !told.isEmpty) else { return 0 }
        var (recipients, missing) = routing.recipients(for: event, issue: issue, alreadyTold: told)
        if event == .resolved && !AnnouncementRule.recoveryIncludesOperators(issue) {
            recipients = recipients.filter { told.contains($0.channel.id) }
        }
        var added = 0
        for recipient in recipients {
            let id = UUID().uuidString
            let body = ChannelPayload.render(recipient, event: event, issue: issue, dashboard: policy.dashboard, timeZone: policy.timeZone, deliveryID: id, now: now)
            try db.execute(sql: """
                INSERT OR IGNORE INTO delivery (id, eventID, issueID, cameraID, event, channel, target, team, display, body, state, attempts, nextAttemptAt, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
                """, arguments: [id, eventID, issue.id, issue.cameraID, event.rawValue, recipient.channel.type.rawValue, recipient.channel.id,
                                 recipient.team.id, recipient.channel.displayTarget, body, now, now])
            added += db.changesCount
            if event != .resolved {
                try db.execute(sql: "INSERT OR IGNORE INTO told (issueID, target) VALUES (?, ?)", arguments: [issue.id, recipient.channel.id])
            }
        }
        // A told channel removed from the contacts file since: recorded as failed and surfaced,
        // never silently dropped.
        for channelID in missing {
            let id = UUID().uuidString
            let error = "channel \(channelID) is no longer in the contacts file"
            try db.execute(sql: """
                INSERT OR IGNORE INTO delivery (id, eventID, issueID, cameraID, event, channel, target, team, display, body, state, attempts, nextAttemptAt, lastError, createdAt, finishedAt)
                VALUES (?, ?, ?, ?, ?, 'unknown', ?, '', ?, x'', 'failed', 0, ?, ?, ?, ?)
                """, arguments: [id, eventID, issue.id, issue.cameraID, event.rawValue, channelID, channelID, now, error, now, now])
            if db.changesCount > 0 {
                let record = NotificationRecord(id: id, issueID: issue.id, cameraID: issue.cameraID, event: event.rawValue, channel: "unknown",
                                                target: channelID, delivered: false, attempts: 0, error: error, at: now)
                try EventOutbox.enqueue(db, topic: topics.notificationFailed, payload: ContractCodec.encode(Envelope(type: .notificationFailed, source: "notifier", data: record)), retain: false)
            }
        }
        return added
    }

    /// Fires every escalation and reminder timer that is due: queues its deliveries and moves the
    /// timer on, in one transaction. Returns how many deliveries were queued.
    @discardableResult
    public func fireTimers(routing: NotificationRouting, policy: NotificationPolicy, topics: Topics, now: Date = Date()) throws -> Int {
        try database.write { db in
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
                if let escalateAt: Date = row["escalateAt"], escalateAt <= now {
                    added += try queue(db, eventID: "escalation:\(issueID)", event: .escalated, issue: issue, routing: routing, policy: policy, topics: topics, now: now)
                    try db.execute(sql: "UPDATE watch SET escalateAt = NULL WHERE issueID = ?", arguments: [issueID])
                }
                if let remindAt: Date = row["nextRemindAt"], remindAt <= now {
                    let count: Int = row["reminders"] + 1
                    added += try queue(db, eventID: "reminder:\(issueID):\(count)", event: .reminder, issue: issue, routing: routing, policy: policy, topics: topics, now: now)
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
            // Without the body: most rows read here are skipped (endpoint busy), so the payload is
            // loaded only for the deliveries that start (``body(of:)``).
            var sql = "SELECT id, target, channel, team, display, attempts, issueID, cameraID, event FROM delivery WHERE state = 'pending' AND nextAttemptAt <= ?"
            var arguments: StatementArguments = [now]
            if !excludingTargets.isEmpty {
                sql += " AND target NOT IN (\(databaseQuestionMarks(count: excludingTargets.count)))"
                arguments += StatementArguments(Array(excludingTargets))
            }
            if !excludingIDs.isEmpty {
                sql += " AND id NOT IN (\(databaseQuestionMarks(count: excludingIDs.count)))"
                arguments += StatementArguments(Array(excludingIDs))
            }
            sql += " ORDER BY nextAttemptAt LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map {
                Pending(id: $0["id"], target: $0["target"], channel: $0["channel"], team: $0["team"], display: $0["display"],
                        attempts: $0["attempts"], issueID: $0["issueID"], cameraID: $0["cameraID"], event: $0["event"])
            }
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
    public func deferTarget(_ target: String, until: Date) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE delivery SET nextAttemptAt = ? WHERE state = 'pending' AND target = ? AND nextAttemptAt < ?", arguments: [until, target, until])
        }
    }

    /// Records an attempt's outcome and queues the `notification.sent|failed` event in the same transaction.
    public func record(_ pending: Pending, outcome: DeliveryOutcome, maxAttempts: Int, topics: Topics, now: Date = Date()) throws -> NotificationRecord? {
        try database.write { db in
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
