import CCTVContract
import Foundation
import ServiceRuntime

/// The open imports of registry replicas, in their shared PostgreSQL (table `importJob`): each step
/// of an import (begin, rows, commit) may reach another replica. A job is stored whole, sealed with
/// the data folder's key (its rows may carry stream passwords), read before a step and written back
/// after it: a step costs the job's size twice, so a whole import grows with the square of its
/// batches (measured, debug build on a loaded 2-core machine, `SharedStoreTests`: 20,000 rows in 20
/// batches alternating between 2 replicas staged in 55 s, committed 87 s later (the commit is the
/// same code as on one registry). A single registry keeps them in memory.
struct SharedImportJobs: Sendable {
    let store: CameraStore

    static let postgresMigration = PostgresMigration("v4 shared import jobs", [
        "CREATE TABLE importJob (id text PRIMARY KEY, job text NOT NULL, touched timestamptz NOT NULL)",
    ])

    /// Opens a job; `nil` when it opened, else the refusal (already open, too many open).
    func begin(_ importID: String, job: ImportStaging.Job, limits: ImportStaging.Limits, now: Date = Date()) throws(ContractError) -> ContractError? {
        let sealed = try seal(job)
        return try store.write { db -> ContractError? in
            let cutoff = now.addingTimeInterval(-limits.idleExpiry.seconds)
            try db.execute("DELETE FROM importJob WHERE touched < ?", cutoff)
            if try db.row("SELECT id FROM importJob WHERE id = ?", importID) != nil {
                return ContractError(code: "bad_request", field: "importID", message: "import \(importID) is already open")
            }
            let open = try db.row("SELECT COUNT(*) AS n FROM importJob")?.int("n") ?? 0
            if open >= limits.maxOpenImports {
                return ContractError(code: "busy", message: "\(open) imports are already in progress; wait for one to finish (the limit is \(limits.maxOpenImports))")
            }
            try db.execute("INSERT INTO importJob (id, job, touched) VALUES (?, ?, ?)", importID, sealed, now)
            return nil
        }
    }

    /// The open job, or `nil`.
    func load(_ importID: String, limits: ImportStaging.Limits, now: Date = Date()) throws(ContractError) -> ImportStaging.Job? {
        let cutoff = now.addingTimeInterval(-limits.idleExpiry.seconds)
        guard let sealed = try store.read({ db in try db.row("SELECT job FROM importJob WHERE id = ? AND touched >= ?", importID, cutoff)?.string("job") })
        else { return nil }
        return try open(sealed)
    }

    /// Writes the job back (refreshing its idle timer).
    func save(_ importID: String, _ job: ImportStaging.Job, now: Date = Date()) throws(ContractError) {
        let sealed = try seal(job)
        try store.write { db in try db.execute("UPDATE importJob SET job = ?, touched = ? WHERE id = ?", sealed, now, importID) }
    }

    /// Removes the job and returns it.
    func finish(_ importID: String) throws(ContractError) -> ImportStaging.Job? {
        let sealed = try store.write { db -> String? in
            let job = try db.row("SELECT job FROM importJob WHERE id = ?", importID)?.string("job")
            try db.execute("DELETE FROM importJob WHERE id = ?", importID)
            return job
        }
        return try sealed.map(open)
    }

    private func seal(_ job: ImportStaging.Job) throws(ContractError) -> String {
        do { return try store.secrets.seal(try ContractCodec.encodeValue(job)) } catch {
            throw ContractError(code: "internal", message: "could not store the import: \(error)")
        }
    }

    private func open(_ sealed: String) throws(ContractError) -> ImportStaging.Job {
        do { return try ContractCodec.decodeValue(ImportStaging.Job.self, from: try store.secrets.open(sealed)) } catch {
            throw ContractError(code: "internal", message: "could not read the stored import (another key file on this replica?): \(error)")
        }
    }
}
