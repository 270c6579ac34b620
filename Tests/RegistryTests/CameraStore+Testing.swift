import Foundation
import ServiceRuntime
@testable import Registry

extension CameraStore {
    /// A store at `location` whose key file (`secrets.key`) is in `secretsDir`: by default the SQLite
    /// folder itself, or a fresh temp folder for PostgreSQL. Replicas of one installation pass the same one.
    convenience init(testing location: DatabaseLocation, secretsDir: String? = nil) throws {
        let folder: String
        switch location {
        case let .sqlite(directory): folder = secretsDir ?? directory
        case .postgres: folder = secretsDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        }
        try self.init(location: location, secretsDir: folder)
    }
}
