import CCTVContract
import Foundation
import GRDB
import Logging
import ServiceRuntime

/// The registry's store: the fleet's source of truth, in SQLite (one box) or PostgreSQL (shared by
/// every registry replica). Every change is one short write transaction; uniqueness of id and
/// address is enforced by the database itself. The SQL is written once for both engines.
/// Stream credentials are sealed with the data folder's ``SecretBox`` and bound to the origin they
/// were entered for (``StreamCredentialBinding``); they are never in a `CameraDefinition`.
package final class CameraStore: Sendable {
    let database: any SQLDatabase
    let secrets: SecretBox

    /// Opens `{dataDir}/registry.sqlite` (and `{dataDir}/secrets.key`, created on first start).
    package convenience init(dataDir: String) throws {
        try self.init(location: .sqlite(directory: dataDir), secretsDir: dataDir, logger: Logger(label: "cctv-out.registry"))
    }

    /// Opens the registry's database at `location` (schema `registry` in PostgreSQL), migrates it and
    /// seals credentials an older version kept in plain text.
    /// - Parameter secretsDir: the folder of `secrets.key`. Registry replicas that share a PostgreSQL
    ///   must share the key file too (copy it to every registry machine), or cannot open each other's credentials.
    package init(location: DatabaseLocation, secretsDir: String, logger: Logger = Logger(label: "cctv-out.registry")) throws {
        database = try location.open(service: "registry", sqlite: Self.migrator, postgres: Self.postgresMigrations, logger: logger)
        secrets = try SecretBox(dataDir: secretsDir)
        try sealLegacyCredentials()
    }

    /// The same tables as ``migrator`` in PostgreSQL types (text sorted bytewise like SQLite's).
    static let postgresMigrations = [
        PostgresMigration("v1 cameras", [
            """
            CREATE TABLE camera (seq bigserial PRIMARY KEY, id text COLLATE "C" NOT NULL UNIQUE, address text COLLATE "C" NOT NULL UNIQUE,
              name text COLLATE "C" NOT NULL, hlsURL text, username text, password text, site text COLLATE "C", location text,
              latitude double precision, longitude double precision, grp text COLLATE "C", tags text NOT NULL DEFAULT '[]',
              lineTeam text, vendor text, enabled boolean NOT NULL DEFAULT true, intervalSeconds bigint,
              createdAt timestamptz NOT NULL, updatedAt timestamptz NOT NULL, version bigint NOT NULL)
            """,
            "CREATE INDEX camera_site ON camera (site)",
            "CREATE TABLE tombstone (id text COLLATE \"C\" PRIMARY KEY, deletedAt timestamptz NOT NULL)",
        ]),
        PostgresMigration("v2 camera checks", ["ALTER TABLE camera ADD COLUMN checks text"]),
        PostgresMigration("v2 sealed credentials", ["ALTER TABLE camera ADD COLUMN credentials text, ADD COLUMN credentialsOrigin text"]),
        PostgresMigration("v3 camera device", ["ALTER TABLE camera ADD COLUMN device text"]),
        CommandLog.postgresMigration,
        SharedImportJobs.postgresMigration,
    ]

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
        migrator.registerMigration("v3 camera device") { db in
            // CameraDevice as JSON (what the camera said over ONVIF); NULL = not seen yet.
            try db.alter(table: "camera") { t in t.add(column: "device", .text) }
        }
        CommandLog.register(in: &migrator)
        return migrator
    }

    /// Creates a camera. - Throws: `duplicate_id`, `duplicate_address`.
    package func create(_ input: CameraInput, now: Date = Date()) throws(ContractError) -> CameraDefinition {
        let credentials = try credentialColumns(StreamCredentialBinding.decide(storedOrigin: nil, input: input), current: nil)
        return try write { db in
            if let id = input.id, try db.row("SELECT id FROM camera WHERE id = ?", id) != nil {
                throw ContractError(code: "duplicate_id", field: "id", message: "a camera with id \(id) already exists", existingID: id)
            }
            try Self.checkAddressFree(db, input.address, except: nil)
            let id = try input.id ?? Self.nextID(db)
            try db.execute(Self.insertSQL, Self.arguments(input, id: id, credentials: credentials) + [.date(now), .date(now)])
            try db.execute("DELETE FROM tombstone WHERE id = ?", id)
            return try Self.fetch(db, id: id)!
        }
    }

    /// Replaces a camera's fields (credentials kept when the input leaves them out).
    /// - Throws: `not_found`, `version_conflict`, `duplicate_address`.
    package func update(id: String, _ input: CameraInput, expectedVersion: Int?, now: Date = Date()) throws(ContractError) -> CameraDefinition {
        try write { db in try replace(db, id: id, input, expectedVersion: expectedVersion, now: now) }
    }

    /// Changes a camera's stored fields with `change` (which may refuse with a ``ContractError``),
    /// read and written in one transaction, so no other replica's change in between is lost.
    /// - Throws: `not_found`, `version_conflict`, `duplicate_address`, or what `change` throws.
    func patch(id: String, expectedVersion: Int?, now: Date = Date(),
               _ change: (CameraInput) throws(ContractError) -> CameraInput) throws(ContractError) -> CameraDefinition {
        try write { db in
            guard let current = try db.row("SELECT * FROM camera WHERE id = ?", id).map(Self.storedInput) else {
                throw ContractError(code: "not_found", field: "id", message: "no camera with id \(id)")
            }
            return try replace(db, id: id, try change(current), expectedVersion: expectedVersion, now: now)
        }
    }

    private func replace(_ db: any SQLConnection, id: String, _ input: CameraInput, expectedVersion: Int?, now: Date) throws -> CameraDefinition {
        let current = try Self.requireVersion(db, id: id, expected: expectedVersion)
        try Self.checkAddressFree(db, input.address, except: id)
        let credentials = try credentialColumns(db, id: id, input: input)
        try db.execute("""
            UPDATE camera SET address = ?, name = ?, hlsURL = ?, credentials = ?, credentialsOrigin = ?,
              site = ?, location = ?, latitude = ?, longitude = ?, grp = ?, tags = ?, lineTeam = ?, vendor = ?, enabled = ?,
              intervalSeconds = ?, checks = ?, updatedAt = ?, version = ? WHERE id = ?
            """, Self.fieldValues(input, credentials: credentials) + [.date(now), .int(Int64(current + 1)), .text(id)])
        return try Self.fetch(db, id: id)!
    }

    /// Enables or disables a camera.
    package func setEnabled(id: String, _ enabled: Bool, expectedVersion: Int?, now: Date = Date()) throws(ContractError) -> CameraDefinition {
        try write { db in
            let current = try Self.requireVersion(db, id: id, expected: expectedVersion)
            try db.execute("UPDATE camera SET enabled = ?, updatedAt = ?, version = ? WHERE id = ?", enabled, now, current + 1, id)
            return try Self.fetch(db, id: id)!
        }
    }

    /// Deletes a camera and records its tombstone. - Throws: `not_found`, `version_conflict`.
    package func delete(id: String, expectedVersion: Int?, now: Date = Date()) throws(ContractError) -> CameraDeleted {
        try write { db in
            let current = try Self.requireVersion(db, id: id, expected: expectedVersion)
            let address = try db.row("SELECT address FROM camera WHERE id = ?", id)?.string("address") ?? ""
            try db.execute("DELETE FROM camera WHERE id = ?", id)
            try Self.recordTombstone(db, id: id, now: now)
            return CameraDeleted(id: id, address: address, version: current + 1)
        }
    }

    /// One camera, or `nil`.
    package func get(id: String) throws(ContractError) -> CameraDefinition? {
        try read { db in try Self.fetch(db, id: id) }
    }

    /// Columns a list can be sorted by (API name → column).
    static let sortColumns = ["id": "id", "name": "name", "address": "address", "site": "site", "group": "grp", "updatedAt": "updatedAt", "createdAt": "createdAt"]

    /// A page of cameras filtered by text, site, group and enablement, sorted by `sort`
    /// (`id` by default; `-name` descending). - Throws: `invalid_field` for an unknown sort key.
    package func list(query: String? = nil, site: String? = nil, group: String? = nil, enabled: Bool? = nil, sort: String? = nil,
                     offset: Int = 0, limit: Int = 100) throws(ContractError) -> (cameras: [CameraDefinition], total: Int) {
        let sortKey = sort.map { $0.hasPrefix("-") ? String($0.dropFirst()) : $0 } ?? "id"
        guard let sortColumn = Self.sortColumns[sortKey] else {
            throw ContractError(code: "invalid_field", field: "sort", message: "sort must be one of \(Self.sortColumns.keys.sorted().joined(separator: ", ")), optionally with a leading '-'")
        }
        let direction = sort?.hasPrefix("-") == true ? "DESC" : "ASC"
        return try read { db in
            var conditions: [String] = []
            var arguments: [SQLValue] = []
            if let query, !query.isEmpty {
                let like = db.dialect.caseInsensitiveLike
                conditions.append("(id \(like) ? ESCAPE '\\' OR name \(like) ? ESCAPE '\\' OR address \(like) ? ESCAPE '\\' OR site \(like) ? ESCAPE '\\')")
                let pattern = "%" + query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
                arguments += Array(repeating: .text(pattern), count: 4)
            }
            if let site, !site.isEmpty { conditions.append("site = ?"); arguments.append(.text(site)) }
            if let group, !group.isEmpty { conditions.append("grp = ?"); arguments.append(.text(group)) }
            if let enabled { conditions.append("enabled = ?"); arguments.append(.bool(enabled)) }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try db.rows("SELECT COUNT(*) AS n FROM camera \(whereClause)", arguments).first?.int("n") ?? 0
            // sortColumn comes from a fixed table, never from the request text.
            let rows = try db.rows("SELECT * FROM camera \(whereClause) ORDER BY \(sortColumn) \(direction), id LIMIT ? OFFSET ?",
                                   arguments + [.int(Int64(limit)), .int(Int64(offset))])
            return (rows.map(Self.definition), total)
        }
    }

    /// Every camera and every tombstone, for re-publishing the retained state on start.
    package func snapshot() throws(ContractError) -> (cameras: [CameraDefinition], tombstones: [String]) {
        try read { db in
            (try db.rows("SELECT * FROM camera ORDER BY id").map(Self.definition),
             try db.rows("SELECT id FROM tombstone").compactMap { $0.string("id") })
        }
    }

    // MARK: - Helpers

    /// One write transaction. In PostgreSQL, shared by registry replicas, the writes of every replica
    /// take turns (a transaction-scoped advisory lock), as one registry's commands do: a version is
    /// read and bumped, an address checked free and the next free id chosen without another write
    /// in between. A write takes milliseconds, so replicas share commands, not write throughput.
    func write<T>(_ body: (any SQLConnection) throws -> T) throws(ContractError) -> T {
        do {
            return try database.write { db in
                try Self.takeWriteTurn(db)
                return try body(db)
            }
        } catch let error as ContractError { throw error } catch {
            throw ContractError(code: "internal", message: "storage error: \(error)")
        }
    }

    /// Waits, inside a write transaction, until no other registry replica writes (PostgreSQL; SQLite
    /// has one writer anyway), and holds the turn until the transaction ends.
    static func takeWriteTurn(_ db: any SQLConnection) throws {
        if db.dialect == .postgres { try db.execute("SELECT pg_advisory_xact_lock(hashtext(?))", "cctv-out registry writes") }
    }

    func read<T>(_ body: (any SQLConnection) throws -> T) throws(ContractError) -> T {
        do { return try database.read(body) } catch let error as ContractError { throw error } catch {
            throw ContractError(code: "internal", message: "storage error: \(error)")
        }
    }

    static func requireVersion(_ db: any SQLConnection, id: String, expected: Int?) throws -> Int {
        guard let current = try db.row("SELECT version FROM camera WHERE id = ?", id)?.int("version") else {
            throw ContractError(code: "not_found", field: "id", message: "no camera with id \(id)")
        }
        if let expected, expected != current {
            throw ContractError(code: "version_conflict", field: "expectedVersion",
                                message: "camera \(id) is at version \(current), not \(expected): reload it and apply your change again")
        }
        return current
    }

    static func checkAddressFree(_ db: any SQLConnection, _ address: String, except id: String?) throws {
        let holder = try db.row("SELECT id FROM camera WHERE address = ?", address)?.string("id")
        if let existing = holder, existing != id {
            throw ContractError(code: "duplicate_address", field: "address", message: "address \(address) is already registered as camera \(existing)", existingID: existing)
        }
    }

    static func nextID(_ db: any SQLConnection) throws -> String {
        var next = (try db.row("SELECT COALESCE(MAX(seq), 0) AS n FROM camera")?.int("n") ?? 0) + 1
        while true {
            let candidate = String(format: "CAM-%05d", next)
            if try db.row("SELECT 1 AS one FROM camera WHERE id = ?", candidate) == nil { return candidate }
            next += 1
        }
    }

    static let insertSQL = """
        INSERT INTO camera (id, address, name, hlsURL, credentials, credentialsOrigin, site, location, latitude, longitude, grp, tags,
                            lineTeam, vendor, enabled, intervalSeconds, checks, createdAt, updatedAt, version)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
        """

    /// Records that `id` was deleted (kept so its retained tombstone is re-published on start).
    static func recordTombstone(_ db: any SQLConnection, id: String, now: Date) throws {
        try db.execute("INSERT INTO tombstone (id, deletedAt) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET deletedAt = excluded.deletedAt", id, now)
    }

    static func arguments(_ input: CameraInput, id: String, credentials: SealedColumns) -> [SQLValue] {
        [.text(id)] + fieldValues(input, credentials: credentials)
    }

    /// The stored columns of `input`, in the order of the INSERT/UPDATE statements (after id); the
    /// credentials as sealed by ``credentialColumns(_:current:)``, never `input`'s plain ones.
    static func fieldValues(_ input: CameraInput, credentials: SealedColumns) -> [SQLValue] {
        let tags = String(decoding: (try? JSONEncoder().encode(input.tags ?? [])) ?? Data("[]".utf8), as: UTF8.self)
        let values: [any SQLBindable] = [input.address, input.name ?? input.address, input.hlsURL, credentials.sealed, credentials.origin, input.site,
                                         input.location, input.latitude, input.longitude, input.group, tags, input.lineTeam, input.vendor,
                                         input.enabled ?? true, input.intervalSeconds, checksText(input.checks)]
        return values.map(\.sqlValue)
    }

    /// `checks` as stored: JSON, or NULL when nothing is set.
    static func checksText(_ checks: CameraChecks?) -> String? {
        guard let checks, !checks.isEmpty, let data = try? JSONEncoder().encode(checks) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func checks(_ row: SQLRow) -> CameraChecks? {
        row.string("checks").flatMap { try? JSONDecoder().decode(CameraChecks.self, from: Data($0.utf8)) }
    }

    static func fetch(_ db: any SQLConnection, id: String) throws -> CameraDefinition? {
        try db.row("SELECT * FROM camera WHERE id = ?", id).map(definition)
    }

    static func definition(_ row: SQLRow) -> CameraDefinition {
        let tags = (try? JSONDecoder().decode([String].self, from: Data((row.string("tags") ?? "[]").utf8))) ?? []
        return CameraDefinition(
            id: row.string("id") ?? "", name: row.string("name") ?? "", address: row.string("address") ?? "", hlsURL: row.string("hlsURL"),
            site: row.string("site"), location: row.string("location"), latitude: row.double("latitude"), longitude: row.double("longitude"),
            group: row.string("grp"), tags: tags, lineTeam: row.string("lineTeam"), vendor: row.string("vendor"), enabled: row.bool("enabled") ?? true,
            intervalSeconds: row.int("intervalSeconds"), hasCredentials: row.string("credentials") != nil, checks: checks(row),
            device: row.string("device").flatMap { try? JSONDecoder().decode(CameraDevice.self, from: Data($0.utf8)) },
            createdAt: row.date("createdAt") ?? Date(timeIntervalSince1970: 0), updatedAt: row.date("updatedAt") ?? Date(timeIntervalSince1970: 0),
            version: row.int("version") ?? 0)
    }
}
