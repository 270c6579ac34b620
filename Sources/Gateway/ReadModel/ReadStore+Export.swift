import CCTVContract
import Foundation
import GRDB

extension ReadStore {
    /// Every camera, ordered by id, for exports. Read from the gateway's own store (the query side),
    /// so exporting 100,000 cameras never loads the registry.
    public func allCameras() throws -> [CameraDefinition] {
        try database.read { db in
            try Data.fetchAll(db, sql: "SELECT json FROM camera ORDER BY id").map { try ContractCodec.decodeValue(CameraDefinition.self, from: $0) }
        }
    }
}
