import Foundation

/// A command to the registry (`registry.command` on `registry/commands`), from the gateway or any MQTT tool.
public struct RegistryCommand: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable, CaseIterable {
        case create, update, delete, get, list, enable, disable
        /// Opens a bulk import (`importID`, `columns`); rows follow in `importRows` batches.
        case importBegin
        /// Stages a batch of at most 1,000 `rows`; the reply lists this batch's refused rows.
        case importRows
        /// Applies every staged row in one transaction (all or nothing unless `skipInvalid`).
        case importCommit
        /// Discards a staged import (also what a dry run ends with).
        case importAbort
        /// Partial update of camera `id` with `patch`.
        case patch
        /// Deletes every camera in `ids` (at most 1,000) in one transaction.
        case bulkDelete
        /// Stream credentials of camera `id`, for probers; answered only on a response topic.
        case credentials
    }
    public var action: Action
    /// Target camera for update / delete / get / enable / disable.
    public var id: String?
    /// The camera for create / update.
    public var camera: CameraInput?
    /// For update/delete/enable/disable: refuse with `version_conflict` when the stored version differs.
    public var expectedVersion: Int?
    /// For list: free-text filter over id, name, address, site.
    public var query: String?
    public var site: String?
    public var offset: Int?
    public var limit: Int?
    /// For the import actions: the import this step belongs to (1–64 of `A-Z a-z 0-9 . _ -`).
    public var importID: String?
    /// For `importBegin`: the fields the file carries; the others keep their stored value on update.
    public var columns: [ImportField]?
    /// For `importRows`: the batch (at most 1,000).
    public var rows: [ImportRow]?
    /// For `importCommit`: apply the valid rows even though some were refused.
    public var skipInvalid: Bool?
    /// For `patch`: the fields to change.
    public var patch: CameraPatch?
    /// For `bulkDelete`: the cameras to delete.
    public var ids: [String]?
    /// For list: only this group.
    public var group: String?
    /// For list: only enabled (true) or disabled (false) cameras.
    public var enabled: Bool?
    /// For list: `id` (default), `name`, `address`, `site`, `updatedAt`; a leading `-` sorts descending.
    public var sort: String?
    /// Who asks, as the gateway's signed-in account or token. The registry trusts it only from the
    /// gateway's own MQTT account; from any other account the actor is `mqtt:<account>`.
    public var actor: String?

    public init(action: Action, id: String? = nil, camera: CameraInput? = nil, expectedVersion: Int? = nil,
                query: String? = nil, site: String? = nil, offset: Int? = nil, limit: Int? = nil,
                importID: String? = nil, columns: [ImportField]? = nil, rows: [ImportRow]? = nil, skipInvalid: Bool? = nil,
                patch: CameraPatch? = nil, ids: [String]? = nil, group: String? = nil, enabled: Bool? = nil, sort: String? = nil,
                actor: String? = nil) {
        self.action = action; self.id = id; self.camera = camera; self.expectedVersion = expectedVersion
        self.query = query; self.site = site; self.offset = offset; self.limit = limit
        self.importID = importID; self.columns = columns; self.rows = rows; self.skipInvalid = skipInvalid
        self.patch = patch; self.ids = ids; self.group = group; self.enabled = enabled; self.sort = sort
        self.actor = actor
    }
}

/// The registry's answer (`registry.reply`), on the response topic or on `registry/results`.
public struct RegistryReply: Codable, Sendable, Equatable {
    public var ok: Bool
    /// The `id` of the command envelope this answers.
    public var commandID: String?
    public var camera: CameraDefinition?
    public var cameras: [CameraDefinition]?
    public var total: Int?
    public var error: ContractError?
    /// For the import actions.
    public var importResult: ImportResult?
    /// For `bulkDelete`: the ids deleted, and the ids that did not exist.
    public var deletedIDs: [String]?
    public var missingIDs: [String]?
    /// For `credentials` (response topic only).
    public var credentials: CameraCredentials?

    public init(ok: Bool, commandID: String? = nil, camera: CameraDefinition? = nil, cameras: [CameraDefinition]? = nil,
                total: Int? = nil, error: ContractError? = nil, importResult: ImportResult? = nil,
                deletedIDs: [String]? = nil, missingIDs: [String]? = nil, credentials: CameraCredentials? = nil) {
        self.ok = ok; self.commandID = commandID; self.camera = camera; self.cameras = cameras; self.total = total
        self.error = error; self.importResult = importResult
        self.deletedIDs = deletedIDs; self.missingIDs = missingIDs; self.credentials = credentials
    }
}

/// A refusal a user can act on: a stable code, the field at fault, a sentence, and related ids.
public struct ContractError: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    /// Stable machine code: `invalid_field`, `duplicate_address`, `duplicate_id`, `not_found`,
    /// `version_conflict`, `bad_request`, `payload_too_large`, `internal`.
    public var code: String
    public var field: String?
    public var message: String
    /// For duplicates: the camera that already has this address or id.
    public var existingID: String?

    public init(code: String, field: String? = nil, message: String, existingID: String? = nil) {
        self.code = code; self.field = field; self.message = message; self.existingID = existingID
    }

    public var description: String { field.map { "\(code) (\($0)): \(message)" } ?? "\(code): \(message)" }
}
