import CCTVContract
import Foundation
import ServiceRuntime

/// Self-watch notices go through the same durable outbox as incident notices (retries, breakers,
/// history), to the operators' channels; the conditions told "down" are kept so their "back" is
/// sent even after a restart.
extension DeliveryStore {
    /// Queues `notice` for every channel of `recipients` and records the condition as told (down)
    /// or over (back), in one transaction. Returns how many deliveries were queued.
    @discardableResult
    package func queue(_ notice: SelfWatchNotice, recipients: [Recipient], policy: NotificationPolicy, now: Date = Date()) throws -> Int {
        try write { db in
            let key = notice.condition.key
            switch notice.kind {
            case .down:
                try db.execute("INSERT INTO selfWatch (condition, since) VALUES (?, ?) ON CONFLICT (condition) DO UPDATE SET since = excluded.since",
                               key, notice.since)
            case .back: try db.execute("DELETE FROM selfWatch WHERE condition = ?", key)
            }
            // One event per condition episode and direction: a repeated notice adds nothing.
            let eventID = "monitor:\(key):\(notice.kind.rawValue):\(Int(notice.since.timeIntervalSince1970))"
            return try recipients.reduce(0) { added, recipient in
                let id = UUID().uuidString
                let body = SelfWatchMessage.payload(notice, for: recipient, dashboard: policy.dashboard, timeZone: policy.timeZone, deliveryID: id, now: now)
                return added + (try Self.insertDelivery(db, id: id, eventID: eventID, issueID: "monitor:\(key)", cameraID: "", event: notice.event,
                                                        recipient: recipient, body: body, due: now, now: now))
            }
        }
    }

    /// The conditions told "down" and not yet "back".
    package func announcedSelfWatch() throws -> [SelfWatch.Condition: Date] {
        try database.read { db in
            var result: [SelfWatch.Condition: Date] = [:]
            for row in try db.rows("SELECT condition, since FROM selfWatch") {
                if let condition = SelfWatch.Condition(key: row.string("condition") ?? ""), let since = row.date("since") { result[condition] = since }
            }
            return result
        }
    }
}
