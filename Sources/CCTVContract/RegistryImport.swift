import Foundation

/// One camera row of a bulk import, as sent in `importRows`: the row number as the operator sees
/// it in Excel (header = row 1) so every refusal can point back at the file.
public struct ImportRow: Codable, Sendable, Equatable {
    public var row: Int
    public var camera: CameraInput

    public init(row: Int, camera: CameraInput) { self.row = row; self.camera = camera }
}

/// The fields of ``CameraInput`` an import file carries. Fields an import leaves out keep their
/// stored value on update, so a two-column file (`ip`, `name`) renames cameras and changes nothing else.
public enum ImportField: String, Codable, Sendable, CaseIterable {
    case id, name, address, hlsURL, username, password, site, location, latitude, longitude, group, tags, lineTeam, vendor, enabled, intervalSeconds
    /// `checks.rtspURL`, `checks.onvifURL`, `checks.picture`, `checks.pictureCrop`, `checks.onvifEvents`:
    /// each its own column.
    case rtspURL, onvifURL, picture, pictureCrop, onvifEvents
}

/// Why one row of an import was refused.
public struct ImportProblem: Codable, Sendable, Equatable {
    /// Row number as shown in Excel (header = row 1).
    public var row: Int
    /// The column header as written in the file (e.g. `IP주소`), when the problem belongs to one cell.
    public var column: String?
    /// The column letter (`A`, `B`, …) when known.
    public var columnLetter: String?
    /// The ``CameraInput`` field at fault, when known (`address`, `hlsURL`, …).
    public var field: String?
    /// Stable code: the file checks' reasons (`invalid_address`, `duplicate_address`, `formula_cell`, …)
    /// or the registry's (`invalid_field`, `duplicate_address`, `duplicate_id`).
    public var reason: String
    /// A sentence the operator can act on.
    public var message: String
    /// For conflicts with the stored fleet: the camera that already has this address or id.
    public var existingID: String?

    public init(row: Int, column: String? = nil, columnLetter: String? = nil, field: String? = nil, reason: String,
                message: String, existingID: String? = nil) {
        self.row = row; self.column = column; self.columnLetter = columnLetter; self.field = field
        self.reason = reason; self.message = message; self.existingID = existingID
    }
}

/// The registry's answer to an import step: what the rows did (or would do) to the fleet.
public struct ImportResult: Codable, Sendable, Equatable {
    public var importID: String
    /// Rows accepted and waiting for `importCommit` so far.
    public var staged: Int
    /// Cameras created (after commit) or that would be created (before).
    public var created: Int
    /// Cameras updated, matched by id or else by address.
    public var updated: Int
    /// Rows identical to the stored camera.
    public var unchanged: Int
    /// Rows refused by this step (for `importRows`: rows of this batch; for `importCommit`: rows
    /// that started conflicting because the fleet changed after they were staged).
    public var rejected: [ImportProblem]
    /// Whether the changes are committed to the store.
    public var applied: Bool

    public init(importID: String, staged: Int = 0, created: Int = 0, updated: Int = 0, unchanged: Int = 0,
                rejected: [ImportProblem] = [], applied: Bool = false) {
        self.importID = importID; self.staged = staged; self.created = created; self.updated = updated
        self.unchanged = unchanged; self.rejected = rejected; self.applied = applied
    }
}
