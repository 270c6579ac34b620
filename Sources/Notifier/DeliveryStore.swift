import CCTVContract
import Foundation
import GRDB
import ServiceRuntime

/// The notifier's durable outbox and delivery history. A delivery row is written when the issue
/// event arrives (deduplicated by event id and target), and only ever moves forward:
/// pending → delivered | failed. Nothing is lost across restarts.
public final class DeliveryStore: Sendable {
    public let database: DatabasePool

    /// A delivery waiting to be attempted.
    public struct Pending: Sendable {
        public var id: String
        public var target: String
        public var body: Data
        public var attempts: Int
        public var issueID: String
        public var cameraID: String
        public var event: String
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
        database = try ServiceDatabase.open(dataDir: dataDir, service: "notifier", migrator: migrator)
    }

    /// Records the deliveries for one issue event; a redelivered event adds nothing.
    /// Returns how many new deliveries were queued.
    @discardableResult
    public func enqueue(eventID: String, event: String, issue: IssueRecord, routing: NotificationRouting, dashboard: String, now: Date = Date()) throws -> Int {
        try database.write { db in
            let told = Set(try String.fetchAll(db, sql: "SELECT target FROM told WHERE issueID = ?", arguments: [issue.id]))
            guard NotificationPolicy.shouldNotify(event: event, issue: issue, alreadyTold: !told.isEmpty) else { return 0 }
            var targets = routing.targets(for: event, issue: issue, alreadyTold: told)
            if event == "resolved" && !NotificationPolicy.recoveryIncludesOperators(issue) { targets = targets.filter(told.contains) }
            var added = 0
            for target in targets {
                let id = UUID().uuidString
                let body = WebhookBody(event: event, issue: issue, messageKo: NotificationMessage.korean(event, issue),
                                       messageEn: NotificationMessage.english(event, issue), dashboard: dashboard, deliveryID: id)
                try db.execute(sql: """
                    INSERT OR IGNORE INTO delivery (id, eventID, issueID, cameraID, event, channel, target, body, state, attempts, nextAttemptAt, createdAt)
                    VALUES (?, ?, ?, ?, ?, 'webhook', ?, ?, 'pending', 0, ?, ?)
                    """, arguments: [id, eventID, issue.id, issue.cameraID, event, target, try ContractCodec.encodeValue(body), now, now])
                added += db.changesCount
                if event != "resolved" {
                    try db.execute(sql: "INSERT OR IGNORE INTO told (issueID, target) VALUES (?, ?)", arguments: [issue.id, target])
                }
            }
            return added
        }
    }

    /// Deliveries due now, oldest first.
    public func due(now: Date = Date(), limit: Int = 64) throws -> [Pending] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM delivery WHERE state = 'pending' AND nextAttemptAt <= ? ORDER BY createdAt LIMIT ?", arguments: [now, limit]).map {
                Pending(id: $0["id"], target: $0["target"], body: $0["body"], attempts: $0["attempts"], issueID: $0["issueID"], cameraID: $0["cameraID"], event: $0["event"])
            }
        }
    }

    /// When the next pending delivery is due, if any.
    public func nextDue() throws -> Date? {
        try database.read { db in try Date.fetchOne(db, sql: "SELECT MIN(nextAttemptAt) FROM delivery WHERE state = 'pending'") }
    }

    /// Records an attempt's outcome and queues the `notification.sent|failed` event in the same transaction.
    public func record(_ pending: Pending, outcome: WebhookChannel.Outcome, maxAttempts: Int, topics: Topics, now: Date = Date()) throws -> NotificationRecord? {
        try database.write { db in
            let attempts = pending.attempts + 1
            var record: NotificationRecord?
            switch outcome {
            case let .delivered(status):
                try db.execute(sql: "UPDATE delivery SET state = 'delivered', attempts = ?, httpStatus = ?, lastError = NULL, finishedAt = ? WHERE id = ?",
                               arguments: [attempts, status, now, pending.id])
                record = NotificationRecord(id: pending.id, issueID: pending.issueID, cameraID: pending.cameraID, event: pending.event, channel: "webhook",
                                            target: Self.redact(pending.target), delivered: true, attempts: attempts, httpStatus: status, at: now)
            case let .failed(status, error, permanent):
                if permanent || attempts >= maxAttempts {
                    try db.execute(sql: "UPDATE delivery SET state = 'failed', attempts = ?, httpStatus = ?, lastError = ?, finishedAt = ? WHERE id = ?",
                                   arguments: [attempts, status, String(error.prefix(500)), now, pending.id])
                    record = NotificationRecord(id: pending.id, issueID: pending.issueID, cameraID: pending.cameraID, event: pending.event, channel: "webhook",
                                                target: Self.redact(pending.target), delivered: false, attempts: attempts, httpStatus: status, error: String(error.prefix(500)), at: now)
                } else {
                    // Exponential back-off with jitter: 2, 4, 8 … capped at 5 minutes.
                    let delay = min(300, pow(2, Double(attempts))) * Double.random(in: 0.8...1.2)
                    try db.execute(sql: "UPDATE delivery SET attempts = ?, httpStatus = ?, lastError = ?, nextAttemptAt = ? WHERE id = ?",
                                   arguments: [attempts, status, String(error.prefix(500)), now.addingTimeInterval(delay), pending.id])
                }
            }
            if let record {
                let topic = record.delivered ? topics.notificationSent : topics.notificationFailed
                let type: EventType = record.delivered ? .notificationSent : .notificationFailed
                try EventOutbox.enqueue(db, topic: topic, payload: ContractCodec.encode(Envelope(type: type, source: "notifier", data: record)), retain: false)
            }
            return record
        }
    }

    /// Delivery history, newest first, optionally for one camera.
    public func history(cameraID: String? = nil, limit: Int = 200) throws -> [(event: String, target: String, state: String, attempts: Int, issueID: String)] {
        try database.read { db in
            let rows = try Row.fetchAll(db, sql: cameraID == nil
                ? "SELECT * FROM delivery ORDER BY createdAt DESC LIMIT ?"
                : "SELECT * FROM delivery WHERE cameraID = ? ORDER BY createdAt DESC LIMIT ?",
                arguments: cameraID == nil ? [limit] : [cameraID, limit])
            return rows.map { ($0["event"], $0["target"], $0["state"], $0["attempts"], $0["issueID"]) }
        }
    }

    /// A target without credentials or query string, safe to publish and show.
    static func redact(_ target: String) -> String {
        guard var components = URLComponents(string: target) else { return "webhook" }
        components.user = nil
        components.password = nil
        components.query = nil
        return components.string ?? "webhook"
    }
}
