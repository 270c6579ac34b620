import Foundation

/// Parses HLS playlists (RFC 8216) into ``Playlist`` values.
///
/// The parser is deliberately tolerant of what real cameras emit (CRLF line endings, a UTF-8
/// byte-order mark, blank lines, trailing spaces, unknown tags) and strict about what makes a
/// playlist unusable (missing `#EXTM3U`, URI lines without `#EXTINF`, master and media tags
/// mixed). It is bounded: input larger than ``Limits/maxBytes`` is refused before any work,
/// and line and segment counts are capped, so a hostile or broken server cannot make a health
/// check slow. Every step is a single forward pass, never quadratic.
public struct PlaylistParser: Sendable {
    /// Caps that keep parsing cheap regardless of what the server sends.
    public struct Limits: Sendable, Hashable {
        /// Largest accepted body in bytes. Live camera playlists are a few hundred bytes.
        public var maxBytes: Int
        /// Largest accepted number of lines, blank lines included.
        public var maxLines: Int
        /// Largest accepted number of segments (media) or variants (master).
        public var maxSegments: Int

        /// Creates limits; the defaults are far above any sane live playlist.
        public init(maxBytes: Int = 1 << 20, maxLines: Int = 50_000, maxSegments: Int = 10_000) {
            self.maxBytes = maxBytes
            self.maxLines = maxLines
            self.maxSegments = maxSegments
        }
    }

    /// The limits applied to every parse.
    public var limits: Limits

    /// Creates a parser with the given limits.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Parses a playlist body as downloaded.
    ///
    /// - Parameters:
    ///   - data: The raw response body. Invalid UTF-8 is replaced rather than rejected so that
    ///     binary garbage still yields a precise `playlist_not_m3u8` error.
    ///   - url: The playlist's own URL, used to resolve relative segment and variant URIs.
    public func parse(_ data: Data, url: URL? = nil) throws(PlaylistError) -> Playlist {
        guard data.count <= limits.maxBytes else {
            throw .tooLarge(bytes: data.count, limit: limits.maxBytes)
        }
        return try parseText(String(decoding: data, as: UTF8.self), url: url)
    }

    /// Parses a playlist that is already text.
    public func parse(_ text: String, url: URL? = nil) throws(PlaylistError) -> Playlist {
        let size = text.utf8.count
        guard size <= limits.maxBytes else {
            throw .tooLarge(bytes: size, limit: limits.maxBytes)
        }
        return try parseText(text, url: url)
    }

    private func parseText(_ text: String, url: URL?) throws(PlaylistError) -> Playlist {
        var builder = PlaylistBuilder(baseURL: url, limits: limits)
        var lineNumber = 0
        var start = text.utf8.startIndex
        let end = text.utf8.endIndex

        // Walk the UTF-8 view once, slicing at LF; the slices share storage with `text`.
        while start < end {
            let newline = text.utf8[start...].firstIndex(of: UInt8(ascii: "\n")) ?? end
            var lineEnd = newline
            if lineEnd > start, text.utf8[text.utf8.index(before: lineEnd)] == UInt8(ascii: "\r") {
                lineEnd = text.utf8.index(before: lineEnd)
            }
            lineNumber += 1
            guard lineNumber <= limits.maxLines else {
                throw .tooManyLines(line: lineNumber, limit: limits.maxLines)
            }
            var line = text[start..<lineEnd]
            if lineNumber == 1, line.first == "\u{FEFF}" {
                line = line.dropFirst()
            }
            try builder.consume(line, lineNumber: lineNumber)
            start = newline < end ? text.utf8.index(after: newline) : end
        }
        return try builder.finish(lineCount: lineNumber)
    }
}

/// Mutable state of one parse; kept private so ``PlaylistParser`` stays a plain value.
private struct PlaylistBuilder {
    private struct PendingSegment {
        var duration: Double
        var title: String?
        var line: Int
    }

    private struct PendingVariant {
        var attributes: AttributeList
        var bandwidth: Int
        var line: Int
    }

    let baseURL: URL?
    let limits: PlaylistParser.Limits

    private var sawHeader = false
    private var sawContentAfterHeader = false
    private var firstMediaTagLine: Int?
    private var firstMasterTagLine: Int?

    private var variants: [Variant] = []
    private var pendingVariant: PendingVariant?

    private var segments: [MediaSegment] = []
    private var pendingSegment: PendingSegment?
    private var pendingByteRange: ByteRange?
    private var pendingDiscontinuity = false
    private var pendingDate: Date?
    private var currentMap: MediaInitializationSection?
    private var targetDuration: Int?
    private var mediaSequence = 0
    private var discontinuitySequence = 0
    private var endList = false
    private var playlistType: PlaylistType?
    private var version: Int?
    private var dates = DateParser()

    init(baseURL: URL?, limits: PlaylistParser.Limits) {
        self.baseURL = baseURL
        self.limits = limits
    }

    mutating func consume(_ rawLine: Substring, lineNumber: Int) throws(PlaylistError) {
        let line = Substring(rawLine.trimmingSpaces())
        guard !line.isEmpty else { return }

        guard sawHeader else {
            // RFC 8216 §4.3.1.1: the first line must be #EXTM3U. Leading blank lines are
            // tolerated because some embedded web servers emit one.
            guard line == "#EXTM3U" else {
                throw .notM3U8(line: lineNumber, found: String(line.prefix(40)))
            }
            sawHeader = true
            return
        }
        sawContentAfterHeader = true

        if line.hasPrefix("#EXT") {
            try consumeTag(line, lineNumber: lineNumber)
        } else if line.hasPrefix("#") {
            return // Comment (RFC 8216 §4.1).
        } else {
            try consumeURI(line, lineNumber: lineNumber)
        }
    }

    /// One `#EXT` tag line: the header, the version, a variant, or a media-playlist or segment tag.
    private mutating func consumeTag(_ line: Substring, lineNumber: Int) throws(PlaylistError) {
        let name: Substring
        let value: Substring
        if let colon = line.firstIndex(of: ":") {
            name = line[..<colon]
            value = line[line.index(after: colon)...]
        } else {
            name = line
            value = ""
        }

        switch name {
        case "#EXTM3U":
            break // A repeated header is harmless.
        case "#EXT-X-VERSION":
            version = try integer(value, tag: name, line: lineNumber)
        case "#EXT-X-TARGETDURATION", "#EXT-X-MEDIA-SEQUENCE", "#EXT-X-DISCONTINUITY-SEQUENCE", "#EXT-X-ENDLIST", "#EXT-X-PLAYLIST-TYPE":
            try markMedia(lineNumber)
            try consumeMediaPlaylistTag(name, value, lineNumber: lineNumber)
        case "#EXTINF", "#EXT-X-BYTERANGE", "#EXT-X-DISCONTINUITY", "#EXT-X-PROGRAM-DATE-TIME", "#EXT-X-MAP":
            try markMedia(lineNumber)
            try consumeSegmentTag(name, value, lineNumber: lineNumber)
        case "#EXT-X-STREAM-INF":
            try markMaster(lineNumber)
            let attributes = AttributeList(value)
            guard let bandwidth = attributes.integer("BANDWIDTH"), bandwidth >= 0 else {
                throw .malformed(line: lineNumber, detail: "#EXT-X-STREAM-INF without a valid BANDWIDTH")
            }
            pendingVariant = PendingVariant(attributes: attributes, bandwidth: bandwidth, line: lineNumber)
        default:
            break // Unknown tags MUST be ignored (RFC 8216 §6.3.1).
        }
    }

    /// A tag about the whole media playlist (RFC 8216 §4.3.3): target duration, sequence numbers,
    /// end and type.
    private mutating func consumeMediaPlaylistTag(_ name: Substring, _ value: Substring, lineNumber: Int) throws(PlaylistError) {
        switch name {
        case "#EXT-X-TARGETDURATION":
            // RFC 8216 requires an integer, but some encoders write "2.000"; round up as the
            // RFC rounds EXTINF durations, rather than failing the camera.
            guard let seconds = Double(value.trimmingSpaces()), seconds.isFinite, seconds >= 0,
                  seconds < Double(Int32.max) else {
                throw .malformed(line: lineNumber, detail: "invalid #EXT-X-TARGETDURATION \"\(value.prefix(40))\"")
            }
            targetDuration = Int(seconds.rounded(.up))
        case "#EXT-X-MEDIA-SEQUENCE":
            mediaSequence = try integer(value, tag: name, line: lineNumber)
        case "#EXT-X-DISCONTINUITY-SEQUENCE":
            discontinuitySequence = try integer(value, tag: name, line: lineNumber)
        case "#EXT-X-ENDLIST":
            endList = true
        case "#EXT-X-PLAYLIST-TYPE":
            guard let type = PlaylistType(rawValue: value.trimmingSpaces()) else {
                throw .malformed(line: lineNumber, detail: "unknown #EXT-X-PLAYLIST-TYPE \"\(value.prefix(40))\"")
            }
            playlistType = type
        default:
            break
        }
    }

    /// A tag about the next segment or the segments that follow (RFC 8216 §4.3.2): its duration,
    /// byte range, discontinuity, date, or initialization section.
    private mutating func consumeSegmentTag(_ name: Substring, _ value: Substring, lineNumber: Int) throws(PlaylistError) {
        switch name {
        case "#EXTINF":
            guard pendingSegment == nil else {
                throw .malformed(line: lineNumber, detail: "#EXTINF follows another #EXTINF without a segment URI")
            }
            pendingSegment = try extinf(value, line: lineNumber)
        case "#EXT-X-BYTERANGE":
            guard let range = byteRange(value) else {
                throw .malformed(line: lineNumber, detail: "invalid #EXT-X-BYTERANGE \"\(value.prefix(40))\"")
            }
            pendingByteRange = range
        case "#EXT-X-DISCONTINUITY":
            pendingDiscontinuity = true
        case "#EXT-X-PROGRAM-DATE-TIME":
            // An unparseable date is informational only; dropping it beats failing the stream.
            pendingDate = dates.parse(value.trimmingSpaces())
        case "#EXT-X-MAP":
            let attributes = AttributeList(value)
            guard let uri = attributes["URI"], let resolved = resolve(uri) else {
                throw .malformed(line: lineNumber, detail: "#EXT-X-MAP without a valid URI attribute")
            }
            currentMap = MediaInitializationSection(
                uri: resolved,
                byteRange: attributes["BYTERANGE"].flatMap { byteRange(Substring($0)) }
            )
        default:
            break
        }
    }

    private mutating func consumeURI(_ line: Substring, lineNumber: Int) throws(PlaylistError) {
        guard let uri = resolve(String(line)) else {
            throw .malformed(line: lineNumber, detail: "invalid URI \"\(line.prefix(80))\"")
        }
        guard variants.count + segments.count < limits.maxSegments else {
            throw .tooManySegments(line: lineNumber, limit: limits.maxSegments)
        }

        if let variant = pendingVariant {
            let attributes = variant.attributes
            variants.append(Variant(
                uri: uri,
                bandwidth: variant.bandwidth,
                averageBandwidth: attributes.integer("AVERAGE-BANDWIDTH"),
                resolution: attributes.resolution("RESOLUTION"),
                codecs: attributes["CODECS"].map(Self.codecList) ?? [],
                frameRate: attributes.decimal("FRAME-RATE")
            ))
            pendingVariant = nil
        } else if let segment = pendingSegment {
            segments.append(MediaSegment(
                uri: uri,
                duration: segment.duration,
                title: segment.title,
                byteRange: pendingByteRange,
                discontinuity: pendingDiscontinuity,
                programDateTime: pendingDate,
                map: currentMap,
                sequenceNumber: mediaSequence &+ segments.count
            ))
            pendingSegment = nil
            pendingByteRange = nil
            pendingDiscontinuity = false
            // Per RFC 8216 §4.3.2.6 the date applies to one segment; later ones are derived.
            pendingDate = nil
        } else {
            throw .malformed(line: lineNumber, detail: "URI without a preceding #EXTINF or #EXT-X-STREAM-INF")
        }
    }

    func finish(lineCount: Int) throws(PlaylistError) -> Playlist {
        guard sawHeader, sawContentAfterHeader else { throw .empty }
        if let variant = pendingVariant {
            throw .malformed(line: variant.line, detail: "#EXT-X-STREAM-INF is not followed by a URI")
        }
        if let segment = pendingSegment {
            throw .malformed(line: segment.line, detail: "#EXTINF is not followed by a URI")
        }
        if firstMasterTagLine != nil {
            return .master(MasterPlaylist(variants: variants))
        }
        guard let targetDuration else {
            if firstMediaTagLine == nil { throw .empty }
            throw .malformed(line: lineCount, detail: "missing required #EXT-X-TARGETDURATION (end of playlist)")
        }
        return .media(MediaPlaylist(
            targetDuration: targetDuration,
            mediaSequence: mediaSequence,
            discontinuitySequence: discontinuitySequence,
            segments: segments,
            endList: endList,
            playlistType: playlistType,
            version: version
        ))
    }

    // MARK: Helpers

    /// RFC 8216 §4.3.4.2: master and media tags must not appear in the same playlist.
    private mutating func markMedia(_ line: Int) throws(PlaylistError) {
        if let masterLine = firstMasterTagLine {
            throw .malformed(line: line, detail: "media playlist tag in a master playlist (master tag on line \(masterLine))")
        }
        if firstMediaTagLine == nil { firstMediaTagLine = line }
    }

    private mutating func markMaster(_ line: Int) throws(PlaylistError) {
        if let mediaLine = firstMediaTagLine {
            throw .malformed(line: line, detail: "master playlist tag in a media playlist (media tag on line \(mediaLine))")
        }
        if firstMasterTagLine == nil { firstMasterTagLine = line }
    }

    private func integer(_ value: Substring, tag: Substring, line: Int) throws(PlaylistError) -> Int {
        guard let number = Int(value.trimmingSpaces()), number >= 0 else {
            throw .malformed(line: line, detail: "invalid \(tag) value \"\(value.prefix(40))\"")
        }
        return number
    }

    private func extinf(_ value: Substring, line: Int) throws(PlaylistError) -> PendingSegment {
        let comma = value.firstIndex(of: ",")
        let durationText = value[..<(comma ?? value.endIndex)].trimmingSpaces()
        guard let duration = Double(durationText), duration.isFinite, duration >= 0 else {
            throw .malformed(line: line, detail: "invalid #EXTINF duration \"\(durationText.prefix(40))\"")
        }
        let title = comma.map { value[value.index(after: $0)...].trimmingSpaces() }
        return PendingSegment(duration: duration, title: title?.isEmpty == false ? title : nil, line: line)
    }

    /// `length[@offset]` as used by `EXT-X-BYTERANGE` and the `BYTERANGE` attribute.
    private func byteRange(_ value: Substring) -> ByteRange? {
        let parts = value.trimmingSpaces().split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        guard let length = Int(parts[0]), length >= 0 else { return nil }
        guard parts.count == 2 else { return ByteRange(length: length) }
        guard let offset = Int(parts[1]), offset >= 0 else { return nil }
        return ByteRange(length: length, offset: offset)
    }

    private func resolve(_ uri: String) -> URL? {
        guard !uri.isEmpty else { return nil }
        return URL(string: uri, relativeTo: baseURL)?.absoluteURL
    }

    /// Splits the `CODECS` attribute, which is a comma list inside one quoted string.
    private static func codecList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
    }
}

/// ISO 8601 parsing for `EXT-X-PROGRAM-DATE-TIME`, with and without fractional seconds.
private struct DateParser {
    private let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private let whole = Date.ISO8601FormatStyle()

    func parse(_ text: String) -> Date? {
        (try? fractional.parse(text)) ?? (try? whole.parse(text))
    }
}
