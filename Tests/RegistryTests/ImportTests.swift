import CCTVContract
import Foundation
import Testing
import TestSupport
@testable import Registry

/// The registry's side of a bulk import: staged rows, checked on arrival, applied in one transaction.
@Suite("registry bulk import")
struct RegistryImportTests {
    static let allColumns = ImportField.allCases

    func importRows(_ handler: RegistryCommandHandler, _ rows: [ImportRow], columns: [ImportField] = allColumns,
                    skipInvalid: Bool = false, id: String = "imp-1") -> (staged: [ImportResult], commit: (reply: RegistryReply, change: RegistryCommandHandler.Change?)) {
        #expect(handler.handle(RegistryCommand(.importBegin(importID: id, columns: columns))).reply.ok)
        var staged: [ImportResult] = []
        for start in stride(from: 0, to: rows.count, by: 1000) {
            let reply = handler.handle(RegistryCommand(.importRows(importID: id, rows: Array(rows[start..<min(start + 1000, rows.count)])))).reply
            #expect(reply.ok, "\(String(describing: reply.error))")
            if let result = reply.importResult { staged.append(result) }
        }
        return (staged, handler.handle(RegistryCommand(.importCommit(importID: id, skipInvalid: skipInvalid))))
    }

    func row(_ number: Int, _ camera: CameraInput) -> ImportRow { ImportRow(row: number, camera: camera) }

    @Test("an import creates, then a second identical one changes nothing, and a changed row updates by id", arguments: StoreEngine.allCases)
    func upsertCounts(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        let rows = (0..<50).map { row($0 + 2, CameraInput(id: "CAM-\($0)", name: "카메라 \($0)", address: "10.0.0.\($0 + 1)", site: "본관", tags: ["a"])) }
        let first = importRows(handler, rows)
        #expect(first.commit.reply.ok)
        #expect(first.commit.reply.importResult?.created == 50)
        guard case let .batch(changes) = first.commit.change else { Issue.record("no changes to publish"); return }
        #expect(changes.count == 50)

        let again = importRows(handler, rows, id: "imp-2")
        #expect(again.commit.reply.importResult?.unchanged == 50)
        #expect(again.commit.change == nil, "nothing to publish when nothing changed")

        var changed = rows
        changed[3].camera.name = "새 이름"
        let third = importRows(handler, changed, id: "imp-3")
        #expect(third.staged.first?.updated == 1, "the dry-run counts already say what commit will do")
        #expect(third.commit.reply.importResult?.updated == 1)
        #expect(third.commit.reply.importResult?.unchanged == 49)
        #expect(try handler.store.get(id: "CAM-3")?.name == "새 이름")
        #expect(try handler.store.get(id: "CAM-3")?.version == 2)
    }

    @Test("a row without id updates the camera that has its address", arguments: StoreEngine.allCases)
    func upsertByAddress(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        _ = try handler.store.create(CameraInput(id: "GATE", name: "old", address: "10.1.0.1"))
        let result = importRows(handler, [row(2, CameraInput(name: "new", address: "10.1.0.1"))], columns: [.name, .address])
        #expect(result.commit.reply.importResult?.updated == 1)
        #expect(try handler.store.get(id: "GATE")?.name == "new")
    }

    @Test("one bad row refuses the whole commit and the store is unchanged (all or nothing)", arguments: StoreEngine.allCases)
    func allOrNothing(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        _ = try handler.store.create(CameraInput(id: "KEEP", name: "keep", address: "10.2.0.1"))
        let before = try handler.store.snapshot()
        let rows = [row(2, CameraInput(id: "N1", address: "10.2.0.2")), row(3, CameraInput(id: "N2", address: "10.2.0.999")),
                    row(4, CameraInput(id: "KEEP", name: "changed", address: "10.2.0.1"))]
        let result = importRows(handler, rows)
        let problems = result.staged.flatMap(\.rejected)
        #expect(problems.count == 1)
        #expect(problems.first?.row == 3)
        #expect(problems.first?.field == "address")
        #expect(result.commit.reply.ok == false)
        #expect(result.commit.reply.error?.code == "import_rejected")
        #expect(try handler.store.snapshot().cameras == before.cameras, "nothing partial is stored")

        let skipping = handler.handle(RegistryCommand(.importCommit(importID: "imp-1", skipInvalid: true)))
        #expect(skipping.reply.ok, "the refused import stays open so it can be committed with skipInvalid")
        #expect(skipping.reply.importResult?.created == 1)
        #expect(skipping.reply.importResult?.updated == 1)
        #expect(try handler.store.get(id: "N2") == nil)
    }

    @Test("the same address twice in one file is refused naming the first row; a stored camera's address names that camera", arguments: StoreEngine.allCases)
    func conflicts(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        _ = try handler.store.create(CameraInput(id: "OLD", address: "10.3.0.9"))
        let rows = [row(2, CameraInput(id: "A", address: "10.3.0.1")), row(3, CameraInput(id: "B", address: "10.3.0.1")),
                    row(4, CameraInput(id: "C", address: "10.3.0.9")), row(5, CameraInput(id: "A", address: "10.3.0.5"))]
        let problems = importRows(handler, rows).staged.flatMap(\.rejected)
        #expect(problems.map(\.row) == [3, 4, 5])
        #expect(problems[0].reason == "duplicate_address" && problems[0].message.contains("row 2"))
        #expect(problems[1].reason == "duplicate_address" && problems[1].existingID == "OLD")
        #expect(problems[2].reason == "duplicate_id" && problems[2].message.contains("row 2"))
        #expect(try handler.store.list().total == 1)
    }

    @Test("an import without credentials keeps the stored ones; columns the file lacks keep their values", arguments: StoreEngine.allCases)
    func keepsCredentialsAndMissingColumns(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        _ = try handler.store.create(CameraInput(id: "CRED", name: "n", address: "10.4.0.1", hlsURL: "http://10.4.0.1/live.m3u8", username: "viewer", password: "secret", site: "본관", vendor: "Hanwha"))
        let result = importRows(handler, [row(2, CameraInput(id: "CRED", name: "renamed", address: "10.4.0.1"))],
                                columns: [.id, .name, .address, .username, .password])
        #expect(result.commit.reply.importResult?.updated == 1)
        let stored = try handler.store.get(id: "CRED")
        #expect(stored?.hasCredentials == true)
        #expect(stored?.site == "본관")
        #expect(stored?.vendor == "Hanwha")
        let plain = try handler.store.database.read { db in try db.row("SELECT password FROM camera WHERE id = 'CRED'")?.string("password") }
        #expect(plain == nil, "never stored in plain text")
        #expect(try handler.store.credentials(id: "CRED")?.password == "secret")
    }

    @Test("oversized batches, too many rows and unknown imports are refused with a clear error", arguments: StoreEngine.allCases)
    func limits(engine: StoreEngine) throws {
        var limits = ImportStaging.Limits()
        limits.maxRowsPerImport = 3
        limits.maxOpenImports = 1
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()), importLimits: limits)
        let unknown = handler.handle(RegistryCommand(.importRows(importID: "nope", rows: [row(2, CameraInput(address: "10.5.0.1"))])))
        #expect(unknown.reply.error?.code == "not_found")
        #expect(handler.handle(RegistryCommand(.importBegin(importID: "x", columns: [.address]))).reply.ok)
        #expect(handler.handle(RegistryCommand(.importBegin(importID: "y", columns: [.address]))).reply.error?.code == "busy")
        let big = (0..<1001).map { row($0 + 2, CameraInput(address: "10.6.\($0 / 250).\($0 % 250 + 1)")) }
        #expect(handler.handle(RegistryCommand(.importRows(importID: "x", rows: big))).reply.error?.code == "payload_too_large")
        let four = (0..<4).map { row($0 + 2, CameraInput(address: "10.7.0.\($0 + 1)")) }
        #expect(handler.handle(RegistryCommand(.importRows(importID: "x", rows: four))).reply.error?.code == "too_many_rows")
        #expect(handler.handle(RegistryCommand(.importBegin(importID: "bad/id", columns: [.address]))).reply.error?.field == "importID")
        #expect(handler.handle(RegistryCommand(.importAbort(importID: "x"))).reply.ok)
        #expect(try handler.store.list().total == 0)
    }
}
