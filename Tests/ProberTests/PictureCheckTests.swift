import CCTVContract
import Foundation
import ServiceRuntime
@testable import Prober
import TestSupport
import Testing

@Suite("picture check (ffmpeg blackdetect/freezedetect) against live ffmpeg HLS streams", .serialized, .runsAlone)
struct PictureCheckTests {
    /// A strip of moving test pattern across the top third, like a camera's burned-in clock.
    static let clockOverStill = "smptebars=s=320x240:r=10[still];testsrc2=s=320x64:r=10[clock];[still][clock]overlay=0:0"
    static let withoutClock = PictureCrop(x: 0, y: 0.4, width: 1, height: 0.6)

    static func check(_ stream: FFmpegLiveHLS, crop: PictureCrop? = nil, snapshots: SnapshotStore? = nil) async -> PictureCheck.Outcome {
        await PictureCheck(options: .init(sampleSeconds: 3, timeout: .seconds(30), snapshots: snapshots))
            .check(camera: "CAM-1", url: stream.url, crop: crop, hasCredentials: false)
    }

    @Test("a normal moving picture is OK, and one snapshot is kept as evidence")
    func normal() async throws {
        let stream = try await FFmpegLiveHLS(picture: "testsrc=s=320x240:r=10")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cctv-snapshots-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let outcome = await Self.check(stream, snapshots: SnapshotStore(folder: folder, perCamera: 2))
        #expect(outcome.status == .ok, "\(outcome)")
        #expect((outcome.sampledSeconds ?? 0) >= 2)
        let name = try #require(outcome.snapshot)
        let jpeg = try Data(contentsOf: folder.appendingPathComponent(name))
        #expect(jpeg.starts(with: [0xFF, 0xD8]), "a JPEG frame")
        #expect((outcome.cpuSeconds ?? 0) > 0)
    }

    @Test("a black picture is BLACK")
    func black() async throws {
        let outcome = await Self.check(try await FFmpegLiveHLS(picture: "color=black:s=320x240:r=10"))
        #expect(outcome.status == .black && outcome.reason == "picture_black", "\(outcome)")
    }

    @Test("a still picture is FROZEN")
    func frozen() async throws {
        let outcome = await Self.check(try await FFmpegLiveHLS(picture: "smptebars=s=320x240:r=10"))
        #expect(outcome.status == .frozen && outcome.reason == "picture_frozen", "\(outcome)")
    }

    @Test("a dark moving night scene is not called black (ffmpeg's default thresholds would)")
    func darkScene() async throws {
        let outcome = await Self.check(try await FFmpegLiveHLS(picture: "testsrc=s=320x240:r=10,lutyuv=y=16+(val-16)*0.10"))
        #expect(outcome.status == .ok, "\(outcome)")
    }

    @Test("a frozen picture under a running clock is OK uncropped and FROZEN once the clock is cropped away")
    func clockOverlay() async throws {
        let stream = try await FFmpegLiveHLS(picture: Self.clockOverStill)
        let uncropped = await Self.check(stream)
        #expect(uncropped.status == .ok, "the clock keeps freezedetect quiet: \(uncropped)")
        let cropped = await Self.check(stream, crop: Self.withoutClock)
        #expect(cropped.status == .frozen, "\(cropped)")
    }

    @Test("a picture is judged over RTSP too (GStreamer's RTSP server)")
    func overRTSP() async throws {
        let server = try GStreamerRTSPServer(auth: "none")
        let outcome = await PictureCheck(options: .init(sampleSeconds: 3, timeout: .seconds(30)))
            .check(camera: "CAM-1", url: server.url("/good"), crop: nil, hasCredentials: false)
        #expect(outcome.status == .ok, "\(outcome)")
    }

    @Test("credentials are never put on ffmpeg's command line: such a camera is skipped with a reason")
    func credentials() async {
        let outcome = await PictureCheck().check(camera: "CAM-1", url: "http://127.0.0.1:1/x.m3u8", crop: nil, hasCredentials: true)
        #expect(outcome.status == .error && outcome.reason == "picture_credentials_unsupported")
    }

    @Test("a stream that cannot be opened is ERROR picture_undecodable")
    func undecodable() async throws {
        let outcome = await PictureCheck(options: .init(sampleSeconds: 2, timeout: .seconds(20)))
            .check(camera: "CAM-1", url: "http://127.0.0.1:\(try FreePort.find())/none.m3u8", crop: nil, hasCredentials: false)
        #expect(outcome.status == .error && outcome.reason == "picture_undecodable", "\(outcome)")
    }
}

@Suite("picture judgement and crop", .runsAlone)
struct PictureJudgementTests {
    @Test("black is judged before frozen; an open stretch lasts to the end of the sample")
    func judgement() {
        let black = PictureJudgement(log: "[blackdetect @ 0x1] black_start:0 black_end:4 black_duration:4\n[freezedetect @ 0x2] lavfi.freezedetect.freeze_start: 0\n", sampledSeconds: 4)
        #expect(black.status == .black && black.blackSeconds == 4)
        let frozen = PictureJudgement(log: "[freezedetect @ 0x2] lavfi.freezedetect.freeze_start: 0.4\n", sampledSeconds: 4)
        #expect(frozen.status == .frozen && frozen.frozenSeconds == 3.6)
        let brief = PictureJudgement(log: "[blackdetect @ 0x1] black_start:1 black_end:2 black_duration:1\n", sampledSeconds: 4)
        #expect(brief.status == .ok)
    }

    @Test("crop rectangles are fractions inside the frame")
    func crop() {
        #expect(PictureCrop(parsing: "0,0.1,1,0.9") == PictureCrop(x: 0, y: 0.1, width: 1, height: 0.9))
        #expect(PictureCrop(parsing: "0.5,0,0.6,1") == nil, "wider than the frame")
        #expect(PictureCrop(parsing: "0,0,1") == nil)
        #expect(PictureCheck.filter(crop: PictureCrop(x: 0, y: 0.4, width: 1, height: 0.6)).hasPrefix("crop=w=iw*1.0000:h=ih*0.6000:x=iw*0.0000:y=ih*0.4000,"))
    }
}
