import CCTVContract
import Foundation
import ServiceRuntime
import Testing
import TestSupport
@testable import Registry

/// Several registry replicas on one PostgreSQL: the fleet they see is one, and the database (not
/// the replica) enforces uniqueness.
@Suite("registry replicas sharing PostgreSQL", .tags(.serial))
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
