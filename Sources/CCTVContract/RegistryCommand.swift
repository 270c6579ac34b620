import Foundation

/// A command to the registry (`registry.command` on `registry/commands`), from the gateway or any MQTT tool:
/// what to do (``Action``, with exactly the fields that action needs) and who asks.
///
/// On the wire it is one flat object named by its `action` field, e.g.
/// `{"action":"update","id":"CAM-1","camera":{…},"expectedVersion":3,"actor":"kim"}`; a required field
/// that is missing is refused with `bad_request` naming it (``ContractError`` thrown while decoding).
public struct RegistryCommand: Codable, Sendable, Equatable {
    /// What the registry is asked to do.
    public enum Action: Sendable, Equatable {
        /// Adds a camera (its `id` is generated when the input has none).
        case create(CameraInput)
        /// Replaces camera `id` with `camera` (whose own `id`, if any, must be the same).
        /// Refused with `version_conflict` when `expectedVersion` is given and differs.
        case update(id: String, camera: CameraInput, expectedVersion: Int?)
        case delete(id: String, expectedVersion: Int?)
        case get(id: String)
        /// A page of cameras.
        case list(CameraListQuery)
        case enable(id: String, expectedVersion: Int?)
        case disable(id: String, expectedVersion: Int?)
        /// Opens a bulk import with the fields the file carries (the others keep their stored value
        /// on update); rows follow in `importRows` batches.
        case importBegin(importID: String, columns: [ImportField])
        /// Stages a batch of at most 1,000 rows; the reply lists this batch's refused rows.
        case importRows(importID: String, rows: [ImportRow])
        /// Applies every staged row in one transaction: all or nothing unless `skipInvalid`.
        case importCommit(importID: String, skipInvalid: Bool)
        /// Discards a staged import (also what a dry run ends with).
        case importAbort(importID: String)
        /// Partial update of camera `id`: only the fields in `patch` change.
        case patch(id: String, patch: CameraPatch, expectedVersion: Int?)
        /// Deletes every camera in `ids` (at most 1,000) in one transaction.
        case bulkDelete(ids: [String])
        /// Stream credentials of camera `id`, for probers; answered only on a response topic.
        case credentials(id: String)

        /// The wire name (the JSON `action` field).
        public var name: Name {
            switch self {
            case .create: .create
            case .update: .update
            case .delete: .delete
            case .get: .get
            case .list: .list
            case .enable: .enable
            case .disable: .disable
            case .importBegin: .importBegin
            case .importRows: .importRows
            case .importCommit: .importCommit
            case .importAbort: .importAbort
            case .patch: .patch
            case .bulkDelete: .bulkDelete
            case .credentials: .credentials
            }
        }

        /// The one camera it is about, when it names one.
        public var cameraID: String? {
            switch self {
            case let .create(camera): camera.id
            case let .update(id, _, _), let .delete(id, _), let .get(id), let .enable(id, _), let .disable(id, _),
                 let .patch(id, _, _), let .credentials(id):
                id
            case .list, .importBegin, .importRows, .importCommit, .importAbort, .bulkDelete: nil
            }
        }

        /// Whether it changes the fleet (a command worth remembering, so a repeat is not applied twice).
        public var changesFleet: Bool {
            switch self {
            case .create, .update, .patch, .enable, .disable, .delete, .bulkDelete: true
            case .get, .list, .importBegin, .importRows, .importCommit, .importAbort, .credentials: false
            }
        }
    }

    /// The names of the actions, as the JSON `action` field spells them.
    public enum Name: String, Codable, Sendable, CaseIterable {
        case create, update, delete, get, list, enable, disable
        case importBegin, importRows, importCommit, importAbort
        case patch, bulkDelete, credentials
    }

    public var action: Action
    /// Who asks, as the gateway's signed-in account or token. The registry trusts it only from the
    /// gateway's own MQTT account; from any other account the actor is `mqtt:<account>`.
    public var actor: String?

    public init(_ action: Action, actor: String? = nil) {
        self.action = action
        self.actor = actor
    }
}

/// Which cameras a `list` command asks for: a filter, an order and a page.
public struct CameraListQuery: Sendable, Equatable {
    /// Free-text filter over id, name, address, site.
    public var query: String?
    public var site: String?
    /// Only this group.
    public var group: String?
    /// Only enabled (true) or disabled (false) cameras.
    public var enabled: Bool?
    /// `id` (default), `name`, `address`, `site`, `updatedAt`; a leading `-` sorts descending.
    public var sort: String?
    public var offset: Int?
    /// Page size: 100 when absent, at most 1,000.
    public var limit: Int?

    public init(query: String? = nil, site: String? = nil, group: String? = nil, enabled: Bool? = nil, sort: String? = nil,
                offset: Int? = nil, limit: Int? = nil) {
        self.query = query; self.site = site; self.group = group; self.enabled = enabled; self.sort = sort
        self.offset = offset; self.limit = limit
    }
}

extension RegistryCommand {
    /// The flat JSON fields; which ones an action uses is in ``Action``.
    enum CodingKeys: String, CodingKey {
        case action, actor, id, camera, expectedVersion, query, site, group, enabled, sort, offset, limit
        case importID, columns, rows, skipInvalid, patch, ids
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        actor = try c.decodeIfPresent(String.self, forKey: .actor)
        func required<T: Decodable>(_ type: T.Type, _ key: CodingKeys) throws -> T {
            guard let value = try c.decodeIfPresent(type, forKey: key) else { throw ContractError.missing(key.stringValue) }
            return value
        }
        func optional<T: Decodable>(_ type: T.Type, _ key: CodingKeys) throws -> T? { try c.decodeIfPresent(type, forKey: key) }
        switch try c.decode(Name.self, forKey: .action) {
        case .create:
            action = .create(try required(CameraInput.self, .camera))
        case .update:
            // An older tool may name the camera only inside `camera`.
            let camera = try optional(CameraInput.self, .camera)
            guard let id = try optional(String.self, .id) ?? camera?.id else { throw ContractError.missing("id") }
            guard let camera else { throw ContractError.missing("camera") }
            action = .update(id: id, camera: camera, expectedVersion: try optional(Int.self, .expectedVersion))
        case .delete:
            action = .delete(id: try required(String.self, .id), expectedVersion: try optional(Int.self, .expectedVersion))
        case .get:
            action = .get(id: try required(String.self, .id))
        case .list:
            action = .list(CameraListQuery(query: try optional(String.self, .query), site: try optional(String.self, .site),
                                           group: try optional(String.self, .group), enabled: try optional(Bool.self, .enabled),
                                           sort: try optional(String.self, .sort), offset: try optional(Int.self, .offset),
                                           limit: try optional(Int.self, .limit)))
        case .enable:
            action = .enable(id: try required(String.self, .id), expectedVersion: try optional(Int.self, .expectedVersion))
        case .disable:
            action = .disable(id: try required(String.self, .id), expectedVersion: try optional(Int.self, .expectedVersion))
        case .importBegin:
            let importID = try required(String.self, .importID)
            guard let columns = try optional([ImportField].self, .columns) else { throw ContractError.importColumnsMissing }
            action = .importBegin(importID: importID, columns: columns)
        case .importRows:
            action = .importRows(importID: try required(String.self, .importID), rows: try required([ImportRow].self, .rows))
        case .importCommit:
            action = .importCommit(importID: try required(String.self, .importID), skipInvalid: try optional(Bool.self, .skipInvalid) ?? false)
        case .importAbort:
            action = .importAbort(importID: try required(String.self, .importID))
        case .patch:
            let id = try required(String.self, .id)
            action = .patch(id: id, patch: try required(CameraPatch.self, .patch), expectedVersion: try optional(Int.self, .expectedVersion))
        case .bulkDelete:
            action = .bulkDelete(ids: try required([String].self, .ids))
        case .credentials:
            action = .credentials(id: try required(String.self, .id))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(action.name, forKey: .action)
        try c.encodeIfPresent(actor, forKey: .actor)
        switch action {
        case let .create(camera):
            try c.encode(camera, forKey: .camera)
        case let .update(id, camera, expectedVersion):
            try c.encode(id, forKey: .id)
            try c.encode(camera, forKey: .camera)
            try c.encodeIfPresent(expectedVersion, forKey: .expectedVersion)
        case let .delete(id, expectedVersion), let .enable(id, expectedVersion), let .disable(id, expectedVersion):
            try c.encode(id, forKey: .id)
            try c.encodeIfPresent(expectedVersion, forKey: .expectedVersion)
        case let .get(id), let .credentials(id):
            try c.encode(id, forKey: .id)
        case let .list(list):
            try c.encodeIfPresent(list.query, forKey: .query)
            try c.encodeIfPresent(list.site, forKey: .site)
            try c.encodeIfPresent(list.group, forKey: .group)
            try c.encodeIfPresent(list.enabled, forKey: .enabled)
            try c.encodeIfPresent(list.sort, forKey: .sort)
            try c.encodeIfPresent(list.offset, forKey: .offset)
            try c.encodeIfPresent(list.limit, forKey: .limit)
        case let .importBegin(importID, columns):
            try c.encode(importID, forKey: .importID)
            try c.encode(columns, forKey: .columns)
        case let .importRows(importID, rows):
            try c.encode(importID, forKey: .importID)
            try c.encode(rows, forKey: .rows)
        case let .importCommit(importID, skipInvalid):
            try c.encode(importID, forKey: .importID)
            try c.encode(skipInvalid, forKey: .skipInvalid)
        case let .importAbort(importID):
            try c.encode(importID, forKey: .importID)
        case let .patch(id, patch, expectedVersion):
            try c.encode(id, forKey: .id)
            try c.encode(patch, forKey: .patch)
            try c.encodeIfPresent(expectedVersion, forKey: .expectedVersion)
        case let .bulkDelete(ids):
            try c.encode(ids, forKey: .ids)
        }
    }
}

extension ContractError {
    /// A field the action needs was not sent.
    public static func missing(_ field: String) -> ContractError {
        ContractError(code: "bad_request", field: field, message: "\(field) is required for this action")
    }

    /// `importBegin` without the file's columns (or without `address` among them).
    public static let importColumnsMissing = ContractError(code: "bad_request", field: "columns",
                                                    message: "columns must list the fields the file carries, address included")
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
