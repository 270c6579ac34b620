import CCTVContract
import Foundation
import ServiceRuntime
import Testing
import TestSupport
@testable import Registry

/// Several registry replicas on one PostgreSQL: the fleet they see is one, and the database (not
/// the replica) enforces uniqueness.
@Suite("registry replicas sharing PostgreSQL", .runsAlone)
struct SharedStoreTests {
    @Test("two stores opened at once on one database migrate once and see each other's cameras; a duplicate address from the other replica is refused")
    func twoReplicas() async throws {
        let location = try PostgresFixture.shared().location()
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: keys) }
        _ = try SecretBox(dataDir: keys)   // one key file, as an operator copies it to every replica
        async let first = Task.detached { try CameraStore(testing: location, secretsDir: keys) }.value
        async let second = Task.detached { try CameraStore(testing: location, secretsDir: keys) }.value
        let (a, b) = try await (first, second)
        let created = try a.create(CameraInput(id: "R-1", name: "정문", address: "10.50.0.1", site: "본관"))
        #expect(try b.get(id: "R-1") == created)
        #expect(throws: ContractError.self) { _ = try b.create(CameraInput(id: "R-2", address: "10.50.0.1")) }
        do { _ = try b.create(CameraInput(id: "R-2", address: "10.50.0.1")) } catch { #expect(error.code == "duplicate_address" && error.existingID == "R-1") }
        _ = try b.delete(id: "R-1", expectedVersion: 1)
        let snapshot = try a.snapshot()
        #expect(snapshot.cameras.isEmpty)
        #expect(snapshot.tombstones == ["R-1"])
    }

    @Test("replicas share open imports: begun on one, rows on the other (a duplicate across batches still refused), committed on the first; the stored job is sealed")
    func importAcrossReplicas() throws {
        let location = try PostgresFixture.shared().location()
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let a = try CameraStore(testing: location, secretsDir: keys), b = try CameraStore(testing: location, secretsDir: keys)
        let onA = RegistryCommandHandler(store: a, sharedImports: true), onB = RegistryCommandHandler(store: b, sharedImports: true)
        let begun = onA.handle(RegistryCommand(.importBegin(importID: "imp-r", columns: [.id, .address, .name]))).reply
        #expect(begun.ok, "\(String(describing: begun.error))")
        let first = onB.handle(RegistryCommand(.importRows(importID: "imp-r", rows: [
            ImportRow(row: 2, camera: CameraInput(id: "IM-1", name: "가", address: "10.60.0.1")),
            ImportRow(row: 3, camera: CameraInput(id: "IM-2", name: "나", address: "10.60.0.2")),
        ]))).reply
        #expect(first.ok && first.importResult?.staged == 2, "\(String(describing: first.error))")
        let stored = try a.database.read { db in try db.row("SELECT job FROM importJob WHERE id = ?", "imp-r")?.string("job") } ?? ""
        #expect(!stored.isEmpty && !stored.contains("10.60.0.1"), "the staged rows are stored sealed")
        let second = onA.handle(RegistryCommand(.importRows(importID: "imp-r", rows: [
            ImportRow(row: 4, camera: CameraInput(id: "IM-3", address: "10.60.0.1")),
        ]))).reply
        #expect(second.importResult?.rejected.map(\.reason) == ["duplicate_address"], "row 4 repeats row 2's address, staged on the other replica")
        let committed = onB.handle(RegistryCommand(.importCommit(importID: "imp-r", skipInvalid: true))).reply
        #expect(committed.ok && committed.importResult?.created == 2, "\(String(describing: committed.error))")
        #expect(try a.get(id: "IM-2")?.name == "나")
        #expect(onA.handle(RegistryCommand(.importRows(importID: "imp-r", rows: [ImportRow(row: 5, camera: CameraInput(address: "10.60.0.9"))]))).reply.error?.code == "not_found",
                "committed: gone for every replica")
    }

    @Test("a 2,000-row import in 5 batches alternating between two replicas is staged and applied whole")
    func largeImportAcrossReplicas() throws {
        let location = try PostgresFixture.shared().location()
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let stores = [try CameraStore(testing: location, secretsDir: keys), try CameraStore(testing: location, secretsDir: keys)]
        let replicas = stores.map { RegistryCommandHandler(store: $0, sharedImports: true) }
        let started = ContinuousClock.now
        #expect(replicas[0].handle(RegistryCommand(.importBegin(importID: "imp-big", columns: [.id, .address]))).reply.ok)
        for batch in 0..<5 {
            let rows = (0..<400).map { n -> ImportRow in
                let i = batch * 400 + n
                return ImportRow(row: i + 2, camera: CameraInput(id: "BIG-\(i)", address: "10.61.\(i / 250).\(i % 250 + 1)"))
            }
            let reply = replicas[(batch + 1) % 2].handle(RegistryCommand(.importRows(importID: "imp-big", rows: rows))).reply
            #expect(reply.ok && reply.importResult?.rejected.isEmpty == true, "batch \(batch): \(String(describing: reply.error))")
        }
        let staged = ContinuousClock.now - started
        let committed = replicas[1].handle(RegistryCommand(.importCommit(importID: "imp-big", skipInvalid: false))).reply
        #expect(committed.importResult?.created == 2_000, "\(String(describing: committed.error))")
        print("SHARED IMPORT: 2,000 rows in 5 batches alternating between 2 replicas staged in \(staged), committed after \(ContinuousClock.now - started)")
    }

    @Test("a PostgreSQL that cannot be reached is an error naming the server, not a hang")
    func unreachable() throws {
        let port = try FreePort.find()
        let address = try #require(try PostgresAddress.parse("postgres://cctv:secret@127.0.0.1:\(port)/fleet"))
        do {
            _ = try CameraStore(testing: .postgres(address))
            Issue.record("opened a store on a closed port")
        } catch {
            let text = String(describing: error)
            #expect(text.contains("postgres://cctv@127.0.0.1:\(port)/fleet"))
            #expect(!text.contains("secret"), "the password never appears in an error")
        }
    }

    @Test("the database setting accepts empty or a postgres:// URL and refuses anything else, masking the password")
    func parsing() throws {
        #expect(try PostgresAddress.parse("") == nil)
        let address = try #require(try PostgresAddress.parse("postgresql://cctv:p%40ss@db.internal:6543/fleet?sslmode=require"))
        #expect(address == PostgresAddress(host: "db.internal", port: 6543, user: "cctv", password: "p@ss", database: "fleet", tls: true))
        for bad in ["mysql://a@b/c", "postgres://host-only", "postgres://u:pw@h/db?sslmode=verify-full"] {
            do { _ = try PostgresAddress.parse(bad); Issue.record("accepted \(bad)") } catch {
                #expect(error.description.contains("database"))
                #expect(!error.description.contains(":pw@"))
            }
        }
    }
}
