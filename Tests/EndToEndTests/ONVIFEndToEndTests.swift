import CCTVContract
import Foundation
import Logging
import MQTTBus
import NIOHTTP1
import Testing
import TestSupport

/// A camera with an ONVIF address, registered over REST, checked by the real prober against the ONVIF
/// stub: the clock and the identity come back on `cctv/{id}/onvif`, the registry stores model,
/// firmware and serial on the camera, another serial or firmware is `camera.device_changed`, and the
/// console's camera detail carries the newest ONVIF check (the skewed clock).
@Suite("ONVIF identity end to end through a real mosquitto", .serialized, .tags(.serial))
struct ONVIFEndToEndTests {
    @Test("a skewed clock is reported; a changed serial is 'camera replaced' and a changed firmware 'firmware changed', stored on the camera")
    func deviceChanges() async throws {
        var logger = Logger(label: "e2e-onvif")
        logger.logLevel = .warning
        let stub = try ONVIFStub(skew: 420)
        let running = try TestInstallation([.registry, .prober, .gateway], logger: logger) {
            $0.prober.onvifEvery = 1
            $0.prober.interval = 1
        }
        defer { stub.stop() }
        let observer = MQTTClient(configuration: .init(port: running.broker.port, clientID: "observer-\(UUID().uuidString.prefix(6))", cleanStart: true),
                                  logger: logger)
        let results = try await Collector.subscribing(observer, to: "cctv/+/onvif")
        let changes = try await Collector.subscribing(observer, to: "registry/device-changes")
        observer.start()
        try await observer.waitUntilConnected()

        let rest = RESTCaller(base: running.baseURL)
        let token = try TestAccounts.adminToken(dataDir: running.dataDir)
        #expect(await eventually(timeout: .seconds(30)) { (try? await rest.call(.GET, "/api/summary", token: token).status) == 200 }, "gateway did not come up")
        let body = #"{"id":"CAM-ONVIF","address":"127.0.0.1","username":"admin","password":"secret","checks":{"onvifURL":"\#(stub.url)"}}"#
        let created = try await rest.call(.POST, "/api/cameras", body: body, token: token)
        #expect(created.status == 201 || created.status == 200, "\(created.body)")

        // The prober's result: the clock 7 min ahead, the identity read with a token signed on it.
        #expect(await eventually(timeout: .seconds(60)) {
            results.all.contains { message in
                guard let result = try? ContractCodec.decode(message.payload, as: ONVIFResult.self, expecting: [.probeONVIF]).data else { return false }
                return result.reason == "clock_skew" && result.device?.serial == "SN-0001" && abs((result.clockSkewSeconds ?? 0) - 420) <= 2
            }
        }, "\(results.all.map { String(decoding: $0.payload, as: UTF8.self) }.suffix(2))")
        // The registry stored it on the camera (first sight: no event).
        #expect(await eventually(timeout: .seconds(30)) {
            (try? await rest.call(.GET, "/api/cameras/CAM-ONVIF", token: token).body.contains("SN-0001")) ?? false
        })
        #expect(changes.all.isEmpty)
        // The console has the newest ONVIF check with the camera: the clock 7 min ahead, judged skewed.
        struct Detail: Decodable { var onvif: ONVIFResult? }
        #expect(await eventually(timeout: .seconds(30)) {
            guard let body = try? await rest.call(.GET, "/api/cameras/CAM-ONVIF", token: token).body,
                  let onvif = try? ContractCodec.decodeValue(Detail.self, from: Data(body.utf8)).onvif else { return false }
            return onvif.reason == "clock_skew" && onvif.clockSkewed == true && abs((onvif.clockSkewSeconds ?? 0) - 420) <= 2
        }, "the camera detail carries its newest ONVIF check")

        try await stub.setIdentity(serial: "SN-9999")
        let replaced = await changes.first(timeout: .seconds(60)) { _ in true }
        let event = try #require(replaced.flatMap { try? ContractCodec.decode($0.payload, as: CameraDeviceChange.self, expecting: [.cameraDeviceChanged]).data })
        #expect(event.change == .replaced && event.previous.serial == "SN-0001" && event.current.serial == "SN-9999" && event.cameraID == "CAM-ONVIF")

        try await stub.setIdentity(firmware: "V5.8.0")
        #expect(await eventually(timeout: .seconds(60)) {
            changes.all.contains { (try? ContractCodec.decode($0.payload, as: CameraDeviceChange.self, expecting: [.cameraDeviceChanged]).data.change) == .firmware }
        })
        #expect(await eventually(timeout: .seconds(30)) {
            let camera = try? await rest.call(.GET, "/api/cameras/CAM-ONVIF", token: token).body
            return camera?.contains("SN-9999") == true && camera?.contains("V5.8.0") == true
        })
        // One event per change, not one per check.
        #expect(changes.all.count == 2)
        await running.stop()
    }

    @Test("a clock off and a replaced camera reach the vendor's webhook once each, in Korean and English, and the clock set right once more")
    func noticesReachTheVendor() async throws {
        var logger = Logger(label: "e2e-onvif-notices")
        logger.logLevel = .warning
        let stub = try ONVIFStub(skew: 420)
        defer { stub.stop() }
        let sink = try await HTTPSink()
        let running = try TestInstallation([.registry, .prober, .notifier, .gateway], logger: logger) { c in
            c.prober.onvifEvery = 1
            c.prober.interval = 1
            c.notifier.vendorWebhook = sink.url("/vendor")
            c.notifier.operatorsWebhook = sink.url("/ops")
        }
        let observer = MQTTClient(configuration: .init(port: running.broker.port, clientID: "observer-\(UUID().uuidString.prefix(6))", cleanStart: true),
                                  logger: logger)
        let results = try await Collector.subscribing(observer, to: "cctv/+/onvif")
        observer.start()
        try await observer.waitUntilConnected()
        let rest = RESTCaller(base: running.baseURL)
        let token = try TestAccounts.adminToken(dataDir: running.dataDir)
        #expect(await eventually(timeout: .seconds(30)) { (try? await rest.call(.GET, "/api/summary", token: token).status) == 200 }, "gateway did not come up")
        let body = #"{"id":"CAM-CLOCK","name":"정문 카메라","address":"127.0.0.1","site":"본관","vendor":"vendor","username":"admin","password":"secret","checks":{"onvifURL":"\#(stub.url)"}}"#
        let created = try await rest.call(.POST, "/api/cameras", body: body, token: token)
        #expect(created.status == 201 || created.status == 200, "\(created.body)")

        @Sendable func notices(_ event: String, _ path: String = "/vendor") -> [HTTPSink.Received] {
            sink.all.filter { $0.path == path && $0.json?["event"] as? String == event }
        }
        /// Waits until `count` more ONVIF results were published: the notifier has seen those checks too.
        func checks(_ count: Int) async -> Bool {
            let seen = results.all.count
            return await eventually(timeout: .seconds(60)) { results.all.count >= seen + count }
        }

        // The clock 7 min ahead: told once, to the vendor and the operators, in both languages.
        let skewed = await sink.first(timeout: .seconds(60)) { $0.path == "/vendor" && $0.json?["event"] as? String == "clock_skewed" }
        let json = try #require(skewed?.json, "no clock notice reached the vendor: \(sink.all.map { $0.json?["event"] ?? $0.path })")
        #expect(json["cameraID"] as? String == "CAM-CLOCK" && json["site"] as? String == "본관")
        #expect(abs((json["clockSkewSeconds"] as? Double ?? 0) - 420) <= 2, "\(json["clockSkewSeconds"] ?? "-")")
        #expect((json["messageKo"] as? String)?.contains("시계") == true, "\(json["messageKo"] ?? "")")
        #expect((json["messageEn"] as? String)?.contains("clock is +4") == true, "\(json["messageEn"] ?? "")")
        #expect(await eventually(timeout: .seconds(30)) { notices("clock_skewed", "/ops").count == 1 }, "the operators are told too")

        // The camera is swapped: told once.
        try await stub.setIdentity(serial: "SN-9999")
        let replaced = await sink.first(timeout: .seconds(60)) { $0.path == "/vendor" && $0.json?["event"] as? String == "device_replaced" }
        let change = try #require(replaced?.json)
        #expect((change["previous"] as? [String: Any])?["serial"] as? String == "SN-0001")
        #expect((change["current"] as? [String: Any])?["serial"] as? String == "SN-9999")
        #expect((change["messageKo"] as? String)?.contains("SN-0001 → SN-9999") == true)

        // The clock is set right: told once.
        try await stub.setClock(skew: 0)
        let fixed = await sink.first(timeout: .seconds(60)) { $0.path == "/vendor" && $0.json?["event"] as? String == "clock_fixed" }
        #expect(fixed != nil, "no 'clock right again' notice: \(sink.all.map { $0.json?["event"] ?? $0.path })")
        #expect(await checks(3), "the prober kept checking")
        // Once per change, not once per check.
        #expect(notices("clock_skewed").count == 1 && notices("device_replaced").count == 1 && notices("clock_fixed").count == 1,
                "\(sink.all.filter { $0.path == "/vendor" }.map { $0.json?["event"] ?? "-" })")
        #expect(results.all.count >= 5)
        await running.stop()
    }
}
