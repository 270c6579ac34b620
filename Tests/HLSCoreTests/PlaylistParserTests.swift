import Foundation
import HLSCore
import TestSupport
import Testing

@Suite("Playlist parsing")
struct PlaylistParserTests {
    let parser = PlaylistParser()
    let cameraURL = URL(string: "http://127.0.0.1:8080/cam1/live/index.m3u8")!

    private func media(_ text: String, url: URL? = nil) throws -> MediaPlaylist {
        guard case let .media(playlist) = try parser.parse(text, url: url) else {
            Issue.record("expected a media playlist")
            throw CancellationError()
        }
        return playlist
    }

    private func error(_ text: String, parser: PlaylistParser = PlaylistParser()) -> PlaylistError? {
        do {
            _ = try parser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("a master playlist yields its variants with bandwidth, resolution and codecs")
    func masterPlaylist() throws {
        let text = """
        #EXTM3U
        #EXT-X-VERSION:3
        #EXT-X-STREAM-INF:BANDWIDTH=2500000,AVERAGE-BANDWIDTH=2000000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2",FRAME-RATE=25.000
        hi/index.m3u8
        #EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=640x360,CODECS="avc1.42e01e,mp4a.40.2"
        lo/index.m3u8
        """
        let playlist = try parser.parse(text, url: cameraURL)
        guard case let .master(master) = playlist else {
            Issue.record("expected master, got \(playlist)")
            return
        }
        #expect(master.variants.count == 2)
        let high = master.variants[0]
        #expect(high.bandwidth == 2_500_000)
        #expect(high.averageBandwidth == 2_000_000)
        #expect(high.resolution == Resolution(width: 1920, height: 1080))
        #expect(high.codecs == ["avc1.640028", "mp4a.40.2"])
        #expect(high.frameRate == 25)
        #expect(high.uri.absoluteString == "http://127.0.0.1:8080/cam1/live/hi/index.m3u8")
        #expect(master.variants[1].resolution?.description == "640x360")
    }

    @Test("a live media playlist yields sequence numbers, durations and segment URIs")
    func mediaPlaylist() throws {
        let text = """
        #EXTM3U
        #EXT-X-VERSION:3
        #EXT-X-TARGETDURATION:2
        #EXT-X-MEDIA-SEQUENCE:1041
        #EXT-X-DISCONTINUITY-SEQUENCE:3
        #EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:00.500Z
        #EXTINF:2.000,
        seg1041.ts
        #EXT-X-DISCONTINUITY
        #EXTINF:1.960,camera title
        #EXT-X-BYTERANGE:1000@200
        seg1042.ts
        """
        let playlist = try media(text, url: cameraURL)
        #expect(playlist.targetDuration == 2)
        #expect(playlist.mediaSequence == 1041)
        #expect(playlist.discontinuitySequence == 3)
        #expect(playlist.endList == false)
        #expect(playlist.playlistType == nil)
        #expect(playlist.version == 3)
        #expect(playlist.segments.map(\.sequenceNumber) == [1041, 1042])
        #expect(playlist.segments.map(\.duration) == [2.0, 1.96])
        #expect(playlist.segments[0].programDateTime == Date(timeIntervalSince1970: 1_714_557_600.5))
        #expect(playlist.segments[0].discontinuity == false)
        #expect(playlist.segments[1].discontinuity)
        #expect(playlist.segments[1].title == "camera title")
        #expect(playlist.segments[1].byteRange == ByteRange(length: 1000, offset: 200))
        #expect(playlist.newestSegment?.uri.absoluteString == "http://127.0.0.1:8080/cam1/live/seg1042.ts")
    }

    @Test("an ffmpeg fMP4 playlist exposes its EXT-X-MAP initialization section")
    func fmp4Map() throws {
        let url = URL(string: "http://127.0.0.1/hls/out.m3u8")!
        let playlist = try media(try Fixture.text("media_fmp4.m3u8"), url: url)
        #expect(playlist.map?.uri.absoluteString == "http://127.0.0.1/hls/init.mp4")
        #expect(playlist.segments.count == 2)
        #expect(playlist.endList)
        #expect(playlist.segments.allSatisfy { $0.map == playlist.map })
    }

    @Test("an ffmpeg MPEG-TS playlist parses with its ENDLIST")
    func ffmpegTransportStreamPlaylist() throws {
        let playlist = try media(try Fixture.text("media_ts.m3u8"), url: cameraURL)
        #expect(playlist.targetDuration == 1)
        #expect(playlist.segments.map(\.uri.lastPathComponent) == ["out0.ts", "out1.ts"])
        #expect(playlist.map == nil)
        #expect(playlist.endList)
    }

    @Test("program date-times with offsets parse, and unparseable ones are dropped", arguments: [
        ("2024-05-01T12:00:00+02:00", Date(timeIntervalSince1970: 1_714_557_600) as Date?),
        ("2024-05-01T10:00:00.250Z", Date(timeIntervalSince1970: 1_714_557_600.25)),
        ("yesterday", nil),
    ])
    func programDateTime(text: String, expected: Date?) throws {
        let playlist = try media("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PROGRAM-DATE-TIME:\(text)\n#EXTINF:2,\na.ts\n")
        #expect(playlist.segments.first?.programDateTime == expected)
    }

    @Test("CRLF line endings parse the same as LF")
    func crlf() throws {
        let lf = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:4.0,\na.ts\n#EXTINF:4.0,\nb.ts\n"
        let crlf = lf.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try media(crlf) == media(lf))
        #expect(try media(crlf).segments.last?.uri.absoluteString == "b.ts")
    }

    @Test("a UTF-8 byte-order mark, blank lines, comments and unknown tags are tolerated")
    func bomAndNoise() throws {
        let body = "\n#EXTM3U\n\n# a comment\n#EXT-X-TARGETDURATION:6\n#EXT-X-VENDOR-THING:42\n\n#EXTINF:6,\n  a.ts  \n"
        var data = Data([0xEF, 0xBB, 0xBF])
        data.append(Data(body.utf8))
        guard case let .media(playlist) = try parser.parse(data) else {
            Issue.record("expected media playlist")
            return
        }
        #expect(playlist.targetDuration == 6)
        #expect(playlist.segments.map(\.uri.absoluteString) == ["a.ts"])

        let bomString = "\u{FEFF}#EXTM3U\n#EXT-X-TARGETDURATION:6\n"
        #expect(try media(bomString).segments.isEmpty)
    }

    @Test("relative, root-relative and absolute URIs resolve against the playlist URL")
    func relativeURIs() throws {
        let text = """
        #EXTM3U
        #EXT-X-TARGETDURATION:2
        #EXTINF:2,
        seg1.ts
        #EXTINF:2,
        ../other/seg2.ts
        #EXTINF:2,
        /root/seg3.ts
        #EXTINF:2,
        http://127.0.0.1:9000/abs/seg4.ts
        """
        let uris = try media(text, url: cameraURL).segments.map(\.uri.absoluteString)
        #expect(uris == [
            "http://127.0.0.1:8080/cam1/live/seg1.ts",
            "http://127.0.0.1:8080/cam1/other/seg2.ts",
            "http://127.0.0.1:8080/root/seg3.ts",
            "http://127.0.0.1:9000/abs/seg4.ts",
        ])
    }

    @Test("ENDLIST and PLAYLIST-TYPE are recorded")
    func endListAndType() throws {
        let playlist = try media("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n")
        #expect(playlist.endList)
        #expect(playlist.playlistType == .vod)
    }

    @Test("missing #EXTM3U is playlist_not_m3u8 naming the line")
    func missingHeader() {
        let failure = error("\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n")
        #expect(failure == .notM3U8(line: 2, found: "#EXT-X-TARGETDURATION:2"))
        #expect(failure?.reason.rawValue == "playlist_not_m3u8")
        #expect(failure?.message.contains("line 2") == true)
    }

    @Test("an HTML error page is playlist_not_m3u8")
    func htmlPage() {
        let failure = error("<html><head><title>404 Not Found</title></head></html>")
        #expect(failure?.reason == .playlistNotM3U8)
    }

    @Test("empty and whitespace-only bodies are playlist_empty")
    func empty() {
        #expect(error("")?.reason == .playlistEmpty)
        #expect(error(" \n\r\n\t\n")?.reason == .playlistEmpty)
        #expect(error("#EXTM3U\n")?.reason == .playlistEmpty)
    }

    @Test("binary garbage is rejected, not crashed on")
    func garbage() throws {
        var generator = SeededGenerator(seed: 7)
        let bytes = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        #expect(throws: PlaylistError.self) { try parser.parse(bytes) }
    }

    @Test("structural violations are playlist_malformed with the offending line", arguments: [
        ("#EXTM3U\n#EXT-X-TARGETDURATION:2\nseg.ts\n", 3),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:abc,\nseg.ts\n", 3),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n", 3),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:two\n", 2),
        ("#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=1x1\nlow.m3u8\n", 2),
        ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow.m3u8\n#EXTINF:2,\na.ts\n", 4),
        ("#EXTM3U\n#EXTINF:2,\na.ts\n", 3),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:LIVE\n", 3),
    ])
    func malformed(text: String, line: Int) {
        let failure = error(text)
        #expect(failure?.reason == .playlistMalformed)
        if case let .malformed(reportedLine, _) = failure {
            #expect(reportedLine == line)
        } else {
            Issue.record("expected .malformed, got \(String(describing: failure))")
        }
    }

    @Test("input over the byte limit is refused before parsing")
    func oversize() {
        let limited = PlaylistParser(limits: .init(maxBytes: 1024))
        let big = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n" + String(repeating: "# padding comment line\n", count: 100)
        #expect(error(big, parser: limited) == .tooLarge(bytes: big.utf8.count, limit: 1024))
        #expect(throws: PlaylistError.tooLarge(bytes: 2048, limit: 1024)) {
            try limited.parse(Data(count: 2048))
        }
        let megabyte = Data(count: (1 << 20) + 1)
        #expect(throws: PlaylistError.self) { try PlaylistParser().parse(megabyte) }
    }

    @Test("a huge segment count is cut off at the segment limit")
    func hugeSegmentCount() {
        var text = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
        for index in 0..<20_000 { text += "#EXTINF:1,\ns\(index).ts\n" }
        let bounded = PlaylistParser(limits: .init(maxBytes: 4 << 20, maxLines: 1_000_000, maxSegments: 10_000))
        let failure = error(text, parser: bounded)
        #expect(failure?.reason == .playlistTooManySegments)
        #expect(failure == .tooManySegments(line: 2 + 2 * 10_000 + 2, limit: 10_000))
    }

    @Test("a huge line count is cut off at the line limit")
    func hugeLineCount() {
        let text = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n" + String(repeating: "\n", count: 60_000)
        #expect(error(text)?.reason == .playlistTooLarge)
    }

    @Test("a playlist at the segment limit still parses")
    func exactlyAtLimit() throws {
        var text = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
        for index in 0..<100 { text += "#EXTINF:1,\ns\(index).ts\n" }
        let bounded = PlaylistParser(limits: .init(maxSegments: 100))
        guard case let .media(playlist) = try bounded.parse(text) else {
            Issue.record("expected media")
            return
        }
        #expect(playlist.segments.count == 100)
    }
}
