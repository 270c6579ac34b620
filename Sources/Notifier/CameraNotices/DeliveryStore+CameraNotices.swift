import CCTVContract
import Foundation
import ServiceRuntime

/// Camera notices go through the same durable outbox as incident notices (retries, breakers,
/// history); the conditions told (a clock off, a signal lost, tampering) are kept so their end is
/// told even after a restart or a failover to another notifier instance.
extension DeliveryStore {
    /// Queues `notice` for every channel of `recipients` and records the condition it starts as
    /// told (`clock_skewed`, `signal_lost`, `tampered`) or the one it ends as over, in one transaction. A notice already queued (same
    /// event id and channel) adds nothing. Returns how many deliveries were queued.
    @discardableResult
    package func queue(_ notice: CameraNotice, recipients: [Recipient], policy: NotificationPolicy, now: Date = Date()) async throws -> Int {
        try await write { db in
            switch notice.subject.condition {
            case .starts:
                try db.execute("""
                    INSERT INTO cameraCondition (cameraID, condition, since, value) VALUES (?, ?, ?, ?)
                    ON CONFLICT (cameraID, condition) DO UPDATE SET since = excluded.since, value = excluded.value
                    """, notice.camera.id, notice.subject.topic, notice.since ?? notice.at, notice.skewSeconds ?? 1)
            case .ends: try db.execute("DELETE FROM cameraCondition WHERE cameraID = ? AND condition = ?", notice.camera.id, notice.subject.topic)
            case nil: break
            }
            return try recipients.reduce(0) { added, recipient in
                let id = UUID().uuidString
                let body = CameraNoticeMessage.payload(notice, for: recipient, dashboard: policy.dashboard, timeZone: policy.timeZone, deliveryID: id, now: now)
                return added + (try Self.insertDelivery(db, id: id, eventID: notice.eventID, issueID: notice.issueID, cameraID: notice.camera.id,
                                                        event: notice.subject.rawValue, recipient: recipient, body: body, due: now, now: now))
            }
        }
    }

    /// Forgets the conditions told about camera `id` (deleted: their end will never be told).
    package func forgetConditions(of id: String) async throws {
        try await write { db in try db.execute("DELETE FROM cameraCondition WHERE cameraID = ?", id) }
    }

    /// The conditions told and not yet over, by camera id and then `clock`, `signal` or `tamper`.
    package func conditionsTold() throws -> [String: [String: ToldCondition]] {
        try database.read { db in
            var told: [String: [String: ToldCondition]] = [:]
            for row in try db.rows("SELECT cameraID, condition, since, value FROM cameraCondition") {
                if let id = row.string("cameraID"), let condition = row.string("condition"), let since = row.date("since") {
                    told[id, default: [:]][condition] = ToldCondition(since: since, value: row.double("value") ?? 1)
                }
            }
            return told
        }
    }
}
