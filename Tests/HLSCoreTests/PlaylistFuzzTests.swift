import Foundation
import HLSCore
import TestSupport
import Testing

@Suite("Playlist fuzzing")
struct PlaylistFuzzTests {
    static let mediaSeed = """
    #EXTM3U
    #EXT-X-VERSION:7
    #EXT-X-TARGETDURATION:2
    #EXT-X-MEDIA-SEQUENCE:1200
    #EXT-X-DISCONTINUITY-SEQUENCE:4
    #EXT-X-MAP:URI="init.mp4",BYTERANGE="800@0"
    #EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:00.000+00:00
    #EXTINF:2.000,
    seg1200.m4s
    #EXT-X-DISCONTINUITY
    #EXTINF:1.960,title
    #EXT-X-BYTERANGE:1000@200
    seg1201.m4s
    #EXT-X-ENDLIST

    """

    static let masterSeed = """
    #EXTM3U
    #EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2",FRAME-RATE=25
    hi/index.m3u8
    #EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=640x360,CODECS="avc1.42e01e,mp4a.40.2"
    lo/index.m3u8

    """

    /// Applies one random structural mutation: delete, duplicate, flip, or insert a span.
    private static func mutate(_ bytes: inout [UInt8], using generator: inout SeededGenerator) {
        guard !bytes.isEmpty else {
            bytes.append(UInt8.random(in: 0...255, using: &generator))
            return
        }
        let start = Int.random(in: 0..<bytes.count, using: &generator)
        let length = Int.random(in: 1...min(64, bytes.count - start), using: &generator)
        switch Int.random(in: 0..<5, using: &generator) {
        case 0:
            bytes.removeSubrange(start..<(start + length))
        case 1:
            bytes.insert(contentsOf: bytes[start..<(start + length)], at: start)
        case 2:
            bytes[start] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
        case 3:
            let tokens = ["\n", "\r\n", ",", "\"", "=", "@", ":", "#EXTINF:", "#EXT-X-STREAM-INF:", "\u{FEFF}", "x"]
            let token = tokens.randomElement(using: &generator)!
            bytes.insert(contentsOf: Array(token.utf8), at: start)
        default:
            bytes[start] = UInt8.random(in: 0...255, using: &generator)
        }
    }

    @Test("2,000 random and mutated playlists parse without crashing and give a sane result")
    func fuzz() {
        let parser = PlaylistParser(limits: .init(maxBytes: 64 * 1024, maxLines: 2_000, maxSegments: 500))
        let base = URL(string: "http://127.0.0.1/cam/index.m3u8")!
        var generator = SeededGenerator(seed: 0xC0FFEE)
        var outcomes: [String: Int] = [:]

        for iteration in 0..<2_000 {
            var bytes: [UInt8]
            if iteration % 4 == 0 {
                // Pure noise, sometimes behind a valid header so the tag parser is exercised.
                let count = Int.random(in: 0...2_048, using: &generator)
                bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if iteration % 8 == 0 { bytes.insert(contentsOf: Array("#EXTM3U\n".utf8), at: 0) }
            } else {
                bytes = Array((iteration % 4 == 1 ? Self.masterSeed : Self.mediaSeed).utf8)
                for _ in 0..<Int.random(in: 1...12, using: &generator) {
                    Self.mutate(&bytes, using: &generator)
                }
            }

            do {
                switch try parser.parse(Data(bytes), url: base) {
                case let .media(playlist):
                    #expect(playlist.targetDuration >= 0)
                    #expect(playlist.segments.count <= 500)
                    for (index, segment) in playlist.segments.enumerated() {
                        #expect(segment.sequenceNumber == playlist.mediaSequence &+ index)
                        #expect(segment.duration >= 0 && segment.duration.isFinite)
                    }
                    outcomes["media", default: 0] += 1
                case let .master(master):
                    #expect(master.variants.allSatisfy { $0.bandwidth >= 0 })
                    outcomes["master", default: 0] += 1
                }
            } catch {
                #expect(!error.message.isEmpty)
                outcomes[error.reason.rawValue, default: 0] += 1
            }
        }
        #expect(outcomes.values.reduce(0, +) == 2_000)
        // Mutations of a valid playlist must still often be valid, or the fuzzer tests nothing.
        #expect((outcomes["media"] ?? 0) + (outcomes["master"] ?? 0) > 50)
    }
}
