import CCTVContract
import Foundation
import GRDB

extension ReadStore {
    /// What needs a person, for the problems view (`GET /api/problems`): cameras that are down,
    /// degraded or stalled, grouped by site incident (one entry per storm), worst first.
    package struct ProblemQuery: Sendable {
        /// Search over id, name, address, site, line team and vendor.
        package var text: String?
        package var site: String?
        /// A camera state, or `STALLED`.
        package var state: String?
        package var team: String?
        package var vendor: String?
        /// The incident's state (`OPEN`, `ACKNOWLEDGED`, `DISPATCHED`), or `NONE` for no incident.
        package var issueState: String?
        /// Only the cameras grouped under this site incident (no grouping then).
        package var parent: String?
        /// Only these sites (a site-limited account or token); nil = all.
        package var sites: [String]?
        /// `severity` (default), `since`, `id`, `name`, `address`, `site`, `reason`, `team`, `vendor`, `issueState`, `count`; `-` = descending.
        package var sort: String?
        package var offset = 0
        package var limit = 100
        package var now = Date()
        /// The prober's default check interval (cameras without their own), seconds.
        package var defaultInterval: Double = 60
        /// How late last-check times may be written (the history's flush interval), seconds.
        package var activitySlack: Double = 300
        package init() {}
    }

    /// One line of the problems view: a camera, or a site incident with its cameras counted.
    package struct ProblemEntry: Codable, Sendable {
        /// `camera` or `site`.
        package var kind: String
        package var camera: CameraDefinition?
        package var status: CameraHealth?
        /// The camera's open incident.
        package var issue: IssueRecord?
        /// Enabled, but no check result has arrived.
        package var stalled: Bool?
        /// For `site`: the site incident.
        package var incident: IssueRecord?
        /// For `site`: matching cameras grouped under it, and how many are in each state.
        package var count: Int?
        package var byState: [String: Int]?
    }

    /// A page of problems: `total` entries (groups count once), `cameras` cameras behind them.
    package struct ProblemPage: Codable, Sendable {
        package var total: Int
        package var cameras: Int
        package var items: [ProblemEntry]
    }

    /// Sortable keys → SQL over the grouped rows (fixed text: the request only picks a key).
    static let problemSorts: [String: String] = [
        "severity": "severity", "since": "since", "id": "minID", "name": "name", "address": "address", "site": "site",
        "reason": "reason", "team": "team", "vendor": "vendor", "issueState": "issueState", "count": "n",
    ]

    /// An enabled camera registered this long ago without any status is stalled; one whose last
    /// check result is older than 3 intervals (at least this long) plus the write delay is stalled too.
    static let neverCheckedGrace: TimeInterval = 600

    /// The problems, grouped, filtered, sorted and paged.
    /// - Throws: ``ContractError`` `invalid_field` for an unknown sort key.
    package func problems(_ q: ProblemQuery) throws -> ProblemPage {
        let key = q.sort.map { $0.hasPrefix("-") ? String($0.dropFirst()) : $0 } ?? "severity"
        guard let order = Self.problemSorts[key] else {
            throw ContractError(code: "invalid_field", field: "sort", message: "sort must be one of \(Self.problemSorts.keys.sorted().joined(separator: ", ")), optionally with a leading '-'")
        }
        let direction = q.sort?.hasPrefix("-") == true ? "DESC" : "ASC"
        let (rowFilters, filterArguments) = Self.problemFilters(q)
        let rows = Self.problemRows(filteredBy: rowFilters)
        let arguments: StatementArguments = [Self.isoText(q.now.addingTimeInterval(-Self.neverCheckedGrace)), q.now.timeIntervalSince1970 - q.activitySlack,
                                             q.defaultInterval, q.parent] + filterArguments
        let stateSums = CameraState.allCases.map { "SUM(state = '\($0.rawValue)' AND stalled = 0) AS \"n_\($0.rawValue)\"" }.joined(separator: ", ")
        return try database.read { db in
            // One pass over the fleet: the page's groups carry the totals (window functions run
            // after grouping, before LIMIT); only a page past the end counts again.
            let groups = try Row.fetchAll(db, sql: rows + """
                 SELECT groupKey, COUNT(*) AS n, MIN(severity) AS severity, MIN(since) AS since, MIN(id) AS minID, MIN(name) AS name,
                        MIN(address) AS address, MIN(site) AS site, MIN(reason) AS reason, MIN(team) AS team, MIN(vendor) AS vendor,
                        MIN(issueState) AS issueState, MAX(stalled) AS stalled, \(stateSums),
                        COUNT(*) OVER () AS totalGroups, SUM(COUNT(*)) OVER () AS totalCameras
                 FROM f GROUP BY groupKey ORDER BY \(order) \(direction), severity, since, minID LIMIT ? OFFSET ?
                 """, arguments: arguments + [q.limit, q.offset])
            var cameras = 0, total = 0
            if let first = groups.first {
                cameras = first["totalCameras"]; total = first["totalGroups"]
            } else if q.offset > 0 {
                cameras = try Int.fetchOne(db, sql: rows + " SELECT COUNT(*) FROM f", arguments: arguments) ?? 0
                total = try Int.fetchOne(db, sql: rows + " SELECT COUNT(DISTINCT groupKey) FROM f", arguments: arguments) ?? 0
            }
            return ProblemPage(total: total, cameras: cameras, items: try groups.compactMap { try Self.problemEntry(for: $0, db) })
        }
    }

    /// The query's filters over the problem rows (columns of ``problemRows(filteredBy:)``), with their arguments.
    static func problemFilters(_ q: ProblemQuery) -> (filters: [String], arguments: StatementArguments) {
        var filterArguments: StatementArguments = []
        var rowFilters: [String] = []
        if let text = q.text, !text.isEmpty {
            let pattern = Self.likePattern(text)
            rowFilters.append("(id LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR address LIKE ? ESCAPE '\\' OR site LIKE ? ESCAPE '\\' OR team LIKE ? ESCAPE '\\' OR vendor LIKE ? ESCAPE '\\')")
            filterArguments += [pattern, pattern, pattern, pattern, pattern, pattern]
        }
        if let site = q.site, !site.isEmpty { rowFilters.append("site = ?"); filterArguments += [site] }
        if let state = q.state, !state.isEmpty {
            if state == "STALLED" { rowFilters.append("stalled = 1") } else { rowFilters.append("state = ? AND stalled = 0"); filterArguments += [state] }
        }
        if let team = q.team, !team.isEmpty { rowFilters.append("team = ?"); filterArguments += [team] }
        if let vendor = q.vendor, !vendor.isEmpty { rowFilters.append("vendor = ?"); filterArguments += [vendor] }
        if let issueState = q.issueState, !issueState.isEmpty {
            if issueState == "NONE" { rowFilters.append("issueState IS NULL") } else { rowFilters.append("issueState = ?"); filterArguments += [issueState] }
        }
        if let parent = q.parent { rowFilters.append("parentID = ?"); filterArguments += [parent] }
        if let sites = q.sites { Self.limit(&rowFilters, &filterArguments, "site", to: sites) }
        return (rowFilters, filterArguments)
    }

    /// `WITH p AS (…), f AS (…)`: every camera that needs a person (`p`), with its severity and the
    /// group it is shown in, filtered (`f`). Arguments: the never-checked cutoff (ISO text), the
    /// latest acceptable check time, the default interval, the parent filter, then the filters'.
    static func problemRows(filteredBy rowFilters: [String]) -> String {
        let severityCase = "CASE COALESCE(s.state, 'UNKNOWN') " + CameraState.allCases.map { "WHEN '\($0.rawValue)' THEN \($0.severity)" }.joined(separator: " ") + " ELSE 9 END"
        let attention = CameraState.allCases.filter(\.needsAttention).map { "'\($0.rawValue)'" }.joined(separator: ",")
        // The cheap tests first (SQLite stops at the first false): a camera checked lately or with
        // a state is not stalled without parsing its definition. Parsing every camera's JSON made
        // the problems page 3 × 0.6 s at 100,000 cameras (`cctv-out-bench dashboard`).
        let grace = Int(Self.neverCheckedGrace)
        let stalled = """
            (((a.lastCheckAt IS NULL AND COALESCE(s.state, 'UNKNOWN') = 'UNKNOWN' AND json_extract(CAST(c.json AS TEXT), '$.createdAt') < ?)
              OR (a.lastCheckAt < ?2 - \(grace) AND a.lastCheckAt < ?2 - MAX(3 * COALESCE(json_extract(CAST(c.json AS TEXT), '$.intervalSeconds'), ?3), \(grace))))
             AND json_extract(CAST(c.json AS TEXT), '$.enabled') = 1)
            """
        return """
            WITH p AS (
              SELECT c.id AS id, c.name AS name, c.address AS address, c.site AS site,
                     json_extract(CAST(c.json AS TEXT), '$.lineTeam') AS team, json_extract(CAST(c.json AS TEXT), '$.vendor') AS vendor,
                     COALESCE(s.state, 'UNKNOWN') AS state, \(severityCase) AS rawSeverity,
                     json_extract(CAST(s.json AS TEXT), '$.since') AS since, json_extract(CAST(s.json AS TEXT), '$.reason') AS reason,
                     i.id AS issueID, i.state AS issueState, json_extract(CAST(i.json AS TEXT), '$.parentID') AS parentID,
                     CASE WHEN s.state IN (\(attention)) THEN 0 ELSE 1 END AS stalled
              FROM camera c LEFT JOIN status s ON s.cameraID = c.id LEFT JOIN activity a ON a.cameraID = c.id
              LEFT JOIN issue i ON i.id = json_extract(CAST(s.json AS TEXT), '$.issueID') AND i.state NOT IN ('RESOLVED','CLOSED')
              WHERE s.state IN (\(attention)) OR \(stalled)
            ), f AS (
              SELECT *, CASE WHEN stalled = 1 THEN \(CameraState.stalledSeverity) ELSE rawSeverity END AS severity,
                     CASE WHEN ? IS NULL THEN COALESCE(parentID, 'camera:' || id) ELSE 'camera:' || id END AS groupKey
              FROM p \(rowFilters.isEmpty ? "" : "WHERE " + rowFilters.joined(separator: " AND "))
            )
            """
    }

    /// One line of the page from its group: a camera with its status and open incident, or a site
    /// incident with its cameras counted by state; nil for a camera deleted since.
    static func problemEntry(for group: Row, _ db: Database) throws -> ProblemEntry? {
        let groupKey: String = group["groupKey"]
        guard groupKey.hasPrefix("camera:") else {
            let incident = try Data.fetchOne(db, sql: "SELECT json FROM issue WHERE id = ?", arguments: [groupKey]).map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
            var byState: [String: Int] = [:]
            for state in CameraState.allCases { if let n: Int = group["n_\(state.rawValue)"], n > 0 { byState[state.rawValue] = n } }
            return ProblemEntry(kind: "site", incident: incident, count: group["n"], byState: byState)
        }
        let id = String(groupKey.dropFirst("camera:".count))
        guard let row = try Row.fetchOne(db, sql: "SELECT c.json AS camera, s.json AS status FROM camera c LEFT JOIN status s ON s.cameraID = c.id WHERE c.id = ?", arguments: [id]) else { return nil }
        let status = try (row["status"] as Data?).map { try ContractCodec.decodeValue(CameraHealth.self, from: $0) }
        let issue = try status?.issueID.flatMap { try Data.fetchOne(db, sql: "SELECT json FROM issue WHERE id = ?", arguments: [$0]) }
            .map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        return ProblemEntry(kind: "camera", camera: try ContractCodec.decodeValue(CameraDefinition.self, from: row["camera"]), status: status,
                            issue: issue?.isActive == true ? issue : nil, stalled: (group["stalled"] as Int? ?? 0) == 1)
    }

    /// `%text%` for `LIKE … ESCAPE '\\'`, with the text's own `\\`, `%` and `_` taken literally.
    static func likePattern(_ text: String) -> String {
        "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    /// A date as the contract writes it in JSON, so stored ISO texts compare with it.
    static func isoText(_ date: Date) -> String {
        let json = (try? ContractCodec.encodeValue([date])).map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
        return String(json.dropFirst(2).dropLast(2))
    }
}
