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
}
