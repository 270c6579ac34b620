import Foundation
import HLSCore
import Testing

@Suite("Variant selection")
struct VariantSelectionTests {
    private func variant(_ name: String, _ bandwidth: Int, _ size: (Int, Int)? = nil, codecs: [String] = []) -> Variant {
        Variant(
            uri: URL(string: "http://127.0.0.1/\(name).m3u8")!,
            bandwidth: bandwidth,
            resolution: size.map { Resolution(width: $0.0, height: $0.1) },
            codecs: codecs
        )
    }

    @Test("the cheapest variant is chosen by default")
    func lowestByDefault() {
        let master = MasterPlaylist(variants: [variant("hi", 4_000_000), variant("lo", 300_000), variant("mid", 1_000_000)])
        #expect(master.selectVariant()?.uri.lastPathComponent == "lo.m3u8")
    }

    @Test("the highest policy picks the richest variant")
    func highest() {
        let master = MasterPlaylist(variants: [variant("hi", 4_000_000), variant("lo", 300_000)])
        #expect(master.selectVariant(.highestBandwidth)?.uri.lastPathComponent == "hi.m3u8")
    }

    @Test("audio-only variants are skipped when a video variant exists")
    func skipsAudioOnly() {
        let master = MasterPlaylist(variants: [
            variant("audio", 64_000, codecs: ["mp4a.40.2"]),
            variant("video", 800_000, (640, 360), codecs: ["avc1.42e01e", "mp4a.40.2"]),
        ])
        #expect(master.selectVariant()?.uri.lastPathComponent == "video.m3u8")
    }

    @Test("bandwidth ties are broken by resolution, then playlist order")
    func ties() {
        let master = MasterPlaylist(variants: [
            variant("big", 500_000, (1280, 720)),
            variant("small", 500_000, (640, 360)),
            variant("small-again", 500_000, (640, 360)),
        ])
        #expect(master.selectVariant()?.uri.lastPathComponent == "small.m3u8")
        #expect(master.selectVariant(.highestBandwidth)?.uri.lastPathComponent == "big.m3u8")
    }

    @Test("an empty master playlist selects nothing")
    func empty() {
        #expect(MasterPlaylist(variants: []).selectVariant() == nil)
    }
}
