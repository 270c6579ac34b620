import CCTVContract
import Foundation
import ServiceRuntime

/// What one import row does to the fleet: upsert by id when the row has one, else by address.
enum ImportOutcome: Equatable {
    case create
    case update(existingID: String)
    case unchanged(existingID: String)
}

extension CameraStore {
    /// Every field of a stored camera but its credentials (sealed, never read back): the base an
    /// import row or a patch is merged onto. Credentials come only from what the client sends.
    static func storedInput(_ row: SQLRow) -> CameraInput {
        CameraInput(
            id: row.string("id"), name: row.string("name"), address: row.string("address") ?? "", hlsURL: row.string("hlsURL"),
            site: row.string("site"), location: row.string("location"),
            latitude: row.double("latitude"), longitude: row.double("longitude"), group: row.string("grp"),
            tags: (try? JSONDecoder().decode([String].self, from: Data((row.string("tags") ?? "[]").utf8))) ?? [],
            lineTeam: row.string("lineTeam"), vendor: row.string("vendor"), enabled: row.bool("enabled") ?? true, intervalSeconds: row.int("intervalSeconds"),
            checks: checks(row))
    }

    /// Overlays the fields an import file carries onto the stored camera. Credentials an import leaves
    /// empty are kept: exports never contain them, so a round trip must not erase them.
    static func merge(_ input: CameraInput, onto stored: CameraInput, columns: Set<ImportField>) -> CameraInput {
        var merged = stored
        for field in columns {
            switch field {
            case .id, .address: break
            case .name: merged.name = input.name ?? input.address
            case .hlsURL: merged.hlsURL = input.hlsURL
            case .username: if let username = input.username { merged.username = username }
            case .password: if let password = input.password { merged.password = password }
            case .site: merged.site = input.site
            case .location: merged.location = input.location
            case .latitude: merged.latitude = input.latitude
            case .longitude: merged.longitude = input.longitude
            case .group: merged.group = input.group
            case .tags: merged.tags = input.tags ?? []
            case .lineTeam: merged.lineTeam = input.lineTeam
            case .vendor: merged.vendor = input.vendor
            case .enabled: merged.enabled = input.enabled ?? true
            case .intervalSeconds: merged.intervalSeconds = input.intervalSeconds
            case .rtspURL: merged.checks = (merged.checks ?? CameraChecks()).with { $0.rtspURL = input.checks?.rtspURL }
            case .onvifURL: merged.checks = (merged.checks ?? CameraChecks()).with { $0.onvifURL = input.checks?.onvifURL }
            case .picture: merged.checks = (merged.checks ?? CameraChecks()).with { $0.picture = input.checks?.picture }
            case .pictureCrop: merged.checks = (merged.checks ?? CameraChecks()).with { $0.pictureCrop = input.checks?.pictureCrop }
            case .onvifEvents: merged.checks = (merged.checks ?? CameraChecks()).with { $0.onvifEvents = input.checks?.onvifEvents }
            }
        }
        if merged.checks?.isEmpty == true { merged.checks = nil }
        merged.address = input.address
        return merged
    }

    /// A new camera from an import row: fields the file lacks take their defaults.
    static func fresh(_ input: CameraInput) -> CameraInput {
        var camera = input
        camera.name = input.name ?? input.address
        camera.tags = input.tags ?? []
        camera.enabled = input.enabled ?? true
        return camera
    }

    /// Decides what a validated row does, reading the database as it stands (inside the caller's
    /// transaction, so rows applied earlier in the same import are seen).
    /// - Throws: ``ContractError`` `duplicate_address` naming the camera that holds the address.
    static func classify(_ db: any SQLConnection, _ input: CameraInput, columns: Set<ImportField>) throws -> (ImportOutcome, CameraInput) {
        var existing: SQLRow?
        if let id = input.id {
            existing = try db.row("SELECT * FROM camera WHERE id = ?", id)
        }
        let holder = try db.row("SELECT * FROM camera WHERE address = ?", input.address)
        if let holder {
            let holderID = holder.string("id") ?? ""
            if let id = input.id, holderID != id {
                throw ContractError(code: "duplicate_address", field: "address",
                                    message: "address \(input.address) is already registered as camera \(holderID), not \(id)", existingID: holderID)
            }
            existing = existing ?? holder
        }
        guard let existing else {
            _ = try StreamCredentialBinding.decide(storedOrigin: nil, input: input)
            return (.create, fresh(input))
        }
        let stored = storedInput(existing)
        var merged = merge(input, onto: stored, columns: columns)
        merged.id = stored.id
        // The same rule as a single update: a stream moved to another origin needs its credentials again.
        _ = try StreamCredentialBinding.decide(storedOrigin: existing.string("credentialsOrigin"), input: merged)
        let existingID = stored.id ?? ""
        return (merged == stored ? .unchanged(existingID: existingID) : .update(existingID: existingID), merged)
    }

    /// Applies staged import rows in ONE write transaction. With `skipInvalid == false` a single row
    /// that no longer fits (the fleet changed after staging) rolls everything back.
    /// - Returns: the result (counts, rows refused now, `applied == false` when rolled back) and the
    ///   cameras to publish.
    func applyImport(_ rows: [ImportRow], columns: Set<ImportField>, importID: String, skipInvalid: Bool,
                     now: Date = Date()) throws(ContractError) -> (ImportResult, [RegistryCommandHandler.Change]) {
        struct RolledBack: Error { var result: ImportResult }
        do {
            return try database.write { db in
                try Self.takeWriteTurn(db)
                var result = ImportResult(importID: importID)
                var changes: [RegistryCommandHandler.Change] = []
                changes.reserveCapacity(rows.count)
                let update = """
                    UPDATE camera SET address = ?, name = ?, hlsURL = ?, credentials = ?, credentialsOrigin = ?, site = ?, location = ?,
                      latitude = ?, longitude = ?, grp = ?, tags = ?, lineTeam = ?, vendor = ?, enabled = ?, intervalSeconds = ?,
                      checks = ?, updatedAt = ?, version = version + 1 WHERE id = ?
                    """
                for row in rows {
                    let outcome: ImportOutcome, camera: CameraInput
                    do {
                        (outcome, camera) = try Self.classify(db, row.camera, columns: columns)
                    } catch let refusal as ContractError {
                        result.rejected.append(ImportProblem(row: row.row, field: refusal.field, reason: refusal.code,
                                                             message: "Row \(row.row): \(refusal.message)", existingID: refusal.existingID))
                        continue
                    }
                    switch outcome {
                    case .unchanged:
                        result.unchanged += 1
                    case .create:
                        let id = try camera.id ?? Self.nextID(db)
                        let credentials = try credentialColumns(StreamCredentialBinding.decide(storedOrigin: nil, input: camera), current: nil)
                        try db.execute(Self.insertSQL, Self.arguments(camera, id: id, credentials: credentials) + [.date(now), .date(now)])
                        try db.execute("DELETE FROM tombstone WHERE id = ?", id)
                        result.created += 1
                        if let definition = try Self.fetch(db, id: id) { changes.append(.upserted(definition, created: true)) }
                    case let .update(existingID):
                        let credentials = try credentialColumns(db, id: existingID, input: camera)
                        try db.execute(update, Self.fieldValues(camera, credentials: credentials) + [.date(now), .text(existingID)])
                        result.updated += 1
                        if let definition = try Self.fetch(db, id: existingID) { changes.append(.upserted(definition, created: false)) }
                    }
                }
                if !result.rejected.isEmpty && !skipInvalid {
                    throw RolledBack(result: result)
                }
                result.applied = true
                return (result, changes)
            }
        } catch let rolledBack as RolledBack {
            // The transaction was rolled back: nothing was created or updated.
            var result = rolledBack.result
            result.created = 0; result.updated = 0; result.unchanged = 0
            return (result, [])
        } catch let error as ContractError {
            throw error
        } catch {
            throw ContractError(code: "internal", message: "storage error: \(error)")
        }
    }

    /// Classifies rows without writing: the dry run and the staging check.
    func classifyImport(_ rows: [CameraInput], columns: Set<ImportField>) throws(ContractError) -> [Result<ImportOutcome, ContractError>] {
        do {
            return try database.read { db in
                try rows.map { input in
                    do { return .success(try Self.classify(db, input, columns: columns).0) } catch let refusal as ContractError { return .failure(refusal) }
                }
            }
        } catch let error as ContractError {
            throw error
        } catch {
            throw ContractError(code: "internal", message: "storage error: \(error)")
        }
    }
}
