import CCTVContract
import Foundation

/// One bulk import as `GET /api/imports/{id}` shows it: where it is, how far it got, and in the end
/// the full report (every refused row with its Excel row number, column and reason).
package struct ImportJob: Codable, Sendable {
    /// `parsing` → `checking` → `applying` → `done`, or `failed` (the file as a whole was refused,
    /// or the registry could not be reached).
    package enum State: String, Codable, Sendable { case parsing, checking, applying, done, failed }
    /// `validate` is the dry run: every check, nothing written.
    package enum Mode: String, Codable, Sendable { case validate, apply }

    /// Rows counted at each stage, for progress bars.
    package struct Progress: Codable, Sendable {
        /// Data rows in the file (known after parsing).
        package var rows = 0
        /// Rows read and checked cell by cell.
        package var parsed = 0
        /// Rows checked by the registry against the rest of the file and the stored fleet.
        package var validated = 0
        /// Rows written (all at once, at commit).
        package var applied = 0
    }

    /// The outcome. In `validate` mode (or when rows were refused without `skipInvalid`) the counts
    /// say what applying would do, and `applied` is false.
    package struct Report: Codable, Sendable {
        package var created = 0
        package var updated = 0
        package var unchanged = 0
        /// Distinct rows refused.
        package var rejectedRows = 0
        package var applied = false
    }

    package var id: String
    package var state: State
    package var mode: Mode
    package var skipInvalid: Bool
    package var format: String?
    package var bytes: Int
    package var progress = Progress()
    package var report = Report()
    /// Every refused row, sorted by row (only in the final state, to keep progress polls small).
    package var problems: [ImportProblem]?
    /// Non-fatal observations (unknown columns ignored, CP949 decoding, …).
    package var warnings: [String] = []
    /// Why the import as a whole failed; `row` in the message when the file points at one.
    package var error: ContractError?
    package var startedAt: Date
    package var finishedAt: Date?
    /// Who started it (account, or `token:name`).
    package var startedBy: String?

    /// Whether the job reached a final state.
    package var isFinished: Bool { state == .done || state == .failed }
}
