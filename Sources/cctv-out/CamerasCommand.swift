import ArgumentParser
import CCTVContract
import Foundation
import Gateway
import Installation
import ServiceRuntime

/// `cctv-out cameras add|list|rm|import|export`: the registry from a shell, over a running
/// installation's REST API (for scripts and field work).
struct CamerasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cameras",
        abstract: "Register, list, remove, import and export cameras on a running installation (REST).",
        subcommands: [CamerasAdd.self, CamerasList.self, CamerasRemove.self, CamerasImport.self, CamerasExport.self])
}

/// Where the running installation is: `--api`, else `CCTVOUT_API`, else the gateway this machine's
/// configuration names (`--http-port` / `CCTVOUT_HTTP_PORT` / the `--config` file), so the commands
/// follow a changed port.
struct APIOptions: ParsableArguments {
    @Option(help: "Gateway URL of the running installation (default: CCTVOUT_API, else http://127.0.0.1:<http.port of this machine's configuration>).")
    var api: String?
    @Option(help: "The installation's JSON config file, to find its gateway's port (as `serve --config`).")
    var config: String?

    /// The gateway URL to call.
    func resolvedAPI(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let api { return api }
        if let api = environment["CCTVOUT_API"], !api.isEmpty { return api }
        let settings: Settings
        do {
            settings = try Settings(arguments: config.map { ["--config", $0] } ?? [], environment: environment, keys: InstallationConfiguration.keys)
        } catch { throw ValidationError(error.description) }
        let gateway: GatewayConfiguration
        do { gateway = try GatewayConfiguration(settings: settings) } catch { throw ValidationError(error.description) }
        let host = ["", "0.0.0.0", "::", "[::]"].contains(gateway.host) ? "127.0.0.1" : gateway.host
        return "http://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host):\(gateway.port)"
    }

    func client() throws -> CamerasAPIClient { try CamerasAPIClient(api: resolvedAPI()) }
}

/// Refuses a value outside `allowed`, listing the valid ones.
func checkChoice(_ option: String, _ value: String?, _ allowed: [String]) throws {
    guard let value, !allowed.contains(value) else { return }
    throw ValidationError("--\(option) \(value.debugDescription) is not one of: \(allowed.joined(separator: ", "))")
}

struct CamerasAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Register one camera.")
    @OptionGroup var api: APIOptions
    @Option(help: "IPv4, IPv6 or host name.") var address: String
    @Option(help: "Asset id such as CAM-00017 (generated when left out).") var id: String?
    @Option var name: String?
    @Option(help: "HLS URL (http/https); leave out for an ICMP-only camera.") var hls: String?
    @Option var site: String?
    @Option var group: String?
    @Option(help: "Network line team id.") var lineTeam: String?
    @Option(help: "Camera vendor id.") var vendor: String?
    @Option(help: "Stream user name (write-only).") var username: String?
    @Option(help: "Stream password (write-only; prefer CCTVOUT_CAMERA_PASSWORD to keep it out of the shell history).") var password: String?
    @Option(help: "Check interval in seconds (10–86400).") var interval: Int?
    @Flag(help: "Register it disabled (not checked).") var disabled = false

    func run() async throws {
        let input = CameraInput(id: id, name: name, address: address, hlsURL: hls, username: username,
                                password: password ?? ProcessInfo.processInfo.environment["CCTVOUT_CAMERA_PASSWORD"],
                                site: site, group: group, lineTeam: lineTeam, vendor: vendor, enabled: !disabled, intervalSeconds: interval)
        let client = try api.client()
        let camera = try client.expect(try await client.call(.POST, "/api/cameras", body: ContractCodec.encodeValue(input)), as: CameraDefinition.self)
        print("registered \(camera.id) \(camera.address) \(camera.name)")
    }
}

struct CamerasList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List cameras with their state.")
    @OptionGroup var api: APIOptions
    @Option(help: "Text to search in id, name, address and site.") var query: String?
    @Option var site: String?
    @Option(help: "Only cameras in this state: OK, DEGRADED, LINE_DOWN, CAMERA_DOWN, PICTURE_FAULT, UNKNOWN.") var state: String?
    @Option(help: "At most this many (≤ 1000).") var limit: Int = 100
    @Option var offset: Int = 0
    @Flag(help: "Print the JSON page as the API returns it.") var json = false

    func validate() throws {
        try checkChoice("state", state, CameraState.allCases.map(\.rawValue))
    }

    func run() async throws {
        var path = "/api/cameras?offset=\(max(0, offset))&limit=\(min(1000, max(1, limit)))"
        if let query { path += "&q=\(urlEncoded(query))" }
        if let site { path += "&site=\(urlEncoded(site))" }
        if let state { path += "&state=\(urlEncoded(state))" }
        let client = try api.client()
        let answer = try await client.call(.GET, path)
        if json {
            try CamerasAPIClient.check(answer)
            print(String(decoding: answer.body, as: UTF8.self))
            return
        }
        let page = try client.expect(answer, as: ReadStore.Page<ReadStore.CameraRow>.self)
        for row in page.items {
            let columns = [row.camera.id, row.camera.address, row.status?.state.rawValue ?? "UNKNOWN", row.camera.enabled ? "" : "disabled",
                           row.camera.site ?? "", row.camera.name]
            print(columns.joined(separator: "\t"))
        }
        FileHandle.standardError.write(Data("\(page.items.count) of \(page.total) cameras\n".utf8))
    }
}

struct CamerasRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete cameras by id.")
    @OptionGroup var api: APIOptions
    @Argument(help: "Camera ids.") var ids: [String]

    func run() async throws {
        let client = try api.client()
        var failed = 0
        for id in ids {
            do {
                try CamerasAPIClient.check(try await client.call(.DELETE, "/api/cameras/\(urlEncoded(id))"))
                print("deleted \(id)")
            } catch {
                failed += 1
                FileHandle.standardError.write(Data("\(id): \(error)\n".utf8))
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }
}

struct CamerasImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Check (default) or apply a CSV / .xlsx fleet file, with a progress bar and the full report.",
        discussion: "Without --apply nothing is written: every row is checked as applying would. Applying is all or nothing unless --skip-invalid.")
    @OptionGroup var api: APIOptions
    @Argument(help: "The CSV or .xlsx file.") var file: String
    @Flag(help: "Apply the file (default: validate only, a dry run).") var apply = false
    @Flag(help: "Apply the valid rows even if some are refused.") var skipInvalid = false
    @Option(help: "csv or xlsx (default: from the file name, else recognised from the content).") var format: String?
    @Option(help: "Write the full report (JSON) to this file.") var report: String?

    func run() async throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch { throw CLIError("cannot read \(file): \(error.localizedDescription)") }
        let chosen = format ?? { let ext = (file as NSString).pathExtension.lowercased(); return ["csv", "xlsx"].contains(ext) ? ext : nil }()
        let client = try api.client()
        var path = "/api/imports?mode=\(apply ? "apply" : "validate")&skipInvalid=\(skipInvalid)"
        if let chosen { path += "&format=\(urlEncoded(chosen))" }
        var job = try client.expect(try await client.call(.POST, path, body: data, contentType: "application/octet-stream", timeout: .seconds(300)), as: ImportJob.self)
        let bar = ProgressBar()
        while !job.isFinished {
            bar.draw(job)
            try await Task.sleep(for: .milliseconds(300))
            job = try client.expect(try await client.call(.GET, "/api/imports/\(job.id)"), as: ImportJob.self)
        }
        bar.draw(job)
        bar.finish()
        if let report {
            try ContractCodec.encodeValue(job).write(to: URL(fileURLWithPath: report))
        }
        for problem in job.problems ?? [] {
            print("row \(problem.row)\(problem.column.map { " [\($0)]" } ?? ""): \(problem.reason): \(problem.message)")
        }
        for warning in job.warnings { print("warning: \(warning)") }
        if let error = job.error {
            throw CLIError("import \(job.id) failed: \(error.description)")
        }
        let r = job.report
        if r.applied {
            print("applied: \(r.created) created, \(r.updated) updated, \(r.unchanged) unchanged, \(r.rejectedRows) rows refused")
        } else {
            let verb = apply ? "NOT applied, nothing was written (all or nothing; --skip-invalid applies the valid rows)" : "checked (dry run, nothing written)"
            print("\(verb): the valid rows would create \(r.created), update \(r.updated), leave \(r.unchanged) unchanged; \(r.rejectedRows) rows refused")
        }
        if r.rejectedRows > 0 && !(r.applied && skipInvalid) { throw ExitCode(2) }
    }
}

/// A one-line progress bar on stderr (only when it is a terminal, so logs stay clean).
final class ProgressBar {
    let terminal = isatty(STDERR_FILENO) == 1
    var last = ""

    func draw(_ job: ImportJob) {
        let p = job.progress
        let done = p.validated
        let fraction = p.rows == 0 ? 0 : Double(done) / Double(p.rows)
        let width = 30
        let filled = Int(fraction * Double(width))
        let line = "\(job.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done)/\(p.rows) rows"
        guard line != last else { return }
        last = line
        if terminal {
            FileHandle.standardError.write(Data("\r\(line)".utf8))
        } else {
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
    }

    func finish() { if terminal { FileHandle.standardError.write(Data("\n".utf8)) } }
}

struct CamerasExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export the fleet to CSV or .xlsx (credentials are never exported).")
    @OptionGroup var api: APIOptions
    @Option(help: "csv or xlsx.") var format: String = "csv"
    @Option(help: "Header language: ko or en.") var lang: String = "en"
    @Option(name: .shortAndLong, help: "Output file (default: stdout).") var output: String?
    @Flag(help: "Download the empty import template instead.") var template = false

    func validate() throws {
        try checkChoice("format", format, ["csv", "xlsx"])
        try checkChoice("lang", lang, ["ko", "en"])
    }

    func run() async throws {
        let client = try api.client()
        let answer = try await client.call(.GET, "/api/cameras/\(template ? "template" : "export")?format=\(urlEncoded(format))&lang=\(urlEncoded(lang))", timeout: .seconds(300))
        try CamerasAPIClient.check(answer)
        if let output {
            try answer.body.write(to: URL(fileURLWithPath: output))
            FileHandle.standardError.write(Data("wrote \(answer.body.count) bytes to \(output)\n".utf8))
        } else {
            FileHandle.standardOutput.write(answer.body)
        }
    }
}
