import Foundation
import Testing
import TestSupport
@testable import FleetFile

@Suite("Export and round trip", .runsAlone)
struct RoundTripTests {
    static let tricky: [FleetRow] = [
        FleetRow(sourceRow: 2, id: "CAM-001", name: "정문 \"A\", 야간", address: "10.0.0.1", addressKind: .ipv4,
                 hlsURL: URL(string: "https://10.0.0.1/live/a.m3u8?token=x&y=1"), username: "viewer", password: "p@ss;word",
                 site: "본관", location: "서울특별시 중구\n세종대로 110", latitude: 37.5663, longitude: 126.9779,
                 group: "1구역", tags: ["gate", "야간"], lineTeam: "KT", vendor: "한화", enabled: true, intervalSeconds: 60,
                 rtspURL: URL(string: "rtsp://10.0.0.1:554/Streaming/Channels/101"), picture: true, pictureCrop: "0,0.1,1,0.9", onvifEvents: true),
        FleetRow(sourceRow: 3, name: "=HYPERLINK(\"http://evil\")", address: "2001:db8::7", addressKind: .ipv6,
                 site: "-위험", location: "'=quoted", latitude: -33.5, longitude: -70, group: "@group", enabled: false),
        FleetRow(sourceRow: 4, id: "x.y_z", address: "cam-04.example.kr", addressKind: .hostname,
                 lineTeam: "+82 line", vendor: "'plain", intervalSeconds: 86400),
    ]

    @Test("CSV export then import yields identical rows", arguments: HeaderLanguage.allCases)
    func csvRoundTrip(language: HeaderLanguage) throws {
        let data = try FleetFileExporter.export(Self.tricky, format: .csv, language: language)
        #expect(data.starts(with: [0xEF, 0xBB, 0xBF]))
        let r = try FleetFileParser.parse(data: data, filename: "export.csv")
        #expect(r.rejected.isEmpty)
        #expect(r.warnings.isEmpty)
        #expect(r.rows == Self.tricky)
    }

    @Test("XLSX export then import yields identical rows", arguments: HeaderLanguage.allCases)
    func xlsxRoundTrip(language: HeaderLanguage) throws {
        let data = try FleetFileExporter.export(Self.tricky, format: .xlsx, language: language)
        let r = try FleetFileParser.parse(data: data, filename: "export.xlsx")
        #expect(r.rejected.isEmpty)
        #expect(r.rows == Self.tricky)
    }

    @Test("CSV export neutralises formula-looking cells and uses CRLF")
    func csvInjection() throws {
        let text = String(decoding: try FleetFileExporter.export(Self.tricky, format: .csv), as: UTF8.self)
        #expect(text.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""))
        #expect(text.contains(",'-위험,"))
        #expect(text.contains(",''=quoted,"))
        #expect(text.contains(",'@group,"))
        #expect(text.contains(",-33.5,-70.0,"))
        #expect(text.contains("\r\n"))
        #expect(CSVWriter.neutralize("-12.5") == "-12.5")
        for v in ["=1+1", "'=x", "''+y", "'abc", "-", "@", "-5", "'-5"] {
            #expect(CSVWriter.unneutralize(CSVWriter.neutralize(v)) == v)
        }
    }

    @Test("templates contain the headers and one valid example row", arguments: FleetFileFormat.allCases, HeaderLanguage.allCases)
    func template(format: FleetFileFormat, language: HeaderLanguage) throws {
        let data = try FleetFileExporter.template(format: format, language: language)
        let r = try FleetFileParser.parse(data: data, filename: "template.\(format.fileExtension)")
        #expect(r.rows.count == 1)
        #expect(r.rejected.isEmpty)
        #expect(r.columns[.address] == FleetColumn.address.header(language))
    }

    @Test("exporting without passwords leaves the password column empty")
    func noPasswords() throws {
        let data = try FleetFileExporter.export(Self.tricky, format: .csv, includePasswords: false)
        let r = try FleetFileParser.parse(data: data, filename: "e.csv")
        #expect(r.rows.allSatisfy { $0.password == nil })
    }

    // Not skipped when openpyxl is missing: scripts/install-deps.sh installs it, and a silently
    // skipped compatibility check would hide exactly the regression it exists for.
    @Test("the written .xlsx is a valid zip that openpyxl can load")
    func openpyxlLoads() throws {
        // Debian's python3, where install-deps.sh puts openpyxl, not the first python3 on PATH
        // (CI's PATH starts with a pyenv python3 without it).
        try RequiredTool.requirePythonModule("openpyxl")
        let python = try RequiredTool.path("python3", package: "python3")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleetfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("export.xlsx")
        try FleetFileExporter.export(Self.tricky, format: .xlsx, language: .korean).write(to: file)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/check_xlsx.py")
        let out = try Self.run(python, [script.path, file.path])
        #expect(out.status == 0, "\(out.output)")
        #expect(out.output.contains("sheet=cameras rows=4"))
        #expect(out.output.contains("B2=정문 \"A\", 야간"))
        #expect(out.output.contains("I2=37.5663"))
    }

    static func run(_ executable: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

@Suite("Large files", .runsAlone)
struct LargeFileTests {
    static let rows = sampleRows(100_000)

    @Test("a 100,000-row CSV parses completely")
    func csv100k() throws {
        let data = try FleetFileExporter.export(Self.rows, format: .csv)
        let start = Date()
        let r = try FleetFileParser.parse(data: data, filename: "big.csv")
        print("100k-row CSV (\(data.count) bytes) parsed in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
        #expect(r.rows.count == 100_000)
        #expect(r.rejected.isEmpty)
        #expect(r.rows.last == Self.rows.last)
    }

    @Test("a 100,000-row XLSX parses completely")
    func xlsx100k() throws {
        let t0 = Date()
        let data = try FleetFileExporter.export(Self.rows, format: .xlsx)
        let start = Date()
        let r = try FleetFileParser.parse(data: data, filename: "big.xlsx")
        print("100k-row XLSX (\(data.count) bytes, written in \(String(format: "%.2f", start.timeIntervalSince(t0))) s) parsed in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
        #expect(r.rows.count == 100_000)
        #expect(r.rejected.isEmpty)
        #expect(r.rows.last == Self.rows.last)
    }
}
