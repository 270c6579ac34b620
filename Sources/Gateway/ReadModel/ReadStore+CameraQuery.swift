import CCTVContract
import Foundation
import GRDB

extension ReadStore {
    /// How a camera list is filtered and sorted (`GET /api/cameras`).
    package struct CameraQuery: Sendable {
        package var text: String?
        package var site: String?
        package var state: String?
        package var group: String?
        package var enabled: Bool?
        /// `id` (default), `name`, `address`, `site`, `group`, `updatedAt`; a leading `-` sorts descending.
        package var sort: String?
        package var offset = 0
        package var limit = 100
        /// Only cameras of these sites (a site-limited account or token); nil = every site.
        package var sites: [String]?
        package init() {}
    }

    /// Sortable keys → SQL expressions (fixed text: the request only picks a key).
    static let cameraSorts: [String: String] = [
        "id": "c.id", "name": "c.name", "address": "c.address", "site": "c.site",
        "group": "json_extract(CAST(c.json AS TEXT), '$.group')", "updatedAt": "json_extract(CAST(c.json AS TEXT), '$.updatedAt')",
    ]

    /// A page of cameras with their status. Group and enablement are read from the stored definition.
    /// - Throws: ``ContractError`` `invalid_field` (field `sort`) for an unknown sort key.
    package func cameras(_ q: CameraQuery) throws -> Page<CameraRow> {
        let key = q.sort.map { $0.hasPrefix("-") ? String($0.dropFirst()) : $0 } ?? "id"
        guard let order = Self.cameraSorts[key] else {
            throw ContractError(code: "invalid_field", field: "sort", message: "sort must be one of \(Self.cameraSorts.keys.sorted().joined(separator: ", ")), optionally with a leading '-'")
        }
        let direction = q.sort?.hasPrefix("-") == true ? "DESC" : "ASC"
        return try database.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let text = q.text, !text.isEmpty {
                let pattern = Self.likePattern(text)
                conditions.append("(c.id LIKE ? ESCAPE '\\' OR c.name LIKE ? ESCAPE '\\' OR c.address LIKE ? ESCAPE '\\' OR c.site LIKE ? ESCAPE '\\')")
                arguments += [pattern, pattern, pattern, pattern]
            }
            if let site = q.site, !site.isEmpty { conditions.append("c.site = ?"); arguments += [site] }
            if let sites = q.sites { Self.limit(&conditions, &arguments, "c.site", to: sites) }
            if let group = q.group, !group.isEmpty { conditions.append("json_extract(CAST(c.json AS TEXT), '$.group') = ?"); arguments += [group] }
            if let enabled = q.enabled { conditions.append("json_extract(CAST(c.json AS TEXT), '$.enabled') = ?"); arguments += [enabled ? 1 : 0] }
            if let state = q.state, !state.isEmpty {
                if state == CameraState.unknown.rawValue { conditions.append("(s.state IS NULL OR s.state = ?)") } else { conditions.append("s.state = ?") }
                arguments += [state]
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let from = "FROM camera c LEFT JOIN status s ON s.cameraID = c.id \(whereClause)"
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) \(from)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT c.json AS camera, s.json AS status \(from) ORDER BY \(order) \(direction), c.id LIMIT ? OFFSET ?",
                                        arguments: arguments + [q.limit, q.offset])
            let items = try rows.map { row -> CameraRow in
                let statusData: Data? = row["status"]
                return CameraRow(camera: try ContractCodec.decodeValue(CameraDefinition.self, from: row["camera"]),
                                 status: try statusData.map { try ContractCodec.decodeValue(CameraHealth.self, from: $0) })
            }
            return Page(total: total, items: items)
        }
    }
}
