import CCTVContract
import Foundation
import Testing
import TestSupport
@testable import Registry


@Suite("camera validation")
struct CameraValidationTests {
    @Test("malformed addresses are refused naming the field", arguments: ["300.1.1.1", "1.2.3", "10.0.0.1 x", "a b", "", "::g", "-bad.example", "10.0.0.999"])
    func badAddress(address: String) {
        #expect(throws: ContractError.self) { _ = try CameraValidation.validate(CameraInput(address: address)) }
        do { _ = try CameraValidation.validate(CameraInput(address: address)) } catch { #expect(error.field == "address") }
    }

    @Test("IPv4, IPv6 (canonicalised) and host names are accepted")
    func goodAddress() throws {
        #expect(try CameraValidation.validate(CameraInput(address: " 192.168.0.10 ")).address == "192.168.0.10", "surrounding spaces from a paste are trimmed")
        #expect(try CameraValidation.validate(CameraInput(address: "2001:DB8:0:0::1")).address == "2001:db8::1")
        #expect(try CameraValidation.validate(CameraInput(address: "Cam-01.Campus.local")).address == "cam-01.campus.local")
    }

    @Test("HLS URL must be http(s) without embedded credentials")
    func hlsURL() {
        #expect(throws: ContractError.self) { _ = try CameraValidation.validate(CameraInput(address: "10.0.0.1", hlsURL: "rtsp://10.0.0.1/live")) }
        #expect(throws: ContractError.self) { _ = try CameraValidation.validate(CameraInput(address: "10.0.0.1", hlsURL: "http://admin:pw@10.0.0.1/live.m3u8")) }
        #expect((try? CameraValidation.validate(CameraInput(address: "10.0.0.1", hlsURL: "http://10.0.0.1/live.m3u8"))) != nil)
    }

    @Test("an HLS URL whose port is not 1–65535 is refused naming the port", arguments: ["70000", "0", "99999999999999999999"])
    func hlsURLPort(port: String) {
        do {
            _ = try CameraValidation.validate(CameraInput(address: "10.0.0.1", hlsURL: "http://10.0.0.1:\(port)/live.m3u8"))
            Issue.record("port \(port) was accepted")
        } catch {
            #expect(error.field == "hlsURL" && error.message.contains("1–65535"), "\(error)")
        }
        #expect((try? CameraValidation.validate(CameraInput(address: "10.0.0.1", hlsURL: "http://10.0.0.1:65535/live.m3u8"))) != nil)
    }

    @Test("RTSP URL and picture crop are validated like the HLS URL; nothing set is no checks at all")
    func checks() throws {
        let good = try CameraValidation.validate(CameraInput(address: "10.0.0.1", checks: CameraChecks(
            rtspURL: " rtsp://10.0.0.1:554/Streaming/Channels/101 ", picture: true, pictureCrop: PictureCrop(x: 0, y: 0.1, width: 1, height: 0.9))))
        #expect(good.checks?.rtspURL == "rtsp://10.0.0.1:554/Streaming/Channels/101" && good.checks?.picture == true)
        for (checks, field) in [(CameraChecks(rtspURL: "http://10.0.0.1/live"), "checks.rtspURL"),
                                (CameraChecks(rtspURL: "rtsp://10.0.0.1:70000/live"), "checks.rtspURL"),
                                (CameraChecks(rtspURL: "rtsp://admin:pw@10.0.0.1/live"), "checks.rtspURL"),
                                (CameraChecks(pictureCrop: PictureCrop(x: 0.5, y: 0, width: 0.6, height: 1)), "checks.pictureCrop")] {
            do {
                _ = try CameraValidation.validate(CameraInput(address: "10.0.0.1", checks: checks))
                Issue.record("accepted \(checks)")
            } catch {
                #expect(error.field == field, "\(error)")
            }
        }
        #expect(try CameraValidation.validate(CameraInput(address: "10.0.0.1", checks: CameraChecks(rtspURL: " ", picture: false))).checks == nil)
    }

    @Test("ids are topic-safe")
    func ids() {
        #expect(CameraValidation.isValidID("CAM-00017"))
        #expect(!CameraValidation.isValidID("CAM/1"))
        #expect(!CameraValidation.isValidID("CAM+1"))
        #expect(!CameraValidation.isValidID(String(repeating: "a", count: 65)))
    }
}

@Suite("camera store and commands")
struct CameraStoreTests {
    @Test("RTSP URL, picture check and crop are stored, published in the definition, patched and cleared", arguments: StoreEngine.allCases)
    func checksStored(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        let checks = CameraChecks(rtspURL: "rtsp://10.1.1.1/live", picture: true, pictureCrop: PictureCrop(x: 0, y: 0.1, width: 1, height: 0.9))
        let created = try #require(handler.handle(RegistryCommand(.create(CameraInput(address: "10.1.1.1", checks: checks)))).reply.camera)
        #expect(created.checks == checks)
        #expect(try handler.store.get(id: created.id)?.checks == checks)
        var patch = CameraPatch()
        patch.checks = .some(nil)
        let cleared = handler.handle(RegistryCommand(.patch(id: created.id, patch: patch, expectedVersion: nil)))
        #expect(cleared.reply.camera?.checks == nil, "\(cleared.reply)")
    }

    @Test("an import's ONVIF events column turns events on; a file without the column keeps them, an empty or 'no' cell turns them off", arguments: StoreEngine.allCases)
    func onvifEventsImported(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        func run(_ id: String, columns: [ImportField], _ camera: CameraInput) throws {
            #expect(handler.handle(RegistryCommand(.importBegin(importID: id, columns: columns))).reply.ok)
            #expect(handler.handle(RegistryCommand(.importRows(importID: id, rows: [ImportRow(row: 2, camera: camera)]))).reply.ok)
            let committed = handler.handle(RegistryCommand(.importCommit(importID: id, skipInvalid: false))).reply
            #expect(committed.ok, "\(String(describing: committed.error))")
        }
        let onvif = "http://10.1.2.3/onvif/device_service"
        try run("ev-1", columns: [.id, .address, .onvifURL, .onvifEvents],
                CameraInput(id: "EV-1", address: "10.1.2.3", checks: CameraChecks(onvifURL: onvif, onvifEvents: true)))
        #expect(try handler.store.get(id: "EV-1")?.checks?.onvifEvents == true)
        try run("ev-2", columns: [.id, .address, .name], CameraInput(id: "EV-1", name: "renamed", address: "10.1.2.3"))
        let renamed = try handler.store.get(id: "EV-1")
        #expect(renamed?.name == "renamed" && renamed?.checks?.onvifEvents == true && renamed?.checks?.onvifURL == onvif)
        try run("ev-3", columns: [.id, .address, .onvifEvents], CameraInput(id: "EV-1", address: "10.1.2.3"))
        #expect(try handler.store.get(id: "EV-1")?.checks?.onvifEvents == nil)
        #expect(try handler.store.get(id: "EV-1")?.checks?.onvifURL == onvif)
    }

    @Test("create, get, update with version check, delete with tombstone", arguments: StoreEngine.allCases)
    func lifecycle(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        let created = handler.handle(RegistryCommand(.create(CameraInput(name: "정문", address: "10.1.1.1", hlsURL: "http://10.1.1.1/live.m3u8", password: "secret"))))
        #expect(created.reply.ok)
        let camera = try #require(created.reply.camera)
        #expect(camera.id == "CAM-00001")
        #expect(camera.hasCredentials)
        let encoded = String(decoding: try ContractCodec.encodeValue(camera), as: UTF8.self)
        #expect(!encoded.contains("secret"), "credentials are never part of the definition")

        let stale = handler.handle(RegistryCommand(.update(id: camera.id, camera: CameraInput(address: "10.1.1.2"), expectedVersion: 7)))
        #expect(stale.reply.error?.code == "version_conflict")
        let updated = handler.handle(RegistryCommand(.update(id: camera.id, camera: CameraInput(name: "정문", address: "10.1.1.2"), expectedVersion: 1)))
        #expect(updated.reply.camera?.version == 2)
        #expect(updated.reply.camera?.hasCredentials == true, "credentials kept when an update leaves them out")

        let deleted = handler.handle(RegistryCommand(.delete(id: camera.id, expectedVersion: nil)))
        #expect(deleted.reply.ok)
        #expect(deleted.change == .deleted(CameraDeleted(id: camera.id, address: "10.1.1.2", version: 3)))
        let snapshot = try handler.store.snapshot()
        #expect(snapshot.cameras.isEmpty)
        #expect(snapshot.tombstones == [camera.id])
    }

    @Test("a duplicate address is refused naming the existing camera", arguments: StoreEngine.allCases)
    func duplicate(engine: StoreEngine) throws {
        let handler = RegistryCommandHandler(store: try CameraStore(testing: try engine.freshLocation()))
        _ = handler.handle(RegistryCommand(.create(CameraInput(id: "A", address: "10.0.0.5"))))
        let again = handler.handle(RegistryCommand(.create(CameraInput(id: "B", address: "10.0.0.5"))))
        #expect(again.reply.error?.code == "duplicate_address")
        #expect(again.reply.error?.existingID == "A")
        let sameID = handler.handle(RegistryCommand(.create(CameraInput(id: "A", address: "10.0.0.6"))))
        #expect(sameID.reply.error?.code == "duplicate_id")
        #expect(try handler.store.list().total == 1, "nothing half-written")
    }

    @Test("list filters by text and site, paged", arguments: StoreEngine.allCases)
    func listing(engine: StoreEngine) throws {
        let store = try CameraStore(testing: try engine.freshLocation())
        for i in 0..<30 { _ = try store.create(CameraInput(id: String(format: "C-%02d", i), name: "cam \(i)", address: "10.9.0.\(i + 1)", site: i % 2 == 0 ? "본관" : "별관")) }
        #expect(try store.list(site: "본관").total == 15)
        #expect(try store.list(query: "10.9.0.2").total == 11)
        let page = try store.list(offset: 10, limit: 5)
        #expect(page.cameras.map(\.id) == ["C-10", "C-11", "C-12", "C-13", "C-14"])
        #expect(try store.list(query: "100%_").total == 0, "LIKE wildcards in a query are literal")
    }
}
