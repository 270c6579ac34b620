import CCTVContract
import Foundation
import GRDB

extension CameraStore {
    /// Every stored field of one camera, credentials included (for patches; never published).
    func storedInput(id: String) throws(ContractError) -> CameraInput? {
        do {
            return try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM camera WHERE id = ?", arguments: [id]).map(Self.storedInput) }
        } catch { throw ContractError(code: "internal", message: "storage error: \(error)") }
    }

    /// Deletes the existing cameras among `ids` in one transaction, recording their tombstones.
    /// - Returns: what was deleted and the ids that did not exist.
    func bulkDelete(ids: [String], now: Date = Date()) throws(ContractError) -> (deleted: [CameraDeleted], missing: [String]) {
        do {
            return try database.write { db in
                var deleted: [CameraDeleted] = []
                var missing: [String] = []
                for id in ids {
                    guard let row = try Row.fetchOne(db, sql: "SELECT address, version FROM camera WHERE id = ?", arguments: [id]) else {
                        missing.append(id); continue
                    }
                    try db.execute(sql: "DELETE FROM camera WHERE id = ?", arguments: [id])
                    try db.execute(sql: "INSERT OR REPLACE INTO tombstone (id, deletedAt) VALUES (?, ?)", arguments: [id, now])
                    deleted.append(CameraDeleted(id: id, address: row["address"], version: (row["version"] as Int) + 1))
                }
                return (deleted, missing)
            }
        } catch { throw ContractError(code: "internal", message: "storage error: \(error)") }
    }
}
