import CCTVContract
import Foundation

/// One bulk import as `GET /api/imports/{id}` shows it: where it is, how far it got, and in the end
/// the full report (every refused row with its Excel row number, column and reason).
public struct ImportJob: Codable, Sendable {
    /// `parsing` → `checking` → `applying` → `done`, or `failed` (the file as a whole was refused,
    /// or the registry could not be reached).
    public enum State: String, Codable, Sendable { case parsing, checking, applying, done, failed }
    /// `validate` is the dry run: every check, nothing written.
    public enum Mode: String, Codable, Sendable { case validate, apply }

    /// Rows counted at each stage, for progress bars.
    public struct Progress: Codable, Sendable {
        /// Data rows in the file (known after parsing).
        public var rows = 0
        /// Rows read and checked cell by cell.
        public var parsed = 0
        /// Rows checked by the registry against the rest of the file and the stored fleet.
        public var validated = 0
        /// Rows written (all at once, at commit).
        public var applied = 0
    }

    /// The outcome. In `validate` mode (or when rows were refused without `skipInvalid`) the counts
    /// say what applying would do, and `applied` is false.
    public struct Report: Codable, Sendable {
        public var created = 0
        public var updated = 0
        public var unchanged = 0
        /// Distinct rows refused.
        public var rejectedRows = 0
        public var applied = false
    }

    public var id: String
    public var state: State
    public var mode: Mode
    public var skipInvalid: Bool
    public var format: String?
    public var bytes: Int
    public var progress = Progress()
    public var report = Report()
    /// Every refused row, sorted by row (only in the final state, to keep progress polls small).
    public var problems: [ImportProblem]?
    /// Non-fatal observations (unknown columns ignored, CP949 decoding, …).
    public var warnings: [String] = []
    /// Why the import as a whole failed; `row` in the message when the file points at one.
    public var error: ContractError?
    public var startedAt: Date
    public var finishedAt: Date?
    /// Who started it (account, or `token:name`).
    public var startedBy: String?

    /// Whether the job reached a final state.
    public var isFinished: Bool { state == .done || state == .failed }
}
