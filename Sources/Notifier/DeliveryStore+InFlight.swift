import Foundation
import ServiceRuntime

/// Deliveries handed to their channel are marked `sending` before the network call, so after a
/// crash or a failover the next leader knows which ones may have reached the endpoint: it sends
/// them again (at-least-once) with the same delivery id, the webhook's `Idempotency-Key`, so the
/// receiver can drop the copy.
extension DeliveryStore {
    /// Marks `ids` (pending) as being sent, in one fenced transaction; returns the ids marked. An
    /// instance that no longer leads marks nothing (the fence throws) and so sends nothing.
    package func markSending(_ ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try await write { db in
            Set(try db.rows("UPDATE delivery SET state = 'sending' WHERE state = 'pending' AND id IN (\(Self.placeholders(ids.count))) RETURNING id",
                            ids.map(\.sqlValue)).compactMap { $0.string("id") })
        }
    }

    /// Puts every delivery left `sending` (by a previous leader or run that stopped before
    /// recording its outcome) back to pending, due now; returns how many. Called when this
    /// instance starts leading, before its dispatcher runs.
    @discardableResult
    package func resumeInFlight(now: Date = Date()) throws -> Int {
        try write { db in
            try db.execute("UPDATE delivery SET state = 'pending', nextAttemptAt = ? WHERE state = 'sending'", now)
        }
    }
}
