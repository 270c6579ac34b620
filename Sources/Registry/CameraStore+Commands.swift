import CCTVContract
import Foundation
import ServiceRuntime

extension CameraStore {
    /// Deletes the existing cameras among `ids` in one transaction, recording their tombstones.
    /// - Returns: what was deleted and the ids that did not exist.
    func bulkDelete(ids: [String], now: Date = Date()) throws(ContractError) -> (deleted: [CameraDeleted], missing: [String]) {
        try write { db in
            var deleted: [CameraDeleted] = []
            var missing: [String] = []
            for id in ids {
                guard let row = try db.row("SELECT address, version FROM camera WHERE id = ?", id) else {
                    missing.append(id); continue
                }
                try db.execute("DELETE FROM camera WHERE id = ?", id)
                try Self.recordTombstone(db, id: id, now: now)
                deleted.append(CameraDeleted(id: id, address: row.string("address") ?? "", version: (row.int("version") ?? 0) + 1))
            }
            return (deleted, missing)
        }
    }
}
