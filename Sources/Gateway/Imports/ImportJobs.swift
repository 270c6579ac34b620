import CCTVContract
import FleetFile
import Foundation
import Logging

/// Runs bulk imports for the REST API. The gateway parses the uploaded file (FleetFile), so a file of
/// tens of megabytes never crosses the broker: the registry receives checked rows in batches of at
/// most 500 (and well under the 256 KiB message limit) inside one import, and applies them all in one
/// transaction at commit. The registry checks every row again: any MQTT tool can import the same way.
package actor ImportJobs {
    /// Sends one command to the registry and waits at most the given time for its reply.
    package typealias Send = @Sendable (RegistryCommand, Duration) async throws -> RegistryReply

    /// Bounds for uploads and for the jobs kept in memory.
    package struct Limits: Sendable {
        /// Largest upload (the REST body cap).
        package var maxBytes = 64 << 20
        /// Most data rows in one file.
        package var maxRows = 100_000
        /// Rows per `importRows` message.
        package var batchRows = 500
        /// Encoded size above which a batch is split (the broker's per-message limit is 256 KiB).
        package var batchBytes = 160 * 1024
        /// Imports running at once.
        package var maxRunning = 2
        /// Finished jobs kept for `GET /api/imports/{id}`.
        package var keepFinished = 50
        package init() {}
    }

    let send: Send
    let limits: Limits
    let logger: Logger
    private var jobs: [String: ImportJob] = [:]
    private var order: [String] = []

    package init(limits: Limits = Limits(), logger: Logger = Logger(label: "gateway.imports"), send: @escaping Send) {
        self.send = send
        self.limits = limits
        self.logger = logger
    }

    /// The job, or nil when unknown (or long forgotten).
    package func job(_ id: String) -> ImportJob? { jobs[id] }

    /// Accepts an upload and starts checking (and, in `apply` mode, applying) it in the background.
    /// - Parameter actor: who starts it (the signed-in account or token), the actor of every registry command.
    /// - Throws: ``ContractError`` `busy` when too many imports run already.
    package func start(data: Data, format: FleetFileFormat?, mode: ImportJob.Mode, skipInvalid: Bool, actor: String? = nil) throws(ContractError) -> ImportJob {
        let running = jobs.values.filter { !$0.isFinished }.count
        guard running < limits.maxRunning else {
            throw ContractError(code: "busy", message: "\(running) imports are running; wait for one to finish and upload again")
        }
        let id = "imp-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let job = ImportJob(id: id, state: .parsing, mode: mode, skipInvalid: skipInvalid, format: format?.rawValue,
                            bytes: data.count, startedAt: Date(), startedBy: actor)
        jobs[id] = job
        order.append(id)
        forgetOldJobs()
        Task { await self.run(id: id, data: data, format: format) }
        return job
    }

    private func forgetOldJobs() {
        let finished = order.filter { jobs[$0]?.isFinished ?? true }
        for id in finished.dropLast(limits.keepFinished) {
            jobs[id] = nil
            order.removeAll { $0 == id }
        }
    }

    private func update(_ id: String, _ body: (inout ImportJob) -> Void) {
        guard var job = jobs[id] else { return }
        body(&job)
        jobs[id] = job
    }

    private func fail(_ id: String, _ error: ContractError, problems: [ImportProblem] = []) {
        update(id) { job in
            job.state = .failed
            job.error = error
            job.problems = problems
            job.finishedAt = Date()
        }
        logger.notice("import failed", metadata: ["import": "\(id)", "error": "\(error)"])
    }

    /// The whole import of one upload: parse, check every row at the registry, then commit or abort.
    private func run(id: String, data: Data, format: FleetFileFormat?) async {
        guard let job = jobs[id] else { return }
        let send = sending(as: job.startedBy)
        let file: FleetFileParseResult
        switch await Self.parse(data, format: format, limits: limits) {
        case let .failure(error):
            let message = error.row.map { "Row \($0): \(error.message)" } ?? error.message
            return fail(id, ContractError(code: error.code.rawValue, message: message))
        case let .success(result):
            file = result
        }
        markChecking(id, file: file)
        var problems = file.rejected.map(Self.problem)
        var report = ImportJob.Report()
        do {
            try await checkRows(of: file, id: id, send: send, report: &report, problems: &problems)
            problems.sort { ($0.row, $0.column ?? "") < ($1.row, $1.column ?? "") }
            report.rejectedRows = Set(problems.map(\.row)).count
            guard try await commitOrAbort(job, id: id, send: send, report: &report, problems: problems) else { return }
            finish(id, mode: job.mode, report: report, problems: problems)
        } catch let error as ContractError {
            _ = try? await send(RegistryCommand(.importAbort(importID: id)), .seconds(10))
            fail(id, error, problems: problems)
        } catch {
            _ = try? await send(RegistryCommand(.importAbort(importID: id)), .seconds(10))
            fail(id, ContractError(code: "registry_unavailable", message: "the registry did not answer: \(error); nothing was applied"), problems: problems)
        }
    }

    /// The registry sender with every command signed by the account that started the import.
    private func sending(as actor: String?) -> Send {
        { command, timeout in
            var command = command
            command.actor = actor
            return try await self.send(command, timeout)
        }
    }

    /// Parses the upload away from the actor: parsing is CPU work of seconds for 100,000 rows.
    private static func parse(_ data: Data, format: FleetFileFormat?, limits: Limits) async -> Result<FleetFileParseResult, FleetFileError> {
        await Task.detached {
            do throws(FleetFileError) {
                let name = "upload." + (format?.fileExtension ?? "dat")
                return .success(try FleetFileParser.parse(data: data, filename: name, limits: .init(maxBytes: limits.maxBytes, maxRows: limits.maxRows)))
            } catch { return .failure(error) }
        }.value
    }

    /// Records what parsing found (format, row counts, warnings) and moves the job to `checking`.
    private func markChecking(_ id: String, file: FleetFileParseResult) {
        let rowsInFile = file.rows.count + file.rejectedRowCount
        update(id) { job in
            job.format = file.format.rawValue
            job.state = .checking
            job.progress.rows = rowsInFile
            job.progress.parsed = rowsInFile
            job.progress.validated = file.rejectedRowCount
            job.warnings = file.warnings.map(\.message)
        }
    }

    /// Opens the import at the registry and sends the file's rows in batches to be checked (nothing is
    /// written yet), adding the registry's counts to `report` and its rejections, named by the file's
    /// own column headers, to `problems`.
    private func checkRows(of file: FleetFileParseResult, id: String, send: Send,
                           report: inout ImportJob.Report, problems: inout [ImportProblem]) async throws {
        let columns = file.columns.keys.map(Self.field)
        let headerOf = Dictionary(uniqueKeysWithValues: file.columns.map { (Self.field($0.key).rawValue, $0.value) })
        try await expectOK(send(RegistryCommand(.importBegin(importID: id, columns: columns)), .seconds(30)))
        for batch in batches(file.rows.map(Self.importRow)) {
            let reply = try await expectOK(send(RegistryCommand(.importRows(importID: id, rows: batch)), .seconds(60)))
            if let result = reply.importResult {
                report.created += result.created; report.updated += result.updated; report.unchanged += result.unchanged
                problems += result.rejected.map { problem in
                    var problem = problem
                    problem.column = problem.field.flatMap { headerOf[$0] }
                    return problem
                }
            }
            update(id) { $0.progress.validated += batch.count }
        }
    }

    /// Commits the checked import when the job applies, nothing blocks it and something changes;
    /// aborts it otherwise. Returns false when the registry refused the commit (the job has failed then).
    private func commitOrAbort(_ job: ImportJob, id: String, send: Send,
                               report: inout ImportJob.Report, problems: [ImportProblem]) async throws -> Bool {
        let commit = job.mode == .apply && (problems.isEmpty || job.skipInvalid) && report.created + report.updated > 0
        guard commit else {
            _ = try? await send(RegistryCommand(.importAbort(importID: id)), .seconds(30))
            // Nothing to write is still a successful apply: the fleet already matches the file.
            report.applied = job.mode == .apply && (problems.isEmpty || job.skipInvalid)
            return true
        }
        update(id) { $0.state = .applying }
        let reply = try await send(RegistryCommand(.importCommit(importID: id, skipInvalid: job.skipInvalid)), .seconds(600))
        guard let result = reply.importResult, reply.ok else {
            let late = reply.importResult?.rejected ?? []
            fail(id, reply.error ?? ContractError(code: "internal", message: "the registry refused the commit without a reason"),
                 problems: (problems + late).sorted { $0.row < $1.row })
            return false
        }
        report.created = result.created; report.updated = result.updated; report.unchanged = result.unchanged
        report.applied = true
        return true
    }

    /// Marks the job done with its report and problems, and logs the outcome.
    private func finish(_ id: String, mode: ImportJob.Mode, report: ImportJob.Report, problems: [ImportProblem]) {
        let applied = report.applied ? report.created + report.updated + report.unchanged : 0
        update(id) { job in
            job.state = .done
            job.report = report
            job.progress.applied = applied
            job.problems = problems
            job.finishedAt = Date()
        }
        logger.info("import finished", metadata: ["import": "\(id)", "mode": "\(mode.rawValue)", "created": "\(report.created)",
                                                  "updated": "\(report.updated)", "unchanged": "\(report.unchanged)",
                                                  "rejectedRows": "\(report.rejectedRows)", "applied": "\(report.applied)"])
    }

    @discardableResult
    private func expectOK(_ reply: RegistryReply) throws(ContractError) -> RegistryReply {
        guard reply.ok else { throw reply.error ?? ContractError(code: "internal", message: "the registry refused without a reason") }
        return reply
    }

    /// Cuts rows into batches of at most `batchRows`, halving any batch whose encoding exceeds
    /// `batchBytes` (long URLs and Hangul locations make rows up to a few KB).
    func batches(_ rows: [ImportRow]) -> [[ImportRow]] {
        var out: [[ImportRow]] = []
        var pending = stride(from: 0, to: rows.count, by: limits.batchRows).map { Array(rows[$0..<min($0 + limits.batchRows, rows.count)]) }.reversed() as [[ImportRow]]
        while let batch = pending.popLast() {
            let size = (try? ContractCodec.encodeValue(batch).count) ?? Int.max
            if size > limits.batchBytes && batch.count > 1 {
                let half = batch.count / 2
                pending.append(Array(batch[half...]))
                pending.append(Array(batch[..<half]))
            } else {
                out.append(batch)
            }
        }
        return out
    }

    static func importRow(_ row: FleetRow) -> ImportRow {
        ImportRow(row: row.sourceRow, camera: CameraInput(
            id: row.id, name: row.name, address: row.address, hlsURL: row.hlsURL?.absoluteString, username: row.username,
            password: row.password, site: row.site, location: row.location, latitude: row.latitude, longitude: row.longitude,
            group: row.group, tags: row.tags, lineTeam: row.lineTeam, vendor: row.vendor, enabled: row.enabled,
            intervalSeconds: row.intervalSeconds,
            checks: Optional(CameraChecks(rtspURL: row.rtspURL?.absoluteString, onvifURL: row.onvifURL?.absoluteString,
                                          onvifEvents: row.onvifEvents ? true : nil, picture: row.picture ? true : nil,
                                          pictureCrop: row.pictureCrop.flatMap(PictureCrop.init(parsing:)))).flatMap { $0.isEmpty ? nil : $0 }))
    }

    static func field(_ column: FleetColumn) -> ImportField {
        switch column {
        case .id: .id
        case .name: .name
        case .address: .address
        case .hls: .hlsURL
        case .username: .username
        case .password: .password
        case .site: .site
        case .location: .location
        case .latitude: .latitude
        case .longitude: .longitude
        case .group: .group
        case .tags: .tags
        case .lineTeam: .lineTeam
        case .vendor: .vendor
        case .enabled: .enabled
        case .interval: .intervalSeconds
        case .rtsp: .rtspURL
        case .onvif: .onvifURL
        case .picture: .picture
        case .crop: .pictureCrop
        case .onvifEvents: .onvifEvents
        }
    }

    static func problem(_ problem: RowProblem) -> ImportProblem {
        ImportProblem(row: problem.row, column: problem.header, columnLetter: problem.columnLetter,
                      field: problem.column.map { field($0).rawValue }, reason: problem.reason.rawValue, message: problem.message)
    }
}
