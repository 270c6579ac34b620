import CCTVContract
import Foundation
import GRDB

extension ReadStore {
    /// Every camera, ordered by id, for exports. Read from the gateway's own store (the query side),
    /// so exporting 100,000 cameras never loads the registry.
    /// - Parameter sites: only these sites (a site-limited account or token); nil = every camera.
    package func allCameras(sites: [String]? = nil) throws -> [CameraDefinition] {
        try database.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let sites { Self.limit(&conditions, &arguments, "site", to: sites) }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Data.fetchAll(db, sql: "SELECT json FROM camera \(filter) ORDER BY id", arguments: arguments)
                .map { try ContractCodec.decodeValue(CameraDefinition.self, from: $0) }
        }
    }
}
