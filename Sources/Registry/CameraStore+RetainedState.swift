import CCTVContract
import ServiceRuntime

/// The store read page by page for re-publishing the retained state, so that each page is read
/// fresh (never a stale snapshot overwriting a newer change) and memory stays bounded.
extension CameraStore {
    /// Up to `limit` cameras with an id after `id`, in id order.
    func definitions(after id: String, limit: Int) throws(ContractError) -> [CameraDefinition] {
        try read { db in
            try db.rows("SELECT * FROM camera WHERE id > ? ORDER BY id LIMIT ?", id, limit).map(Self.definition)
        }
    }

    /// Up to `limit` deleted ids after `id`, in id order.
    func tombstones(after id: String, limit: Int) throws(ContractError) -> [String] {
        try read { db in
            try db.rows("SELECT id FROM tombstone WHERE id > ? ORDER BY id LIMIT ?", id, limit).compactMap { $0.string("id") }
        }
    }

    /// The cameras among `ids` as stored now (an id missing from the result is deleted).
    func definitions(ids: [String]) throws(ContractError) -> [String: CameraDefinition] {
        guard !ids.isEmpty else { return [:] }
        return try read { db in
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
            let rows = try db.rows("SELECT * FROM camera WHERE id IN (\(marks))", ids.map(SQLValue.text))
            return Dictionary(rows.map(Self.definition).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }
}
