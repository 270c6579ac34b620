import Foundation
import Hummingbird
import Logging
import NIOCore
@testable import Prober
import TestSupport
import Testing

/// The HLS checker against a real live stream made by ffmpeg, served from a temp folder.
@Suite("HLS checker against a real ffmpeg live stream", .runsAlone)
struct FFmpegLiveStreamTests {
    @Test("a live ffmpeg stream is SUCCESS h264 320x240; once ffmpeg dies it becomes FAIL playlist_stale")
    func liveThenStalled() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cctv-hls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: try RequiredTool.path("ffmpeg", package: "ffmpeg"))
        ffmpeg.arguments = ["-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                            "-t", "120", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
                            "-f", "hls", "-hls_time", "1", "-hls_list_size", "5", "-hls_flags", "delete_segments+temp_file",
                            folder.appendingPathComponent("index.m3u8").path]
        ffmpeg.standardOutput = FileHandle.nullDevice
        try ffmpeg.runDyingWithTests()
        // SIGKILL, like a camera whose encoder hangs: ffmpeg gets no chance to write ENDLIST.
        defer { if ffmpeg.isRunning { kill(ffmpeg.processIdentifier, SIGKILL); ffmpeg.waitUntilExit() } }

        let server = try await FolderServer(folder: folder)
        let url = URL(string: "http://127.0.0.1:\(server.port)/live/index.m3u8")!
        let playlist = folder.appendingPathComponent("index.m3u8")
        let ready = await eventually(timeout: .seconds(30)) {
            ((try? String(contentsOf: playlist, encoding: .utf8))?.components(separatedBy: "#EXTINF").count ?? 0) >= 3
        }
        #expect(ready, "ffmpeg wrote no playlist with two segments")

        let checker = HLSChecker(fetcher: HTTPClientHLSFetcher(), limits: HLSCheckLimits(timeBudget: .seconds(5)))
        let live = await checker.check(key: "ffmpeg", url: url)
        #expect(live.status == .success, "\(live)")
        #expect(live.codec == "h264")
        #expect(live.width == 320 && live.height == 240)
        #expect((live.bitrateKbps ?? 0) > 0)

        // The optional deep check opens the same stream with ffprobe, the way a player would.
        let deep = await FFprobeDeepCheck(timeout: .seconds(20)).probe(url)
        #expect(deep?.isHealthy == true, "\(String(describing: deep))")
        #expect(deep?.codec == "h264")
        #expect(deep?.width == 320 && deep?.height == 240)
        let missing = await FFprobeDeepCheck(timeout: .seconds(20)).probe(URL(string: "http://127.0.0.1:\(server.port)/live/nope.m3u8")!)
        #expect(missing?.reason == "deep_check_failed", "\(String(describing: missing))")

        kill(ffmpeg.processIdentifier, SIGKILL)
        ffmpeg.waitUntilExit()
        // Stale threshold: 3 × target duration (1 s). Wait past it, then check again. ffmpeg
        // went on writing segments during the deep check, so this check may see the playlist
        // moved since the first one: by up to 1 s less media than the time that passed since,
        // plus this wait. Waiting 5 s keeps that gap past the threshold, so the check reloads
        // until it proves the stall (at most the threshold, 3 s, within its 5 s budget).
        try await Task.sleep(for: .seconds(5))
        let stalled = await checker.check(key: "ffmpeg", url: url)
        #expect(stalled.status == .fail, "\(stalled)")
        #expect(stalled.reason == "playlist_stale")
    }
}
