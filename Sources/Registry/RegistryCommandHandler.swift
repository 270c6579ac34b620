import CCTVContract
import Foundation
import ServiceRuntime

/// Executes registry commands against the store. Pure of any broker: the service publishes what
/// it returns, so both doors (REST via the gateway, MQTT from any tool) behave the same.
package struct RegistryCommandHandler: Sendable {
    /// A change the service must publish after the command committed.
    package enum Change: Sendable, Equatable {
        case upserted(CameraDefinition, created: Bool)
        case deleted(CameraDeleted)
        /// Many changes from one command (an import); published with bounded concurrency.
        case batch([Change])

        var isBatch: Bool { if case .batch = self { true } else { false } }

        /// Each camera's retained state this change publishes (`nil`: the tombstone).
        var retained: [RetainedConfigPublisher.State] {
            switch self {
            case let .upserted(camera, _): [.init(id: camera.id, camera: camera)]
            case let .deleted(deleted): [.init(id: deleted.id, camera: nil)]
            case let .batch(changes): changes.flatMap(\.retained)
            }
        }
    }

    let store: CameraStore
    let imports: ImportStaging
    /// Where stream URLs may point.
    let destinations: DestinationPolicy
    /// The notifier's teams: what `lineTeam` and `vendor` may name.
    package let teams: TeamDirectoryHolder

    /// - Parameter sharedImports: keep open imports in the store (registry replicas: each step of an
    ///   import may reach another replica) instead of in memory.
    package init(store: CameraStore, destinations: DestinationPolicy = DestinationPolicy(), teams: TeamDirectoryHolder = TeamDirectoryHolder(),
                 sharedImports: Bool = false) {
        self.store = store
        self.imports = ImportStaging(shared: sharedImports ? SharedImportJobs(store: store) : nil)
        self.destinations = destinations
        self.teams = teams
    }

    init(store: CameraStore, importLimits: ImportStaging.Limits, teams: TeamDirectoryHolder = TeamDirectoryHolder(), sharedImports: Bool = false) {
        self.store = store
        self.imports = ImportStaging(limits: importLimits, shared: sharedImports ? SharedImportJobs(store: store) : nil)
        self.destinations = DestinationPolicy()
        self.teams = teams
    }

    /// Every check of a camera: its fields (stream URLs against the destination policy), then the teams it names.
    func validated(_ input: CameraInput) throws(ContractError) -> CameraInput {
        let camera = try CameraValidation.validate(input, destinations: destinations)
        try teams.check(camera)
        return camera
    }

    /// Runs one command; never throws: a refusal is a reply with `ok == false`.
    /// - Parameter privateReply: whether the reply goes only to the requester (an MQTT v5 response
    ///   topic); the `credentials` action is refused otherwise, so secrets never reach a shared topic.
    package func handle(_ command: RegistryCommand, commandID: String? = nil, privateReply: Bool = false) -> (reply: RegistryReply, change: Change?) {
        do throws(ContractError) {
            switch command.action {
            case let .create(input):
                let camera = try store.create(validated(input))
                return (RegistryReply(ok: true, commandID: commandID, camera: camera), .upserted(camera, created: true))
            case let .update(id, input, expectedVersion):
                let camera = try update(id: id, input, expectedVersion: expectedVersion)
                return (RegistryReply(ok: true, commandID: commandID, camera: camera), .upserted(camera, created: false))
            case let .enable(id, expectedVersion), let .disable(id, expectedVersion):
                let camera = try store.setEnabled(id: id, command.action.name == .enable, expectedVersion: expectedVersion)
                return (RegistryReply(ok: true, commandID: commandID, camera: camera), .upserted(camera, created: false))
            case let .delete(id, expectedVersion):
                let deleted = try store.delete(id: id, expectedVersion: expectedVersion)
                return (RegistryReply(ok: true, commandID: commandID), .deleted(deleted))
            case let .get(id):
                guard let camera = try store.get(id: id) else {
                    throw ContractError(code: "not_found", field: "id", message: "no camera with id \(id)")
                }
                return (RegistryReply(ok: true, commandID: commandID, camera: camera), nil)
            case let .list(list):
                let limit = min(max(list.limit ?? 100, 1), 1000)
                let page = try store.list(query: list.query, site: list.site, group: list.group, enabled: list.enabled,
                                          sort: list.sort, offset: max(list.offset ?? 0, 0), limit: limit)
                return (RegistryReply(ok: true, commandID: commandID, cameras: page.cameras, total: page.total), nil)
            case let .importBegin(importID, columns):
                return try beginImport(importID, columns: columns, commandID: commandID)
            case let .importRows(importID, rows):
                return try stageImport(importID, rows: rows, commandID: commandID)
            case let .importCommit(importID, skipInvalid):
                return try commitImport(importID, skipInvalid: skipInvalid, commandID: commandID)
            case let .importAbort(importID):
                return try abortImport(importID, commandID: commandID)
            case let .patch(id, patch, expectedVersion):
                // Read and written in one transaction (replicas); expectedVersion still guards
                // against a client patching a camera it has not seen.
                let camera = try store.patch(id: id, expectedVersion: expectedVersion) { current throws(ContractError) in
                    try validated(patch.applied(to: current))
                }
                return (RegistryReply(ok: true, commandID: commandID, camera: camera), .upserted(camera, created: false))
            case let .bulkDelete(ids):
                return try bulkDelete(ids, commandID: commandID)
            case let .credentials(id):
                return try credentials(of: id, commandID: commandID, privateReply: privateReply)
            }
        } catch {
            return (RegistryReply(ok: false, commandID: commandID, error: error), nil)
        }
    }

    /// Replaces camera `id` with `input`; the body may repeat the id but never change it.
    private func update(id: String, _ input: CameraInput, expectedVersion: Int?) throws(ContractError) -> CameraDefinition {
        var input = input
        if let bodyID = input.id, bodyID != id {
            throw ContractError(code: "invalid_field", field: "id", message: "id in the body (\(bodyID)) differs from the camera being updated (\(id)); ids cannot be changed")
        }
        input.id = id
        return try store.update(id: id, validated(input), expectedVersion: expectedVersion)
    }

    /// Deletes up to 1000 cameras at once (repeated ids count once); the reply names those deleted
    /// and those that did not exist.
    private func bulkDelete(_ ids: [String], commandID: String?) throws(ContractError) -> (reply: RegistryReply, change: Change?) {
        guard !ids.isEmpty else { throw ContractError.missing("ids") }
        guard ids.count <= 1000 else {
            throw ContractError(code: "payload_too_large", field: "ids", message: "at most 1000 ids per bulk delete; got \(ids.count)")
        }
        var seen = Set<String>()
        let (deleted, missing) = try store.bulkDelete(ids: ids.filter { seen.insert($0).inserted })
        return (RegistryReply(ok: true, commandID: commandID, deletedIDs: deleted.map(\.id), missingIDs: missing),
                deleted.isEmpty ? nil : .batch(deleted.map(Change.deleted)))
    }

    /// A camera's stream credentials, answered only on a private reply topic.
    private func credentials(of id: String, commandID: String?, privateReply: Bool) throws(ContractError) -> (reply: RegistryReply, change: Change?) {
        guard privateReply else {
            throw ContractError(code: "bad_request", field: "responseTopic",
                                message: "credentials are only answered to a request with an MQTT v5 response topic, never on a shared topic")
        }
        let credentials = try store.credentials(id: id) ?? CameraCredentials(id: id, username: nil, password: nil)
        return (RegistryReply(ok: true, commandID: commandID, credentials: credentials), nil)
    }
}
