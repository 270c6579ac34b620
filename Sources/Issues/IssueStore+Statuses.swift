import CCTVContract
import Foundation
import ServiceRuntime

/// Each camera's retained `cctv/{id}/status`, queued in the outbox.
extension IssueStore {
    /// Queues one camera's status (retained) inside the caller's transaction.
    static func enqueueStatus(_ db: any SQLConnection, _ health: CameraHealth, topics: Topics) throws {
        let envelope = Envelope(type: .cameraStatus, source: "issues", data: health)
        try EventOutbox.enqueue(db, topic: topics.status(health.cameraID), payload: ContractCodec.encode(envelope), retain: true)
    }

    /// Queues every camera's last published status again, for a broker that lost them; returns how many.
    static func enqueueEveryStatus(topics: Topics) -> @Sendable (any SQLConnection) throws -> Int {
        { db in
            var count = 0
            var after = ""
            // A page at a time: 100,000 tracks need not be in memory at once.
            while true {
                let page = try db.rows("SELECT cameraID, json FROM track WHERE cameraID > ? ORDER BY cameraID LIMIT 1000", after)
                for row in page {
                    guard let json = row.data("json"),
                          let health = try ContractCodec.decodeValue(CameraTrack.self, from: json).published else { continue }
                    try enqueueStatus(db, health, topics: topics)
                    count += 1
                }
                guard page.count == 1000, let last = page.last?.string("cameraID") else { return count }
                after = last
            }
        }
    }
}
