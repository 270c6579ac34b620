import CCTVContract
import Foundation
import GRDB
import ServiceRuntime

/// The registry's own SQLite store: the fleet's source of truth. Every change is one short
/// write transaction; uniqueness of id and address is enforced by the database itself.
/// Stream credentials are sealed with the data folder's ``SecretBox`` and bound to the origin they
/// were entered for (``StreamCredentialBinding``); they are never in a `CameraDefinition`.
public final class CameraStore: Sendable {
    let database: DatabasePool
    let secrets: SecretBox

    /// Opens `{dataDir}/registry.sqlite` (and `{dataDir}/secrets.key`, created on first start).
    public init(dataDir: String) throws {
        database = try ServiceDatabase.open(dataDir: dataDir, service: "registry", migrator: Self.migrator)
        secrets = try SecretBox(dataDir: dataDir)
        try sealLegacyCredentials()
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 cameras") { db in
            try db.create(table: "camera") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("id", .text).notNull().unique()
                t.column("address", .text).notNull().unique()
                t.column("name", .text).notNull()
                t.column("hlsURL", .text)
                t.column("username", .text)
                t.column("password", .text)
                t.column("site", .text)
                t.column("location", .text)
                t.column("latitude", .double)
                t.column("longitude", .double)
                t.column("grp", .text)
                t.column("tags", .text).notNull().defaults(to: "[]")
                t.column("lineTeam", .text)
                t.column("vendor", .text)
                t.column("enabled", .boolean).notNull().defaults(to: true)
                t.column("intervalSeconds", .integer)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.column("version", .integer).notNull()
            }
            try db.create(index: "camera_site", on: "camera", columns: ["site"])
            // Deleted ids are kept so the retained tombstones can be re-published on start.
            try db.create(table: "tombstone") { t in
                t.primaryKey("id", .text)
                t.column("deletedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v2 camera checks") { db in
            // CameraChecks as JSON (RTSP URL, picture options, crop); NULL = none.
            try db.alter(table: "camera") { t in t.add(column: "checks", .text) }
        }
        // Credentials sealed (AES-GCM) and bound to an origin; the plain username/password columns
        // stay empty (kept only so older data can be sealed on first start: sealLegacyCredentials).
        migrator.registerMigration("v2 sealed credentials") { db in
            try db.alter(table: "camera") { t in
                t.add(column: "credentials", .text)
                t.add(column: "credentialsOrigin", .text)
            }
        }
        CommandLog.register(in: &migrator)
        return migrator
    }

    /// Creates a camera. - Throws: `duplicate_id`, `duplicate_address`.
    public func create(_ input: CameraInput, now: Date = Date()) throws(ContractError) -> CameraDefinition {
        let credentials = try credentialColumns(StreamCredentialBinding.decide(storedOrigin: nil, input: input), current: nil)
        return try write { db in
            if let id = input.id, let existing = try Row.fetchOne(db, sql: "SELECT id FROM camera WHERE id = ?", arguments: [id]) {
                throw ContractError(code: "duplicate_id", field: "id", message: "a camera with id \(id) already exists", existingID: existing["id"])
            }
            try Self.checkAddressFree(db, input.address, except: nil)
            let id = try input.id ?? Self.nextID(db)
            try db.execute(sql: Self.insertSQL, arguments: Self.arguments(input, id: id, credentials: credentials) + [now, now])
            try db.execute(sql: "DELETE FROM tombstone WHERE id = ?", arguments: [id])
            return try Self.fetch(db, id: id)!
        }
    }

    /// Replaces a camera's fields (credentials kept when the input leaves them out).
    /// - Throws: `not_found`, `version_conflict`, `duplicate_address`.
    public func update(id: String, _ input: CameraInput, expectedVersion: Int?, now: Date = Date()) throws(ContractError) -> CameraDefinition {
        try write { db in
            let current = try Self.requireVersion(db, id: id, expected: expectedVersion)
            try Self.checkAddressFree(db, input.address, except: id)
            let credentials = try credentialColumns(db, id: id, input: input)
            let args = StatementArguments(Self.fieldValues(input, credentials: credentials))
            try db.execute(sql: """
                UPDATE camera SET address = ?, name = ?, hlsURL = ?, credentials = ?, credentialsOrigin = ?,
                  site = ?, location = ?, latitude = ?, longitude = ?, grp = ?, tags = ?, lineTeam = ?, vendor = ?, enabled = ?,
                  intervalSeconds = ?, checks = ?, updatedAt = ?, version = ? WHERE id = ?
                """, arguments: args + [now, current + 1, id])
            return try Self.fetch(db, id: id)!
        }
    }

    /// Enables or disables a camera.
    public func setEnabled(id: String, _ enabled: Bool, expectedVersion: Int?, now: Date = Date()) throws(ContractError) -> CameraDefinition {
        try write { db in
            let current = try Self.requireVersion(db, id: id, expected: expectedVersion)
            try db.execute(sql: "UPDATE camera SET enabled = ?, updatedAt = ?, version = ? WHERE id = ?", arguments: [enabled, now, current + 1, id])
            return try Self.fetch(db, id: id)!
        }
    }

    /// Deletes a camera and records its tombstone. - Throws: `not_found`, `version_conflict`.
    public func delete(id: String, expectedVersion: Int?, now: Date = Date()) throws(ContractError) -> CameraDeleted {
        try write { db in
            let current = try Self.requireVersion(db, id: id, expected: expectedVersion)
            let address = try String.fetchOne(db, sql: "SELECT address FROM camera WHERE id = ?", arguments: [id]) ?? ""
            try db.execute(sql: "DELETE FROM camera WHERE id = ?", arguments: [id])
            try db.execute(sql: "INSERT OR REPLACE INTO tombstone (id, deletedAt) VALUES (?, ?)", arguments: [id, now])
            return CameraDeleted(id: id, address: address, version: current + 1)
        }
    }

    /// One camera, or `nil`.
    public func get(id: String) throws(ContractError) -> CameraDefinition? {
        try read { db in try Self.fetch(db, id: id) }
    }

    /// Columns a list can be sorted by (API name → column).
    static let sortColumns = ["id": "id", "name": "name", "address": "address", "site": "site", "group": "grp", "updatedAt": "updatedAt", "createdAt": "createdAt"]

    /// A page of cameras filtered by text, site, group and enablement, sorted by `sort`
    /// (`id` by default; `-name` descending). - Throws: `invalid_field` for an unknown sort key.
    public func list(query: String? = nil, site: String? = nil, group: String? = nil, enabled: Bool? = nil, sort: String? = nil,
                     offset: Int = 0, limit: Int = 100) throws(ContractError) -> (cameras: [CameraDefinition], total: Int) {
        let sortKey = sort.map { $0.hasPrefix("-") ? String($0.dropFirst()) : $0 } ?? "id"
        guard let sortColumn = Self.sortColumns[sortKey] else {
            throw ContractError(code: "invalid_field", field: "sort", message: "sort must be one of \(Self.sortColumns.keys.sorted().joined(separator: ", ")), optionally with a leading '-'")
        }
        let direction = sort?.hasPrefix("-") == true ? "DESC" : "ASC"
        return try read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let query, !query.isEmpty {
                conditions.append("(id LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR address LIKE ? ESCAPE '\\' OR site LIKE ? ESCAPE '\\')")
                let pattern = "%" + query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
                arguments += [pattern, pattern, pattern, pattern]
            }
            if let site, !site.isEmpty { conditions.append("site = ?"); arguments += [site] }
            if let group, !group.isEmpty { conditions.append("grp = ?"); arguments += [group] }
            if let enabled { conditions.append("enabled = ?"); arguments += [enabled] }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM camera \(whereClause)", arguments: arguments) ?? 0
            // sortColumn comes from a fixed table, never from the request text.
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM camera \(whereClause) ORDER BY \(sortColumn) \(direction), id LIMIT ? OFFSET ?", arguments: arguments + [limit, offset])
            return (rows.map(Self.definition), total)
        }
    }

    /// Every camera and every tombstone, for re-publishing the retained state on start.
    public func snapshot() throws(ContractError) -> (cameras: [CameraDefinition], tombstones: [String]) {
        try read { db in
            (try Row.fetchAll(db, sql: "SELECT * FROM camera ORDER BY id").map(Self.definition),
             try String.fetchAll(db, sql: "SELECT id FROM tombstone"))
        }
    }

    // MARK: - Helpers

    private func write<T>(_ body: (Database) throws -> T) throws(ContractError) -> T {
        do { return try database.write(body) } catch let error as ContractError { throw error } catch {
            throw ContractError(code: "internal", message: "storage error: \(error)")
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(ContractError) -> T {
        do { return try database.read(body) } catch let error as ContractError { throw error } catch {
            throw ContractError(code: "internal", message: "storage error: \(error)")
        }
    }

    static func requireVersion(_ db: Database, id: String, expected: Int?) throws -> Int {
        guard let current = try Int.fetchOne(db, sql: "SELECT version FROM camera WHERE id = ?", arguments: [id]) else {
            throw ContractError(code: "not_found", field: "id", message: "no camera with id \(id)")
        }
        if let expected, expected != current {
            throw ContractError(code: "version_conflict", field: "expectedVersion",
                                message: "camera \(id) is at version \(current), not \(expected): reload it and apply your change again")
        }
        return current
    }

    static func checkAddressFree(_ db: Database, _ address: String, except id: String?) throws {
        if let existing = try String.fetchOne(db, sql: "SELECT id FROM camera WHERE address = ? AND id IS NOT ?", arguments: [address, id]) {
            throw ContractError(code: "duplicate_address", field: "address", message: "address \(address) is already registered as camera \(existing)", existingID: existing)
        }
    }

    static func nextID(_ db: Database) throws -> String {
        var next = (try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM camera") ?? 0) + 1
        while true {
            let candidate = String(format: "CAM-%05d", next)
            if try Int.fetchOne(db, sql: "SELECT 1 FROM camera WHERE id = ?", arguments: [candidate]) == nil { return candidate }
            next += 1
        }
    }

    static let insertSQL = """
        INSERT INTO camera (id, address, name, hlsURL, credentials, credentialsOrigin, site, location, latitude, longitude, grp, tags,
                            lineTeam, vendor, enabled, intervalSeconds, checks, createdAt, updatedAt, version)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
        """

    static func arguments(_ input: CameraInput, id: String, credentials: SealedColumns) -> StatementArguments {
        StatementArguments([id] + fieldValues(input, credentials: credentials))
    }

    /// The stored columns of `input`, in the order of the INSERT/UPDATE statements (after id); the
    /// credentials as sealed by ``credentialColumns(_:current:)``, never `input`'s plain ones.
    static func fieldValues(_ input: CameraInput, credentials: SealedColumns) -> [(any DatabaseValueConvertible)?] {
        let tags = String(decoding: (try? JSONEncoder().encode(input.tags ?? [])) ?? Data("[]".utf8), as: UTF8.self)
        return [input.address, input.name ?? input.address, input.hlsURL, credentials.sealed, credentials.origin, input.site,
                input.location, input.latitude, input.longitude, input.group, tags, input.lineTeam, input.vendor,
                input.enabled ?? true, input.intervalSeconds, checksText(input.checks)]
    }

    /// `checks` as stored: JSON, or NULL when nothing is set.
    static func checksText(_ checks: CameraChecks?) -> String? {
        guard let checks, !checks.isEmpty, let data = try? JSONEncoder().encode(checks) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func checks(_ row: Row) -> CameraChecks? {
        let text: String? = row["checks"]
        return text.flatMap { try? JSONDecoder().decode(CameraChecks.self, from: Data($0.utf8)) }
    }

    static func fetch(_ db: Database, id: String) throws -> CameraDefinition? {
        try Row.fetchOne(db, sql: "SELECT * FROM camera WHERE id = ?", arguments: [id]).map(definition)
    }

    static func definition(_ row: Row) -> CameraDefinition {
        let tagsText: String = row["tags"]
        let tags = (try? JSONDecoder().decode([String].self, from: Data(tagsText.utf8))) ?? []
        let sealed: String? = row["credentials"]
        return CameraDefinition(
            id: row["id"], name: row["name"], address: row["address"], hlsURL: row["hlsURL"], site: row["site"],
            location: row["location"], latitude: row["latitude"], longitude: row["longitude"], group: row["grp"], tags: tags,
            lineTeam: row["lineTeam"], vendor: row["vendor"], enabled: row["enabled"], intervalSeconds: row["intervalSeconds"],
            hasCredentials: sealed != nil, checks: checks(row), createdAt: row["createdAt"], updatedAt: row["updatedAt"],
            version: row["version"])
    }
}
