import CCTVContract
import Foundation
import Logging
import Testing
import TestSupport

/// A camera whose stream plays but shows only black (ffmpeg's `color=black`, served as live HLS),
/// with the picture check on, through the five real services on a real mosquitto: the picture
/// check calls it black, the issues service opens a PICTURE incident for the vendor, the vendor's
/// webhook carries the snapshot link, and that link gives the signed-in reader the frame itself.
@Suite("a black picture reaches the vendor with its frame", .serialized, .runsAlone)
struct PictureIncidentEndToEndTests {
    @Test("black stream → PICTURE incident → the vendor's webhook with a snapshot link → that JPEG frame")
    func blackPictureNotice() async throws {
        var logger = Logger(label: "e2e-picture")
        logger.logLevel = .warning
        let stream = try await FFmpegLiveHLS(picture: "color=black:s=320x240:r=10")
        defer { stream.stop() }
        let sink = try await HTTPSink()
        let running = try TestInstallation([.registry, .prober, .issues, .notifier, .gateway], logger: logger) { c in
            c.prober.interval = 2
            c.prober.icmpCount = 1
            c.prober.pictureEvery = 2
            c.prober.pictureSample = 2
            c.issues.policy.openAfter = 2
            c.notifier.vendorWebhook = sink.url("/vendor")
            c.notifier.dashboardURL = "http://127.0.0.1:\(c.gateway.port)"
        }
        let rest = RESTCaller(base: running.baseURL)
        let token = try TestAccounts.adminToken(dataDir: running.dataDir)
        #expect(await eventually(timeout: .seconds(30)) { (try? await rest.call(.GET, "/api/summary", token: token).status) == 200 }, "gateway did not come up")
        let body = #"{"id":"CAM-BLACK","name":"렌즈 가림 카메라","address":"127.0.0.1","hlsURL":"\#(stream.url)","vendor":"vendor","checks":{"picture":true}}"#
        let created = try await rest.call(.POST, "/api/cameras", body: body, token: token)
        #expect(created.status == 201, "\(created.body)")

        let notice = await sink.first(timeout: .seconds(120)) { received in
            let issue = received.json?["issue"] as? [String: Any]
            return received.path == "/vendor" && received.json?["event"] as? String == "opened" && issue?["kind"] as? String == "PICTURE"
        }
        let json = try #require(notice?.json, "no PICTURE notice reached the vendor: \(sink.all.map(\.path))")
        let issue = try #require(json["issue"] as? [String: Any])
        #expect(issue["cameraID"] as? String == "CAM-BLACK")
        #expect((issue["reason"] as? String)?.contains("black") == true, "\(issue["reason"] ?? "")")
        let link = try #require(json["snapshot"] as? String, "the notice has no snapshot link: \(json.keys.sorted())")
        #expect(link.hasPrefix(running.baseURL + "/api/cameras/CAM-BLACK/snapshot"), "\(link)")
        #expect((json["messageKo"] as? String)?.isEmpty == false)

        // The link needs a signed-in reader, and gives the frame the picture check kept.
        let path = String(link.dropFirst(running.baseURL.count))
        #expect(try await rest.call(.GET, path).status == 401)
        let frame = try await rest.call(.GET, path, token: token)
        #expect(frame.status == 200)
        #expect(frame.headers.contains { $0.0.lowercased() == "content-type" && $0.1 == "image/jpeg" })
        #expect(frame.data.starts(with: [0xFF, 0xD8]), "not a JPEG: \(frame.data.prefix(4).map { String($0, radix: 16) })")
        await running.stop()
    }
}
