import Foundation
import HLSCore
import TestSupport
import Testing

@Suite("Segment inspection")
struct SegmentInspectorTests {
    let inspector = SegmentInspector()

    @Test("an H.264 TS segment has video, an IDR key frame and its SPS size")
    func h264TransportStream() throws {
        let report = inspector.inspect(try Fixture.data("h264_keyframe.ts"))
        #expect(report.container == .mpegTS)
        #expect(report.hasVideo == true)
        #expect(report.videoCodec == .h264)
        #expect(report.hasKeyframe == true)
        #expect(report.resolution == Resolution(width: 320, height: 240))
        #expect(report.failure == nil)
        #expect(report.warnings.isEmpty)
        #expect(report.byteCount == 25_192)
    }

    @Test("an HEVC TS segment has video, an IRAP key frame and its SPS size")
    func hevcTransportStream() throws {
        let report = inspector.inspect(try Fixture.data("hevc_keyframe.ts"))
        #expect(report.container == .mpegTS)
        #expect(report.videoCodec == .hevc)
        #expect(report.hasKeyframe == true)
        #expect(report.resolution == Resolution(width: 320, height: 240))
        #expect(report.isHealthy)
    }

    @Test("a segment that starts mid-GOP is healthy with a no_keyframe warning")
    func noKeyframe() throws {
        let report = inspector.inspect(try Fixture.data("h264_no_idr.ts"))
        #expect(report.hasVideo == true)
        #expect(report.hasKeyframe == false)
        #expect(report.isHealthy)
        #expect(report.warnings.map(\.reason) == [.noKeyframe])
        #expect(report.warnings.first?.severity == .warning)
    }

    @Test("an audio-only TS segment is FAIL no_video")
    func audioOnly() throws {
        let report = inspector.inspect(try Fixture.data("aac_audio_only.ts"))
        #expect(report.container == .mpegTS)
        #expect(report.hasVideo == false)
        #expect(report.failure?.reason == .noVideo)
    }

    @Test("a truncated TS prefix is still analysed", arguments: [2_000, 4_001, 9_999])
    func truncatedTransportStream(length: Int) throws {
        let report = inspector.inspect(try Fixture.data("h264_keyframe.ts").prefix(length))
        #expect(report.container == .mpegTS)
        #expect(report.hasVideo == true)
        #expect(report.byteCount == length)
        #expect(report.isHealthy)
    }

    @Test("the caller's byte budget bounds how much is inspected")
    func byteBudget() throws {
        let report = SegmentInspector(maxBytes: 3_000).inspect(try Fixture.data("h264_keyframe.ts"))
        #expect(report.byteCount == 3_000)
        #expect(report.hasVideo == true)
    }

    @Test("a TS fragment shorter than a few packets is segment_corrupt")
    func tooShortTransportStream() throws {
        let report = inspector.inspect(try Fixture.data("h264_keyframe.ts").prefix(300))
        #expect(report.failure?.reason == .segmentCorrupt)
    }

    @Test("an fMP4 fragment with its init section has H.264 video and a sync sample")
    func fragmentedMP4() throws {
        let report = inspector.inspect(
            try Fixture.data("h264_segment.m4s"),
            initialization: try Fixture.data("h264_init.mp4")
        )
        #expect(report.container == .fragmentedMP4)
        #expect(report.hasVideo == true)
        #expect(report.videoCodec == .h264)
        #expect(report.resolution == Resolution(width: 320, height: 240))
        #expect(report.hasKeyframe == true)
        #expect(report.isHealthy)
    }

    @Test("an fMP4 init section alone reports its video track")
    func initializationOnly() throws {
        let report = inspector.inspect(try Fixture.data("h264_init.mp4"))
        #expect(report.container == .fragmentedMP4)
        #expect(report.hasVideo == true)
        #expect(report.hasKeyframe == nil)
    }

    @Test("an fMP4 fragment without its init section is structurally OK but video is unknown")
    func fragmentWithoutInit() throws {
        let report = inspector.inspect(try Fixture.data("h264_segment.m4s"))
        #expect(report.container == .fragmentedMP4)
        #expect(report.hasVideo == nil)
        #expect(report.isHealthy)
    }

    @Test("a truncated fMP4 fragment is still analysed")
    func truncatedFragment() throws {
        let report = inspector.inspect(
            try Fixture.data("h264_segment.m4s").prefix(3_000),
            initialization: try Fixture.data("h264_init.mp4")
        )
        #expect(report.hasKeyframe == true)
        #expect(report.isHealthy)
    }

    @Test("an fMP4 box with an impossible size is segment_corrupt")
    func corruptBox() throws {
        var bytes = try Fixture.data("h264_segment.m4s")
        // Overwrite the size of the second top-level box with 3 (smaller than its header).
        let firstSize = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        bytes.replaceSubrange(firstSize..<(firstSize + 4), with: [0, 0, 0, 3])
        let report = inspector.inspect(bytes)
        #expect(report.failure?.reason == .segmentCorrupt)
    }

    @Test("an empty body is FAIL segment_empty")
    func empty() {
        let report = inspector.inspect(Data())
        #expect(report.failure?.reason == .segmentEmpty)
        #expect(report.container == .unknown)
    }

    @Test("random bytes are segment_corrupt")
    func randomBytes() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<50 {
            let count = Int.random(in: 1...20_000, using: &generator)
            let bytes = Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let report = inspector.inspect(bytes)
            #expect(report.failure?.reason == .segmentCorrupt)
        }
    }

    @Test("an HTML 404 page served as a segment is segment_corrupt and says so")
    func htmlErrorPage() {
        let body = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n"
        let report = inspector.inspect(Data(body.utf8))
        #expect(report.failure?.reason == .segmentCorrupt)
        #expect(report.failure?.message.contains("HTML") == true)
    }

    @Test("all-zero bytes are segment_corrupt")
    func zeros() {
        #expect(inspector.inspect(Data(count: 8_192)).failure?.reason == .segmentCorrupt)
    }

    @Test("TS sync bytes with garbage in between do not crash and are not video")
    func syncOnlyGarbage() {
        var bytes = [UInt8](repeating: 0xFF, count: 188 * 20)
        for packet in 0..<20 { bytes[packet * 188] = 0x47 }
        let report = inspector.inspect(Data(bytes))
        #expect(report.container == .mpegTS)
        #expect(report.failure?.reason == .noVideo)
    }

    @Test("randomly mutated real segments never crash the inspector", arguments: ["h264_keyframe.ts", "hevc_keyframe.ts", "h264_segment.m4s"])
    func mutatedSegments(name: String) throws {
        let original = [UInt8](try Fixture.data(name))
        let initialization = try Fixture.data("h264_init.mp4")
        var generator = SeededGenerator(seed: 99)
        for _ in 0..<100 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...40, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            let length = Int.random(in: 1...bytes.count, using: &generator)
            let report = inspector.inspect(Data(bytes.prefix(length)), initialization: initialization)
            #expect(report.byteCount == length)
            #expect(report.container != .unknown || report.failure != nil)
        }
    }
}
