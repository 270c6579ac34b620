import CCTVContract
import Foundation
import Testing
import TestSupport
@testable import Registry

@Suite("registry patch, bulk delete, credentials and list filters")
struct RegistryCommandTests {
    @Test("a patch changes only the fields sent, null clears one, and a stale version is refused", arguments: StoreEngine.allCases)
    func patch(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        _ = try handler.store.create(CameraInput(id: "P", name: "정문", address: "10.8.0.1", hlsURL: "http://10.8.0.1/live.m3u8", password: "pw", site: "본관", group: "1구역"))
        let patch = try ContractCodec.decodeValue(CameraPatch.self, from: Data(#"{"name":"후문","group":null}"#.utf8))
        let reply = handler.handle(RegistryCommand(.patch(id: "P", patch: patch, expectedVersion: 1))).reply
        #expect(reply.ok)
        #expect(reply.camera?.name == "후문")
        #expect(reply.camera?.group == nil)
        #expect(reply.camera?.site == "본관")
        #expect(reply.camera?.hasCredentials == true)
        #expect(handler.handle(RegistryCommand(.patch(id: "P", patch: patch, expectedVersion: 1))).reply.error?.code == "version_conflict")
        var badAddress = CameraPatch()
        badAddress.address = "10.8.0.300"
        #expect(handler.handle(RegistryCommand(.patch(id: "P", patch: badAddress, expectedVersion: nil))).reply.error?.field == "address")
        #expect(handler.handle(RegistryCommand(.patch(id: "NOPE", patch: CameraPatch(), expectedVersion: nil))).reply.error?.code == "not_found")
    }

    @Test("bulk delete removes the existing cameras, names the missing ids and leaves tombstones to publish", arguments: StoreEngine.allCases)
    func bulkDelete(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        for i in 1...3 { _ = try handler.store.create(CameraInput(id: "D\(i)", address: "10.9.0.\(i)")) }
        let result = handler.handle(RegistryCommand(.bulkDelete(ids: ["D1", "D3", "NOPE", "D1"])))
        #expect(result.reply.deletedIDs == ["D1", "D3"])
        #expect(result.reply.missingIDs == ["NOPE"])
        guard case let .batch(changes) = result.change else { Issue.record("nothing to publish"); return }
        #expect(changes.count == 2)
        #expect(try handler.store.snapshot().tombstones.sorted() == ["D1", "D3"])
        #expect(handler.handle(RegistryCommand(.bulkDelete(ids: (0...1000).map { "X\($0)" }))).reply.error?.code == "payload_too_large")
    }

    @Test("credentials are answered only to a private reply, never on a shared topic", arguments: StoreEngine.allCases)
    func credentials(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        _ = try handler.store.create(CameraInput(id: "C", address: "10.10.0.1", hlsURL: "http://10.10.0.1/live.m3u8", username: "viewer", password: "secret"))
        let shared = handler.handle(RegistryCommand(.credentials(id: "C"))).reply
        #expect(!shared.ok && shared.credentials == nil)
        let ask = handler.handle(RegistryCommand(.credentials(id: "C")), privateReply: true).reply
        #expect(ask.credentials == CameraCredentials(id: "C", username: "viewer", password: "secret", origin: "http://10.10.0.1:80"))
        let listed = String(decoding: try ContractCodec.encodeValue(handler.handle(RegistryCommand(.list(CameraListQuery()))).reply), as: UTF8.self)
        #expect(!listed.contains("secret"), "no other action returns credentials")
    }

    @Test("list filters by group and enablement and sorts by a named key; an unknown key is refused", arguments: StoreEngine.allCases)
    func listFilters(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        for i in 0..<6 { _ = try handler.store.create(CameraInput(id: "L\(i)", name: "n\(5 - i)", address: "10.11.0.\(i + 1)", group: i % 2 == 0 ? "A" : "B", enabled: i < 4)) }
        let groupA = handler.handle(RegistryCommand(.list(CameraListQuery(group: "A")))).reply
        #expect(groupA.cameras?.map(\.id) == ["L0", "L2", "L4"])
        #expect(handler.handle(RegistryCommand(.list(CameraListQuery(enabled: false)))).reply.total == 2)
        #expect(handler.handle(RegistryCommand(.list(CameraListQuery(sort: "name")))).reply.cameras?.first?.id == "L5")
        #expect(handler.handle(RegistryCommand(.list(CameraListQuery(sort: "-id")))).reply.cameras?.first?.id == "L5")
        #expect(handler.handle(RegistryCommand(.list(CameraListQuery(sort: "password")))).reply.error?.field == "sort")
        #expect(handler.handle(RegistryCommand(.list(CameraListQuery(limit: 5000)))).reply.cameras?.count == 6, "the page size is capped, not refused")
    }
}

@Suite("stream credentials are sealed and bound to their origin")
struct CredentialBindingTests {
    @Test("moving the stream to another host needs the credentials again; the same host, or no URL for now, keeps them; empty ones remove them",
          arguments: StoreEngine.allCases)
    func bindingRules(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        #expect(handler.handle(RegistryCommand(.create(CameraInput(id: "N", address: "10.12.0.9", password: "pw")))).reply.error?.field == "hlsURL",
                "credentials without the stream they are for are refused")
        _ = try handler.store.create(CameraInput(id: "B", address: "10.12.0.1", hlsURL: "http://10.12.0.1/a.m3u8", username: "u", password: "pw"))
        func patch(_ json: String) -> RegistryReply {
            handler.handle(RegistryCommand(.patch(id: "B", patch: try! ContractCodec.decodeValue(CameraPatch.self, from: Data(json.utf8)), expectedVersion: nil))).reply
        }
        #expect(patch(#"{"hlsURL":"http://10.12.0.1/b.m3u8"}"#).ok, "same origin: kept")
        #expect(try handler.store.credentials(id: "B")?.password == "pw")
        let moved = patch(#"{"hlsURL":"http://198.51.100.7/b.m3u8"}"#)
        #expect(moved.error?.code == "credentials_origin_changed" && moved.error?.field == "hlsURL")
        #expect(patch(#"{"hlsURL":"https://10.12.0.1/b.m3u8"}"#).error?.code == "credentials_origin_changed", "another scheme (and port) is another origin")
        #expect(patch(#"{"hlsURL":null}"#).ok)
        #expect(try handler.store.credentials(id: "B")?.origin == "http://10.12.0.1:80", "no URL for now: still bound")
        #expect(patch(#"{"hlsURL":"http://198.51.100.7/b.m3u8","password":"new"}"#).ok, "entered again for the new origin")
        #expect(try handler.store.credentials(id: "B") == CameraCredentials(id: "B", username: "", password: "new", origin: "http://198.51.100.7:80"),
                "the old username is not carried to another origin")
        #expect(patch(#"{"username":"","password":""}"#).ok)
        #expect(try handler.store.credentials(id: "B") == nil, "empty ones remove them")
        #expect(handler.handle(RegistryCommand(.create(CameraInput(id: "M", address: "10.12.0.2", hlsURL: "http://169.254.169.254/latest/meta-data/")))).reply.error?.field == "hlsURL",
                "a stream URL on the cloud metadata address is refused")
    }

    @Test("an RTSP-only camera binds its credentials to its RTSP server", arguments: StoreEngine.allCases)
    func rtspOnlyBinding(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        let input = CameraInput(id: "R", address: "10.12.0.3", username: "u", password: "pw", checks: CameraChecks(rtspURL: "rtsp://10.12.0.3/stream1"))
        #expect(handler.handle(RegistryCommand(.create(input))).reply.ok)
        #expect(try handler.store.credentials(id: "R")?.origin == "rtsp://10.12.0.3:554")
    }
}
