import CCTVContract
import Foundation
import ServiceRuntime

/// Recording what an attempt came to: delivered, failed for good, or pending again after a backoff,
/// each with its `notification.sent|failed` event in the same transaction.
extension DeliveryStore {
    /// Records the outcomes of several attempts in one transaction (off the cooperative pool), each
    /// with its `notification.sent|failed` event; returns the finished ones. One transaction per
    /// outcome capped one endpoint at ~620 deliveries/s; a batch pays the commit once.
    package func record(_ outcomes: [(Pending, DeliveryOutcome)], maxAttempts: Int, topics: Topics, now: Date = Date()) async throws -> [NotificationRecord] {
        try await write { db in
            try outcomes.compactMap { try self.record(db, $0.0, outcome: $0.1, maxAttempts: maxAttempts, topics: topics, now: now) }
        }
    }

    /// Records one attempt's outcome and queues the `notification.sent|failed` event in the same transaction.
    package func record(_ pending: Pending, outcome: DeliveryOutcome, maxAttempts: Int, topics: Topics, now: Date = Date()) throws -> NotificationRecord? {
        try write { db in try record(db, pending, outcome: outcome, maxAttempts: maxAttempts, topics: topics, now: now) }
    }

    /// Records one outcome inside the caller's transaction; nil when nothing finished (a retry, or a
    /// row no longer pending or sending).
    private func record(_ db: any SQLConnection, _ pending: Pending, outcome: DeliveryOutcome, maxAttempts: Int, topics: Topics, now: Date) throws -> NotificationRecord? {
        let attempts = pending.attempts + 1
        var record: NotificationRecord?
        var changed = 0
        switch outcome {
        case let .delivered(status):
            changed = try db.execute("""
                UPDATE delivery SET state = 'delivered', attempts = ?, httpStatus = ?, lastError = NULL, finishedAt = ? WHERE id = ? AND state IN ('pending','sending')
                """, attempts, status, now, pending.id)
            record = NotificationRecord(id: pending.id, issueID: pending.issueID, cameraID: pending.cameraID, event: pending.event, channel: pending.channel,
                                        target: pending.display, delivered: true, attempts: attempts, httpStatus: status, at: now)
        case let .failed(status, error, permanent):
            let error = String(error.prefix(500))
            if permanent || attempts >= maxAttempts {
                changed = try db.execute("""
                    UPDATE delivery SET state = 'failed', attempts = ?, httpStatus = ?, lastError = ?, finishedAt = ? WHERE id = ? AND state IN ('pending','sending')
                    """, attempts, status, error, now, pending.id)
                record = NotificationRecord(id: pending.id, issueID: pending.issueID, cameraID: pending.cameraID, event: pending.event, channel: pending.channel,
                                            target: pending.display, delivered: false, attempts: attempts, httpStatus: status, error: error, at: now)
            } else {
                try db.execute("""
                    UPDATE delivery SET state = 'pending', attempts = ?, httpStatus = ?, lastError = ?, nextAttemptAt = ? WHERE id = ? AND state IN ('pending','sending')
                    """, attempts, status, error, now.addingTimeInterval(Self.backoff(attempt: attempts)), pending.id)
            }
        }
        if let record, changed > 0 {
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
}
