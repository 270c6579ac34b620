import CCTVContract
import Foundation
import ServiceRuntime
import Testing
import TestSupport

/// Snapshot evidence through the gateway: frames kept by the prober's store (a real JPEG from
/// ffmpeg) are served to signed-in users at the path notices and picture results link to.
@Suite("snapshot evidence served by the gateway", .serialized, .runsAlone)
struct SnapshotRouteTests {
    /// A real one-frame JPEG, as the picture check's ffmpeg writes it.
    static func frame(_ color: String, to file: URL) async throws {
        let ffmpeg = try RequiredTool.path("ffmpeg", package: "ffmpeg")
        let run = try await ToolProcess.run(ffmpeg, ["-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=\(color):s=160x120", "-frames:v", "1", file.path])
        #expect(run.status == 0, "\(run.output)")
    }

    @Test("the newest frame of a camera is served as JPEG; a named frame only for its own camera; none yet is a 404 with words")
    func servesFrames() async throws {
        let harness = try await GatewayHarness()
        do { try await servesFrames(harness) } catch { await harness.stop(); throw error }
        await harness.stop()
    }

    func servesFrames(_ harness: GatewayHarness) async throws {
        let admin = try TestAccounts.adminToken(dataDir: harness.dataDir)
        for (id, octet) in [("CAM-1", 1), ("CAM-1-2", 2), ("CAM-NONE", 3)] {
            let made = try await harness.rest.call(.POST, "/api/cameras", body: #"{"id":"\#(id)","address":"127.88.0.\#(octet)","site":"A"}"#, token: admin)
            #expect(made.status == 201, "\(made.body)")
        }
        let rest = harness.rest
        #expect(await eventually(timeout: .seconds(10)) { (try? await rest.call(.GET, "/api/cameras/CAM-NONE", token: admin).status) == 200 })

        // Frames written through the store the prober uses: two of CAM-1 (older red, newer blue),
        // one of CAM-1-2 (newest of all: it must not pass for CAM-1's).
        let store = SnapshotStore(dataDir: harness.dataDir)
        var kept: [String: String] = [:]
        for (camera, color) in [("CAM-1", "red"), ("CAM-1", "blue"), ("CAM-1-2", "green")] {
            let file = store.newFile(camera: camera)
            try await Self.frame(color, to: file)
            kept["\(camera) \(color)"] = try #require(store.keep(file, camera: camera))
            try await Task.sleep(for: .milliseconds(5))  // distinct millisecond names
        }
        let blue = try Data(contentsOf: store.folder.appendingPathComponent(try #require(kept["CAM-1 blue"])))

        let newest = try await rest.call(.GET, SnapshotPath.newest(camera: "CAM-1"), token: admin)
        #expect(newest.status == 200)
        #expect(newest.values("Content-Type").first == "image/jpeg")
        #expect(newest.data == blue, "the newest of CAM-1's own frames, not CAM-1-2's")
        #expect(newest.data.starts(with: [0xFF, 0xD8]), "a JPEG")

        let named = try await rest.call(.GET, SnapshotPath.frame(camera: "CAM-1", name: try #require(kept["CAM-1 red"])), token: admin)
        #expect(named.status == 200)
        #expect(named.data != blue && !named.data.isEmpty, "the older, named frame")

        let foreign = try await rest.call(.GET, SnapshotPath.frame(camera: "CAM-1", name: try #require(kept["CAM-1-2 green"])), token: admin)
        #expect(foreign.status == 400, "another camera's frame is not served under this camera: \(foreign.body)")
        let escape = try await rest.call(.GET, "/api/cameras/CAM-1/snapshot?name=..%2Faccounts.sqlite", token: admin)
        #expect(escape.status == 400, "\(escape.body)")

        let none = try await rest.call(.GET, SnapshotPath.newest(camera: "CAM-NONE"), token: admin)
        #expect(none.status == 404)
        #expect(none.body.contains("\"code\":\"not_found\"") && none.body.contains("picture checks"), "\(none.body)")
        let unknown = try await rest.call(.GET, SnapshotPath.newest(camera: "CAM-GHOST"), token: admin)
        #expect(unknown.status == 404)
        let anonymous = try await rest.call(.GET, SnapshotPath.newest(camera: "CAM-1"))
        #expect(anonymous.status == 401, "evidence is for signed-in users only")
    }

    @Test("a file name belongs to exactly one camera: {camera}-{milliseconds}.jpg", arguments: [
        ("CAM-1-1700000000000.jpg", "CAM-1"), ("CAM-1-2-1700000000000.jpg", "CAM-1-2"), ("cam.a_b-12.jpg", "cam.a_b"),
        ("CAM.jpg", nil), ("-12.jpg", nil), ("CAM-1-12.png", nil), ("../CAM-1-12.jpg", nil), (".CAM-1-12.jpg", nil), ("CAM-1-1x.jpg", nil),
    ] as [(String, String?)])
    func names(_ name: String, _ camera: String?) {
        #expect(SnapshotStore.camera(ofName: name) == camera)
    }
}
