import CCTVContract
import Foundation
import GRDB

extension ReadStore {
    /// Every camera's id, site, line team and vendor (what availability is grouped by), without
    /// decoding the whole definitions: 100,000 cameras in one light query.
    package func cameraFacts() throws -> [SLAReport.CameraFacts] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, site, json_extract(CAST(json AS TEXT), '$.lineTeam') AS lineTeam, json_extract(CAST(json AS TEXT), '$.vendor') AS vendor FROM camera
                """).map { SLAReport.CameraFacts(id: $0["id"], site: $0["site"], lineTeam: $0["lineTeam"], vendor: $0["vendor"]) }
        }
    }

    /// Incidents opened in `from..<to`, oldest first.
    package func issues(openedFrom from: Date, to: Date) throws -> [IssueRecord] {
        try database.read { db in
            try Data.fetchAll(db, sql: "SELECT json FROM issue WHERE openedAt >= ? AND openedAt < ? ORDER BY openedAt", arguments: [from, to])
                .map { try ContractCodec.decodeValue(IssueRecord.self, from: $0) }
        }
    }
}
