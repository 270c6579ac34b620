import CCTVContract
import Foundation
import Testing
import TestSupport
@testable import Registry

@Suite("registry patch, bulk delete, credentials and list filters")
struct RegistryCommandTests {
    @Test("a patch changes only the fields sent, null clears one, and a stale version is refused", arguments: StoreEngine.allCases)
    func patch(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(location: try engine.freshLocation()))
        _ = try handler.store.create(CameraInput(id: "P", name: "정문", address: "10.8.0.1", password: "pw", site: "본관", group: "1구역"))
        let patch = try ContractCodec.decodeValue(CameraPatch.self, from: Data(#"{"name":"후문","group":null}"#.utf8))
        let reply = handler.handle(RegistryCommand(action: .patch, id: "P", expectedVersion: 1, patch: patch)).reply
        #expect(reply.ok)
        #expect(reply.camera?.name == "후문")
        #expect(reply.camera?.group == nil)
        #expect(reply.camera?.site == "본관")
        #expect(reply.camera?.hasCredentials == true)
        #expect(handler.handle(RegistryCommand(action: .patch, id: "P", expectedVersion: 1, patch: patch)).reply.error?.code == "version_conflict")
        var badAddress = CameraPatch()
        badAddress.address = "10.8.0.300"
        #expect(handler.handle(RegistryCommand(action: .patch, id: "P", patch: badAddress)).reply.error?.field == "address")
        #expect(handler.handle(RegistryCommand(action: .patch, id: "NOPE", patch: CameraPatch())).reply.error?.code == "not_found")
    }

    @Test("bulk delete removes the existing cameras, names the missing ids and leaves tombstones to publish", arguments: StoreEngine.allCases)
    func bulkDelete(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(location: try engine.freshLocation()))
        for i in 1...3 { _ = try handler.store.create(CameraInput(id: "D\(i)", address: "10.9.0.\(i)")) }
        let result = handler.handle(RegistryCommand(action: .bulkDelete, ids: ["D1", "D3", "NOPE", "D1"]))
        #expect(result.reply.deletedIDs == ["D1", "D3"])
        #expect(result.reply.missingIDs == ["NOPE"])
        guard case let .batch(changes) = result.change else { Issue.record("nothing to publish"); return }
        #expect(changes.count == 2)
        #expect(try handler.store.snapshot().tombstones.sorted() == ["D1", "D3"])
        #expect(handler.handle(RegistryCommand(action: .bulkDelete, ids: (0...1000).map { "X\($0)" })).reply.error?.code == "payload_too_large")
    }

    @Test("credentials are answered only to a private reply, never on a shared topic", arguments: StoreEngine.allCases)
    func credentials(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(location: try engine.freshLocation()))
        _ = try handler.store.create(CameraInput(id: "C", address: "10.10.0.1", username: "viewer", password: "secret"))
        let shared = handler.handle(RegistryCommand(action: .credentials, id: "C")).reply
        #expect(!shared.ok && shared.credentials == nil)
        let ask = handler.handle(RegistryCommand(action: .credentials, id: "C"), privateReply: true).reply
        #expect(ask.credentials == CameraCredentials(id: "C", username: "viewer", password: "secret"))
        let listed = String(decoding: try ContractCodec.encodeValue(handler.handle(RegistryCommand(action: .list)).reply), as: UTF8.self)
        #expect(!listed.contains("secret"), "no other action returns credentials")
    }

    @Test("list filters by group and enablement and sorts by a named key; an unknown key is refused", arguments: StoreEngine.allCases)
    func listFilters(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(location: try engine.freshLocation()))
        for i in 0..<6 { _ = try handler.store.create(CameraInput(id: "L\(i)", name: "n\(5 - i)", address: "10.11.0.\(i + 1)", group: i % 2 == 0 ? "A" : "B", enabled: i < 4)) }
        let groupA = handler.handle(RegistryCommand(action: .list, group: "A")).reply
        #expect(groupA.cameras?.map(\.id) == ["L0", "L2", "L4"])
        #expect(handler.handle(RegistryCommand(action: .list, enabled: false)).reply.total == 2)
        #expect(handler.handle(RegistryCommand(action: .list, sort: "name")).reply.cameras?.first?.id == "L5")
        #expect(handler.handle(RegistryCommand(action: .list, sort: "-id")).reply.cameras?.first?.id == "L5")
        #expect(handler.handle(RegistryCommand(action: .list, sort: "password")).reply.error?.field == "sort")
        #expect(handler.handle(RegistryCommand(action: .list, limit: 5000)).reply.cameras?.count == 6, "the page size is capped, not refused")
    }
}
