import CCTVContract
import Foundation
import GRDB
import ServiceRuntime

/// Self-watch notices go through the same durable outbox as incident notices (retries, breakers,
/// history), to the operators' channels; the conditions told "down" are kept so their "back" is
/// sent even after a restart.
extension DeliveryStore {
    static func registerSelfWatch(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("notifier v3: self-watch") { db in
            try db.create(table: "selfWatch") { t in
                t.primaryKey("condition", .text)
                t.column("since", .datetime).notNull()
            }
        }
    }

    /// Queues `notice` for every channel of `recipients` and records the condition as told (down)
    /// or over (back), in one transaction. Returns how many deliveries were queued.
    @discardableResult
    public func queue(_ notice: SelfWatchNotice, recipients: [Recipient], policy: NotificationPolicy, now: Date = Date()) throws -> Int {
        try database.write { db in
            let key = notice.condition.key
            switch notice.kind {
            case .down: try db.execute(sql: "INSERT OR REPLACE INTO selfWatch (condition, since) VALUES (?, ?)", arguments: [key, notice.since])
            case .back: try db.execute(sql: "DELETE FROM selfWatch WHERE condition = ?", arguments: [key])
            }
            // One event per condition episode and direction: a repeated notice adds nothing.
            let eventID = "monitor:\(key):\(notice.kind.rawValue):\(Int(notice.since.timeIntervalSince1970))"
            var added = 0
            for recipient in recipients {
                let id = UUID().uuidString
                let body = SelfWatchMessage.payload(notice, for: recipient, dashboard: policy.dashboard, timeZone: policy.timeZone, deliveryID: id, now: now)
                try db.execute(sql: """
                    INSERT OR IGNORE INTO delivery (id, eventID, issueID, cameraID, event, channel, target, team, display, body, state, attempts, nextAttemptAt, createdAt)
                    VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
                    """, arguments: [id, eventID, "monitor:\(key)", notice.event, recipient.channel.type.rawValue, recipient.channel.id,
                                     recipient.team.id, recipient.channel.displayTarget, body, now, now])
                added += db.changesCount
            }
            return added
        }
    }

    /// The conditions told "down" and not yet "back".
    public func announcedSelfWatch() throws -> [SelfWatch.Condition: Date] {
        try database.read { db in
            var result: [SelfWatch.Condition: Date] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT condition, since FROM selfWatch") {
                if let condition = SelfWatch.Condition(key: row["condition"]) { result[condition] = row["since"] }
            }
            return result
        }
    }
}
