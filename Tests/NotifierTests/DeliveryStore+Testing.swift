import Foundation
import Logging
import ServiceRuntime
@testable import Notifier

extension DeliveryStore {
    /// The notifier's store at `location` (a temp folder for SQLite, a fresh database for PostgreSQL).
    convenience init(testing location: DatabaseLocation) throws {
        try self.init(location: location, logger: Logger(label: "test.notifier"))
    }
}

extension DatabaseLocation {
    /// Removes a test's SQLite folder (a PostgreSQL test database goes with the cluster).
    func removeTestFiles() {
        if case let .sqlite(directory) = self { try? FileManager.default.removeItem(atPath: directory) }
    }
}
