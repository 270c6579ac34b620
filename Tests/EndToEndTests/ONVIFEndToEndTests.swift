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
@Suite("ONVIF identity end to end through a real mosquitto", .serialized, .runsAlone)
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
        let body = #"{"id":"CAM-CLOCK","name":"정문 카메라","address":"127.0.0.1","site":"본관","vendor":"vendor","username":"admin","password":"secret","checks":{"onvifURL":"\#(stub.url)"}}"#
        let (observer, results, _, _) = try await Self.register(body, on: running, observing: "cctv/+/onvif", logger: logger)
        _ = observer

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

    @Test("ONVIF events on: a pull point is kept and renewed, a SignalLoss reaches the vendor as 'signal lost' and its end as 'signal back', a refused renewal subscribes again, a deleted camera unsubscribes")
    func pullPointEvents() async throws {
        var logger = Logger(label: "e2e-onvif-events")
        logger.logLevel = .warning
        let stub = try ONVIFStub()
        defer { stub.stop() }
        let sink = try await HTTPSink()
        let running = try TestInstallation([.registry, .prober, .notifier, .gateway], logger: logger) { c in
            c.prober.onvifEvery = 60
            // A short lease and long poll, so renewals come within seconds.
            c.prober.onvifEventsLease = 4
            c.prober.onvifEventsWait = 1
            c.notifier.vendorWebhook = sink.url("/vendor")
        }
        let body = #"{"id":"CAM-EVENTS","name":"주차장","address":"127.0.0.1","vendor":"vendor","username":"admin","password":"secret","checks":{"onvifURL":"\#(stub.url)","onvifEvents":true}}"#
        let (observer, published, rest, token) = try await Self.register(body, on: running, observing: "cctv/+/onvif-event", logger: logger)
        _ = observer

        @Sendable func events() -> [ONVIFEventResult] {
            published.all.compactMap { try? ContractCodec.decode($0.payload, as: ONVIFEventResult.self, expecting: [.probeONVIFEvent]).data }
        }
        @Sendable func log(_ op: String) async -> [[String: Any]] {
            ((try? await stub.log()) ?? []).filter { $0["op"] as? String == op }
        }
        @Sendable func notices(_ event: String) -> Int {
            sink.all.filter { $0.path == "/vendor" && $0.json?["event"] as? String == event }.count
        }

        // Subscribed with a signed token; the pull point's first message is the current state (no signal loss).
        let initialized = await eventually(timeout: .seconds(60)) { events().contains { $0.kind == .signalLoss && !$0.active && $0.operation == "Initialized" } }
        let subscriptions = await log("CreatePullPointSubscription")
        #expect(initialized, "no Initialized state was pulled: \(subscriptions)")
        #expect(!subscriptions.isEmpty && subscriptions.allSatisfy { $0["token_accepted"] as? Bool == true && $0["wsse"] as? String == "digest" })
        let pulls = await log("PullMessages")
        #expect(!pulls.isEmpty && pulls.allSatisfy { ($0["path"] as? String)?.hasPrefix("/onvif/pullpoint/") == true },
                "pulled from the camera's pull point, on the registered host (its inside address ignored)")

        // The signal drops: published and told to the vendor.
        try await stub.emit("signal_loss", state: true)
        #expect(await eventually(timeout: .seconds(30)) { events().contains { $0.kind == .signalLoss && $0.active && $0.operation == "Changed" } })
        let lost = await sink.first(timeout: .seconds(30)) { $0.path == "/vendor" && $0.json?["event"] as? String == "signal_lost" }
        let json = try #require(lost?.json, "no signal_lost notice: \(sink.all.map { $0.json?["event"] ?? $0.path })")
        #expect(json["topic"] as? String == "tns1:VideoSource/SignalLoss" && json["cameraID"] as? String == "CAM-EVENTS")
        #expect((json["messageKo"] as? String)?.contains("영상 신호") == true)

        // Renewed before the lease ends; a refused renewal subscribes again (the new pull point reports the loss again: not told twice).
        #expect(await eventually(timeout: .seconds(30)) { await log("Renew").contains { $0["refused"] == nil && $0["unknown"] == nil } }, "never renewed")
        let before = await log("CreatePullPointSubscription").count
        try await stub.refuseRenewals(1)
        #expect(await eventually(timeout: .seconds(30)) { await log("Renew").contains { $0["refused"] as? Bool == true } }, "no renewal was refused")
        #expect(await eventually(timeout: .seconds(30)) { await log("CreatePullPointSubscription").count > before }, "not subscribed again after the refusal")
        #expect(await eventually(timeout: .seconds(30)) { events().filter { $0.active && $0.operation == "Initialized" }.count >= 1 })

        // The signal is back: told once.
        try await stub.emit("signal_loss", state: false)
        #expect(await eventually(timeout: .seconds(30)) { notices("signal_back") == 1 })
        #expect(notices("signal_lost") == 1, "\(sink.all.map { $0.json?["event"] ?? $0.path })")

        // The camera is deleted: its subscription is ended on the camera.
        let deleted = try await rest.call(.DELETE, "/api/cameras/CAM-EVENTS", token: token)
        #expect(deleted.status == 200 || deleted.status == 204, "\(deleted.body)")
        #expect(await eventually(timeout: .seconds(30)) { await log("Unsubscribe").contains { $0["unknown"] == nil } }, "never unsubscribed")
        await running.stop()
    }

    /// Watches `topic` on the installation's broker, waits for the gateway, and registers the camera
    /// `body` over REST as the admin.
    static func register(_ body: String, on running: TestInstallation, observing topic: String, logger: Logger) async throws
        -> (MQTTClient, Collector<MQTTMessage>, RESTCaller, String) {
        let observer = MQTTClient(configuration: .init(port: running.broker.port, clientID: "observer-\(UUID().uuidString.prefix(6))", cleanStart: true),
                                  logger: logger)
        let collected = try await Collector.subscribing(observer, to: topic)
        observer.start()
        try await observer.waitUntilConnected()
        let rest = RESTCaller(base: running.baseURL)
        let token = try TestAccounts.adminToken(dataDir: running.dataDir)
        #expect(await eventually(timeout: .seconds(30)) { (try? await rest.call(.GET, "/api/summary", token: token).status) == 200 }, "gateway did not come up")
        let created = try await rest.call(.POST, "/api/cameras", body: body, token: token)
        #expect(created.status == 201 || created.status == 200, "\(created.body)")
        return (observer, collected, rest, token)
    }
}
