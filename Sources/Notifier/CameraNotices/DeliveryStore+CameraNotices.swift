import CCTVContract
import Foundation
import ServiceRuntime

/// Camera notices go through the same durable outbox as incident notices (retries, breakers,
/// history); the clocks told off are kept so their "right again" is sent even after a restart or
/// a failover to another notifier instance.
extension DeliveryStore {
    /// Queues `notice` for every channel of `recipients` and records a clock as told off
    /// (`clock_skewed`) or over (`clock_fixed`), in one transaction. A notice already queued (same
    /// event id and channel) adds nothing. Returns how many deliveries were queued.
    @discardableResult
    public func queue(_ notice: CameraNotice, recipients: [Recipient], policy: NotificationPolicy, now: Date = Date()) async throws -> Int {
        try await write { db in
            switch notice.subject {
            case .clockSkewed:
                try db.execute("""
                    INSERT INTO cameraClock (cameraID, since, skew) VALUES (?, ?, ?)
                    ON CONFLICT (cameraID) DO UPDATE SET since = excluded.since, skew = excluded.skew
                    """, notice.camera.id, notice.since ?? notice.at, notice.skewSeconds ?? 0)
            case .clockFixed: try db.execute("DELETE FROM cameraClock WHERE cameraID = ?", notice.camera.id)
            case .deviceReplaced, .firmwareChanged: break
            }
            return try recipients.reduce(0) { added, recipient in
                let id = UUID().uuidString
                let body = CameraNoticeMessage.payload(notice, for: recipient, dashboard: policy.dashboard, timeZone: policy.timeZone, deliveryID: id, now: now)
                return added + (try Self.insertDelivery(db, id: id, eventID: notice.eventID, issueID: notice.issueID, cameraID: notice.camera.id,
                                                        event: notice.subject.rawValue, recipient: recipient, body: body, due: now, now: now))
            }
        }
    }

    /// The clocks told off and not yet right again, per camera.
    public func clocksTold() throws -> [String: ClockNoticeRule.Told] {
        try database.read { db in
            var told: [String: ClockNoticeRule.Told] = [:]
            for row in try db.rows("SELECT cameraID, since, skew FROM cameraClock") {
                if let id = row.string("cameraID"), let since = row.date("since") {
                    told[id] = ClockNoticeRule.Told(since: since, skewSeconds: row.double("skew") ?? 0)
                }
            }
            return told
        }
    }
}
