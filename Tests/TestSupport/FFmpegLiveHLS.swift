import Foundation
import Hummingbird
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A live HLS stream made by ffmpeg from a lavfi picture, served on loopback; stops with the test.
package final class FFmpegLiveHLS: @unchecked Sendable {
    package let folder: URL
    package let server: FolderServer
    private let ffmpeg = Process()

    package var url: String { "http://127.0.0.1:\(server.port)/live/index.m3u8" }

    package init(picture: String) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cctv-picture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        ffmpeg.executableURL = URL(fileURLWithPath: try RequiredTool.path("ffmpeg", package: "ffmpeg"))
        ffmpeg.arguments = ["-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", picture, "-t", "90",
                            "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p",
                            "-f", "hls", "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments+temp_file",
                            folder.appendingPathComponent("index.m3u8").path]
        ffmpeg.standardOutput = FileHandle.nullDevice
        try ffmpeg.runDyingWithTests()
        server = try await FolderServer(folder: folder)
        let playlist = folder.appendingPathComponent("index.m3u8")
        let ready = await eventually(timeout: .seconds(40)) {
            ((try? String(contentsOf: playlist, encoding: .utf8))?.components(separatedBy: "#EXTINF").count ?? 0) >= 5
        }
        if !ready { stop(); throw FixtureError("ffmpeg wrote no live playlist with four segments from \(picture)") }
    }

    deinit { stop() }

    package func stop() {
        if ffmpeg.isRunning { kill(ffmpeg.processIdentifier, SIGKILL); ffmpeg.waitUntilExit() }
        try? FileManager.default.removeItem(at: folder)
    }
}

/// Serves the files of one folder at `/live/{name}` on loopback.
package final class FolderServer: Sendable {
    package let port: Int
    private let task: Task<Void, any Error>

    package init(folder: URL) async throws {
        let port = try FreePort.find()
        self.port = port
        let router = Router()
        router.get("/live/:file") { _, context -> Response in
            guard let name = context.parameters.get("file"), !name.contains("/"), !name.hasPrefix("."),
                  let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else {
                return Response(status: .notFound)
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        var logger = Logger(label: "folder-server")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        task = Task { try await app.runService() }
        for _ in 0..<200 where !FreePort.isListening(port) { try await Task.sleep(for: .milliseconds(20)) }
    }

    deinit { task.cancel() }
}
