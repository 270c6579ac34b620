import CCTVContract
import FleetFile
import Foundation
@testable import Gateway
@testable import Registry
import Testing
import TestSupport

/// Bulk imports through the gateway's job runner against a real registry command handler and a real
/// SQLite store (the broker is left out here; the end-to-end test covers it): bad files get precise
/// errors and nothing partial is ever stored.
@Suite("bulk import jobs")
struct ImportJobTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gw-import-\(UUID().uuidString)").path
    let handler: RegistryCommandHandler
    let jobs: ImportJobs

    init() throws {
        let handler = RegistryCommandHandler(store: try CameraStore(dataDir: dir))
        self.handler = handler
        jobs = ImportJobs { command, _ in handler.handle(command).reply }
    }

    func run(_ data: Data, format: FleetFileFormat? = nil, mode: ImportJob.Mode = .apply, skipInvalid: Bool = false) async throws -> ImportJob {
        let started = try await jobs.start(data: data, format: format, mode: mode, skipInvalid: skipInvalid)
        #expect(await eventually(timeout: .seconds(120)) { await jobs.job(started.id)?.isFinished == true }, "import did not finish")
        return try #require(await jobs.job(started.id))
    }

    func cameras() throws -> [CameraDefinition] { try handler.store.snapshot().cameras }

    func seed() throws {
        _ = try handler.store.create(CameraInput(id: "EXISTING", name: "기존", address: "10.200.0.1", hlsURL: "http://10.200.0.1/live.m3u8", password: "secret"))
    }

    static let header = "자산번호,카메라명,IP주소,HLS주소,설치장소\r\n"

    @Test("a good CSV is applied: created, updated by id, and counted")
    func applies() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try seed()
        let csv = Self.header + "CAM-1,정문,10.0.0.1,http://10.0.0.1/live.m3u8,본관\r\nEXISTING,새 이름,10.200.0.1,,\r\n"
        let job = try await run(Data(csv.utf8), format: .csv)
        #expect(job.state == .done, "\(String(describing: job.error))")
        #expect(job.report.applied)
        #expect(job.report.created == 1 && job.report.updated == 1)
        #expect(job.progress.rows == 2 && job.progress.applied == 2)
        #expect(try handler.store.get(id: "EXISTING")?.hasCredentials == true, "credentials survive an import that has none")
    }

    @Test("validate mode reports what would happen and writes nothing")
    func dryRun() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let job = try await run(Data((Self.header + "CAM-1,a,10.0.0.1,,\r\nCAM-2,b,10.0.0.2,,\r\n").utf8), mode: .validate)
        #expect(job.state == .done)
        #expect(job.report.created == 2)
        #expect(!job.report.applied)
        #expect(try cameras().isEmpty)
    }

    @Test("malformed IP and URL, the same IP twice and a conflict with the fleet: each row named, nothing stored")
    func badRows() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try seed()
        let before = try cameras()
        let csv = Self.header
            + "CAM-1,ok,10.0.0.1,,\r\n"
            + "CAM-2,bad ip,10.0.0.300,,\r\n"
            + "CAM-3,bad url,10.0.0.3,rtsp://10.0.0.3/live,\r\n"
            + "CAM-4,twice,10.0.0.1,,\r\n"
            + "CAM-5,taken,10.200.0.1,,\r\n"
        let job = try await run(Data(csv.utf8))
        #expect(job.state == .done)
        #expect(!job.report.applied)
        let problems = try #require(job.problems)
        #expect(problems.map(\.row) == [3, 4, 5, 6])
        #expect(problems[0].reason == "invalid_address" && problems[0].column == "IP주소" && problems[0].columnLetter == "C")
        #expect(problems[1].reason == "invalid_hls_url" && problems[1].column == "HLS주소")
        #expect(problems[2].reason == "duplicate_address" && problems[2].message.contains("row 2"))
        #expect(problems[3].reason == "duplicate_address" && problems[3].existingID == "EXISTING" && problems[3].column == "IP주소")
        #expect(job.report.rejectedRows == 4)
        #expect(try cameras() == before, "all or nothing: the good row was not stored either")

        let skipping = try await run(Data(csv.utf8), skipInvalid: true)
        #expect(skipping.report.applied && skipping.report.created == 1)
        #expect(try handler.store.get(id: "CAM-1") != nil)
    }

    @Test("quoted fields with embedded newlines, quotes and commas import intact")
    func embeddedQuotes() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = Self.header + "CAM-Q,\"정문 \"\"A\"\", 야간\nPTZ\",10.0.0.9,,\"본관, 1층\"\r\n"
        let job = try await run(Data(csv.utf8))
        #expect(job.report.created == 1, "\(String(describing: job.problems))")
        let camera = try #require(try handler.store.get(id: "CAM-Q"))
        #expect(camera.name == "정문 \"A\", 야간\nPTZ")
        #expect(camera.site == "본관, 1층")
    }

    @Test("unknown columns are ignored with a warning naming them")
    func unknownColumns() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let job = try await run(Data("ip,비고,colour\r\n10.0.0.1,x,red\r\n".utf8))
        #expect(job.report.created == 1)
        #expect(job.warnings.contains { $0.contains("비고") && $0.contains("colour") })
    }

    @Test("whole-file refusals are precise and store nothing", arguments: [
        ("missing required column", Data("name,site\r\nA,B\r\n".utf8), FleetFileFormat?.some(.csv), "missing_required_column"),
        ("not an xlsx", Data("just text, named .xlsx".utf8), .some(.xlsx), "not_xlsx"),
        ("legacy .xls", Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 512)), nil, "unsupported_format"),
        ("10 MB of garbage", Data((0..<10_000_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }), nil, "undecodable_text"),
    ])
    func fileRefusals(name: String, data: Data, format: FleetFileFormat?, code: String) async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let job = try await run(data, format: format)
        #expect(job.state == .failed, "\(name)")
        #expect(job.error?.code == code, "\(name): \(String(describing: job.error))")
        #expect(try cameras().isEmpty)
    }

    @Test("xlsx: formula cells name the cell, merged cells and an empty sheet refuse the file, a zip bomb is stopped")
    func xlsxRefusals() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let header = #"<row r="1"><c r="A1" t="inlineStr"><is><t>IP주소</t></is></c><c r="B1" t="inlineStr"><is><t>카메라명</t></is></c></row>"#
        let formula = try XLSXFixture.workbook(sheetXML: header
            + #"<row r="2"><c r="A2" t="inlineStr"><is><t>10.0.0.1</t></is></c><c r="B2" t="str"><f>Sheet2!A1</f><v>x</v></c></row>"#)
        let job = try await run(formula, format: .xlsx)
        #expect(job.problems?.first?.reason == "formula_cell")
        #expect(job.problems?.first?.columnLetter == "B")
        #expect(!job.report.applied)

        let merged = try XLSXFixture.workbook(sheetXML: header
            + #"<row r="2"><c r="A2" t="inlineStr"><is><t>10.0.0.1</t></is></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>10.0.0.2</t></is></c></row>"#,
            mergeCells: #"<mergeCells count="1"><mergeCell ref="B2:B3"/></mergeCells>"#)
        #expect(try await run(merged).error?.code == "merged_cells")
        #expect(try await run(try XLSXFixture.workbook(sheetXML: "")).error?.code == "empty_sheet")
        #expect(try await run(try XLSXFixture.bomb(size: 300 << 20)).error?.code == "zip_bomb")
        #expect(try cameras().isEmpty)
    }

    @Test("export → import changes nothing, in both formats and languages")
    func roundTrip() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = Self.header.replacingOccurrences(of: "\r\n", with: ",위도,경도,태그,사용여부,점검주기(초),계정,비밀번호\r\n")
            + "CAM-1,정문 \"A\",10.0.0.1,https://10.0.0.1/a.m3u8,본관,37.5663,126.9779,\"gate, ptz\",true,60,viewer,pw\r\n"
            + "CAM-2,후문,2001:db8::2,,,,,,미사용,,,\r\n"
            + ",host,cam-3.campus.local,,별관,,,,,,,\r\n"
        #expect(try await run(Data(csv.utf8)).report.created == 3)
        let before = try cameras()
        for format in FleetFileFormat.allCases {
            for language in HeaderLanguage.allCases {
                let exported = try FleetFileExporter.export(before.map(GatewayAPI.fleetRow), format: format, language: language, includePasswords: false)
                let job = try await run(exported)
                #expect(job.report.unchanged == 3, "\(format) \(language): \(String(describing: job.problems))")
                #expect(job.report.created + job.report.updated == 0)
            }
        }
        #expect(try cameras() == before)
        #expect(try handler.store.get(id: "CAM-1")?.hasCredentials == true)
    }
}
