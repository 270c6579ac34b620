import CCTVContract
import FleetFile
import Foundation
import Testing
@testable import Registry

/// A camera naming a line team or vendor the notifier does not know is refused, naming the field —
/// by create, patch and import alike — once the notifier's directory is known; the import template's
/// own example names known teams and validates.
@Suite("line teams and vendors a camera may name")
struct TeamCheckTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reg-teams-\(UUID().uuidString)").path
    static let directory = TeamDirectory(teams: [.init(id: "KT-1", name: "KT", role: "line-team", channels: 1),
                                                 .init(id: "HANWHA", name: "한화", role: "vendor", channels: 1),
                                                 .init(id: "OPS", name: "관제", role: "operators", channels: 1)])

    @Test("a misspelled team is refused naming the field and the known ids; a known one, or none, is accepted")
    func refusedByField() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let handler = RegistryCommandHandler(store: try CameraStore(dataDir: dir), teams: TeamDirectoryHolder(Self.directory))
        let wrong = handler.handle(RegistryCommand(.create(CameraInput(id: "C1", address: "10.7.0.1", lineTeam: "KT1")))).reply
        #expect(wrong.error?.code == "unknown_team" && wrong.error?.field == "lineTeam")
        #expect(wrong.error?.message.contains("KT-1") == true, "names the known ids: \(String(describing: wrong.error))")
        #expect(handler.handle(RegistryCommand(.create(CameraInput(id: "C2", address: "10.7.0.2", vendor: "OPS")))).reply.error?.field == "vendor",
                "an operators team is not a vendor")
        #expect(handler.handle(RegistryCommand(.create(CameraInput(id: "C3", address: "10.7.0.3", lineTeam: "KT-1", vendor: "HANWHA")))).reply.ok)
        #expect(handler.handle(RegistryCommand(.create(CameraInput(id: "C4", address: "10.7.0.4")))).reply.ok, "no team: the default team")
        var patch = CameraPatch()
        patch.vendor = "HANWA"
        #expect(handler.handle(RegistryCommand(.patch(id: "C3", patch: patch, expectedVersion: nil))).reply.error?.code == "unknown_team")
        let before = RegistryCommandHandler(store: try CameraStore(dataDir: dir + "-2"))
        defer { try? FileManager.default.removeItem(atPath: dir + "-2") }
        #expect(before.handle(RegistryCommand(.create(CameraInput(address: "10.7.0.9", lineTeam: "ANY")))).reply.ok,
                "before a notifier published its teams, any id is accepted")
    }

    @Test("an import row naming an unknown team is refused on its column; the template's example validates", arguments: HeaderLanguage.allCases)
    func importAndTemplate(language: HeaderLanguage) throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let handler = RegistryCommandHandler(store: try CameraStore(dataDir: dir), teams: TeamDirectoryHolder(Self.directory))
        let template = try FleetFileExporter.template(format: .csv, language: language, lineTeam: Self.directory.ids(role: "line-team").first,
                                                      vendor: Self.directory.ids(role: "vendor").first)
        let parsed = try FleetFileParser.parse(data: template, filename: "template.csv")
        let example = try #require(parsed.rows.first)
        let input = CameraInput(id: example.id, name: example.name, address: example.address, site: example.site, lineTeam: example.lineTeam, vendor: example.vendor)
        #expect(handler.handle(RegistryCommand(.create(input))).reply.ok, "the template's own example is accepted")

        _ = handler.handle(RegistryCommand(.importBegin(importID: "I1", columns: [.address, .lineTeam])))
        let rows = [ImportRow(row: 2, camera: CameraInput(address: "10.7.1.1", lineTeam: "KT-1")), ImportRow(row: 3, camera: CameraInput(address: "10.7.1.2", lineTeam: "Kt-1"))]
        let staged = handler.handle(RegistryCommand(.importRows(importID: "I1", rows: rows))).reply.importResult
        #expect(staged?.rejected.map(\.row) == [3])
        #expect(staged?.rejected.first?.reason == "unknown_team" && staged?.rejected.first?.field == "lineTeam")
    }
}
