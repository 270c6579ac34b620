import CCTVContract
import Foundation
import Synchronization

/// Bulk imports in progress: rows arrive in batches (`importRows`) and wait here, already checked,
/// until `importCommit` applies them in one transaction. Kept in memory on purpose: an import is a
/// short-lived conversation; if the registry restarts mid-import the next step answers `not_found`
/// and the sender starts over, and nothing was written. Registry replicas keep them in their shared
/// store instead (``SharedImportJobs``), since each step may reach another replica.
final class ImportStaging: Sendable {
    /// Bounds that keep a forgotten or hostile import from exhausting the registry.
    struct Limits: Sendable {
        var maxOpenImports = 4
        var maxRowsPerImport = 100_000
        var maxRowsPerBatch = 1_000
        var idleExpiry: Duration = .seconds(900)
    }

    struct Job: Codable {
        var columns: Set<ImportField>
        var rows: [ImportRow] = []
        var refused = 0
        var created = 0, updated = 0, unchanged = 0
        /// Address / id → the file row that first used it, to refuse the same camera twice in one file.
        var seenAddress: [String: Int] = [:]
        var seenID: [String: Int] = [:]
        /// In memory only (a stored job has its `touched` column).
        var touched = ContinuousClock.now

        enum CodingKeys: String, CodingKey { case columns, rows, refused, created, updated, unchanged, seenAddress, seenID }
    }

    let limits: Limits
    private let jobs = Mutex<[String: Job]>([:])
    /// Where replicas keep their jobs; `nil`: in memory here.
    private let shared: SharedImportJobs?

    init(limits: Limits = Limits(), shared: SharedImportJobs? = nil) {
        self.limits = limits
        self.shared = shared
    }

    func begin(_ importID: String, columns: Set<ImportField>) throws(ContractError) {
        if let shared {
            if let refusal = try shared.begin(importID, job: Job(columns: columns), limits: limits) { throw refusal }
            return
        }
        let now = ContinuousClock.now
        let refusal: ContractError? = jobs.withLock { jobs in
            jobs = jobs.filter { now - $0.value.touched < limits.idleExpiry }
            if jobs[importID] != nil { return ContractError(code: "bad_request", field: "importID", message: "import \(importID) is already open") }
            if jobs.count >= limits.maxOpenImports {
                return ContractError(code: "busy", message: "\(jobs.count) imports are already in progress; wait for one to finish (the limit is \(limits.maxOpenImports))")
            }
            jobs[importID] = Job(columns: columns, touched: now)
            return nil
        }
        if let refusal { throw refusal }
    }

    /// Runs `body` on the open job, refreshing its idle timer.
    func withJob<T>(_ importID: String, _ body: (inout Job) throws(ContractError) -> T) throws(ContractError) -> T {
        if let shared {
            // Read, changed outside any transaction (the body reads the store itself), written back:
            // the steps of one import come one after the other from its sender.
            guard var job = try shared.load(importID, limits: limits) else { throw Self.notOpen(importID) }
            do throws(ContractError) {
                let value = try body(&job)
                try shared.save(importID, job)
                return value
            } catch {
                try shared.save(importID, job)
                throw error
            }
        }
        let outcome: Result<T, ContractError> = jobs.withLock { jobs in
            // Taken out, not copied out: a copy left in the dictionary made every batch's appends
            // copy the job's rows and both "seen" tables (100,000 rows in batches of 1,000: ~35 %
            // of the registry's CPU in a `perf` profile of a 100k import, the apply 2× slower).
            guard var job = jobs.removeValue(forKey: importID) else { return .failure(Self.notOpen(importID)) }
            job.touched = .now
            do throws(ContractError) {
                let value = try body(&job)
                jobs[importID] = job
                return .success(value)
            } catch {
                jobs[importID] = job
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    static func notOpen(_ importID: String) -> ContractError {
        ContractError(code: "not_found", field: "importID",
                      message: "no open import \(importID): it was committed or aborted, idle for more than 15 minutes, or the registry restarted; start it again")
    }

    /// Removes and returns the job.
    func finish(_ importID: String) throws(ContractError) -> Job? {
        if let shared { return try shared.finish(importID) }
        return jobs.withLock { $0.removeValue(forKey: importID) }
    }
}
