import CCTVContract
import Foundation
import GRDB
import ServiceRuntime

/// Each camera's retained `cctv/{id}/status`, queued in the outbox.
extension IssueStore {
    /// Queues one camera's status (retained) inside the caller's transaction.
    static func enqueueStatus(_ db: Database, _ health: CameraHealth, topics: Topics) throws {
        let envelope = Envelope(type: .cameraStatus, source: "issues", data: health)
        try EventOutbox.enqueue(db, topic: topics.status(health.cameraID), payload: ContractCodec.encode(envelope), retain: true)
    }

    /// Queues every camera's last published status again, for a broker that lost them; returns how many.
    static func enqueueEveryStatus(topics: Topics) -> @Sendable (Database) throws -> Int {
        { db in
            var count = 0
            let tracks = try Data.fetchCursor(db, sql: "SELECT json FROM track")
            while let json = try tracks.next() {
                guard let health = try ContractCodec.decodeValue(CameraTrack.self, from: json).published else { continue }
                try enqueueStatus(db, health, topics: topics)
                count += 1
            }
            return count
        }
    }
}
