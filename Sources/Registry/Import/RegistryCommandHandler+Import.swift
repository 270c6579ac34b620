import CCTVContract
import Foundation

/// The bulk-import conversation: begin → rows (batches) → commit or abort. Every row is checked
/// when it arrives (so a dry run reports every refusal without writing) and applied only at commit,
/// all together in one transaction.
extension RegistryCommandHandler {
    /// Opens import `importID` for a file carrying `columns` (address among them).
    func beginImport(_ importID: String, columns: [ImportField], commandID: String?) throws(ContractError) -> (reply: RegistryReply, change: Change?) {
        try Self.checkImportID(importID)
        guard columns.contains(.address) else { throw ContractError.importColumnsMissing }
        try imports.begin(importID, columns: Set(columns))
        return (RegistryReply(ok: true, commandID: commandID, importResult: ImportResult(importID: importID)), nil)
    }

    /// Checks and stages one batch of rows.
    func stageImport(_ importID: String, rows: [ImportRow], commandID: String?) throws(ContractError) -> (reply: RegistryReply, change: Change?) {
        try Self.checkImportID(importID)
        guard !rows.isEmpty else { throw ContractError.missing("rows") }
        guard rows.count <= imports.limits.maxRowsPerBatch else {
            throw ContractError(code: "payload_too_large", field: "rows", message: "at most \(imports.limits.maxRowsPerBatch) rows per batch; got \(rows.count)")
        }
        let result = try stage(rows, importID: importID)
        return (RegistryReply(ok: true, commandID: commandID, importResult: result), nil)
    }

    /// Applies every staged row in one transaction (refused rows block it unless `skipInvalid`).
    func commitImport(_ importID: String, skipInvalid: Bool, commandID: String?) throws(ContractError) -> (reply: RegistryReply, change: Change?) {
        try Self.checkImportID(importID)
        let refused = try imports.withJob(importID) { job throws(ContractError) in job.refused }
        if refused > 0 && !skipInvalid {
            throw ContractError(code: "import_rejected", field: "skipInvalid",
                                message: "\(refused) rows of import \(importID) were refused, so nothing is applied (all or nothing); fix the file, or commit with skipInvalid to apply the other rows")
        }
        guard let job = try imports.finish(importID) else { throw ContractError(code: "not_found", field: "importID", message: "no open import \(importID)") }
        var (result, changes) = try store.applyImport(job.rows, columns: job.columns, importID: importID, skipInvalid: skipInvalid)
        result.staged = job.rows.count
        return (RegistryReply(ok: result.applied, commandID: commandID,
                              error: result.applied ? nil : ContractError(code: "import_rejected", message: "\(result.rejected.count) rows conflict with the fleet as it is now (it changed after they were checked); nothing was applied"),
                              importResult: result),
                changes.isEmpty ? nil : .batch(changes))
    }

    /// Discards a staged import.
    func abortImport(_ importID: String, commandID: String?) throws(ContractError) -> (reply: RegistryReply, change: Change?) {
        try Self.checkImportID(importID)
        let job = try imports.finish(importID)
        return (RegistryReply(ok: true, commandID: commandID, importResult: ImportResult(importID: importID, staged: job?.rows.count ?? 0)), nil)
    }

    static func checkImportID(_ importID: String) throws(ContractError) {
        guard CameraValidation.isValidID(importID) else {
            throw ContractError(code: "invalid_field", field: "importID", message: "importID must be 1–64 letters, digits, '.', '_' or '-'")
        }
    }

    /// Checks one batch: each row validated, then against the rest of the file, then against the
    /// stored fleet; accepted rows wait for commit. Returns this batch's counts and refusals.
    func stage(_ rows: [ImportRow], importID: String) throws(ContractError) -> ImportResult {
        var result = ImportResult(importID: importID)
        var accepted: [ImportRow] = []
        try imports.withJob(importID) { job throws(ContractError) in
            guard job.rows.count + job.refused + rows.count <= imports.limits.maxRowsPerImport else {
                throw ContractError(code: "too_many_rows", field: "rows", message: "an import holds at most \(imports.limits.maxRowsPerImport) rows")
            }
            for row in rows {
                let camera: CameraInput
                do throws(ContractError) {
                    camera = try validated(row.camera)
                } catch {
                    result.rejected.append(ImportProblem(row: row.row, field: error.field, reason: error.code, message: "Row \(row.row): \(error.message)"))
                    continue
                }
                if let first = job.seenAddress[camera.address] {
                    result.rejected.append(ImportProblem(row: row.row, field: "address", reason: "duplicate_address",
                                                         message: "Row \(row.row): address \(camera.address) already appears on row \(first) of this file"))
                    continue
                }
                if let id = camera.id, let first = job.seenID[id] {
                    result.rejected.append(ImportProblem(row: row.row, field: "id", reason: "duplicate_id",
                                                         message: "Row \(row.row): id \(id) already appears on row \(first) of this file"))
                    continue
                }
                job.seenAddress[camera.address] = row.row
                if let id = camera.id { job.seenID[id] = row.row }
                accepted.append(ImportRow(row: row.row, camera: camera))
            }
            let outcomes = try store.classifyImport(accepted.map(\.camera), columns: job.columns)
            var staged: [ImportRow] = []
            for (row, outcome) in zip(accepted, outcomes) {
                switch outcome {
                case .success(.create): result.created += 1
                case .success(.update): result.updated += 1
                case .success(.unchanged): result.unchanged += 1
                case let .failure(refusal):
                    result.rejected.append(ImportProblem(row: row.row, field: refusal.field, reason: refusal.code,
                                                         message: "Row \(row.row): \(refusal.message)", existingID: refusal.existingID))
                    continue
                }
                staged.append(row)
            }
            job.rows.append(contentsOf: staged)
            job.refused += result.rejected.count
            job.created += result.created; job.updated += result.updated; job.unchanged += result.unchanged
            result.staged = job.rows.count
        }
        result.rejected.sort { $0.row < $1.row }
        return result
    }
}
