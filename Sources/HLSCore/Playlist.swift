import Foundation

/// A parsed HLS playlist: either a master (multivariant) playlist or a media playlist.
public enum Playlist: Sendable, Hashable {
    /// A master playlist listing alternative renditions of the same content.
    case master(MasterPlaylist)
    /// A media playlist listing the segments of one rendition.
    case media(MediaPlaylist)
}

/// A master playlist (RFC 8216 §4.3.4): the set of variant streams a camera offers.
public struct MasterPlaylist: Sendable, Hashable {
    /// Variant streams in playlist order.
    public var variants: [Variant]

    /// Creates a master playlist.
    public init(variants: [Variant]) {
        self.variants = variants
    }
}

/// One `#EXT-X-STREAM-INF` entry of a master playlist.
public struct Variant: Sendable, Hashable {
    /// Absolute URI of the variant's media playlist.
    public var uri: URL
    /// Peak bandwidth in bits per second (`BANDWIDTH`, required by RFC 8216).
    public var bandwidth: Int
    /// Average bandwidth in bits per second, when the server declares it.
    public var averageBandwidth: Int?
    /// Declared picture size, when present.
    public var resolution: Resolution?
    /// RFC 6381 codec strings from `CODECS`, e.g. `avc1.42e01e`, `mp4a.40.2`.
    public var codecs: [String]
    /// Declared maximum frame rate, when present.
    public var frameRate: Double?

    /// Creates a variant.
    public init(
        uri: URL,
        bandwidth: Int,
        averageBandwidth: Int? = nil,
        resolution: Resolution? = nil,
        codecs: [String] = [],
        frameRate: Double? = nil
    ) {
        self.uri = uri
        self.bandwidth = bandwidth
        self.averageBandwidth = averageBandwidth
        self.resolution = resolution
        self.codecs = codecs
        self.frameRate = frameRate
    }
}

/// A picture size in pixels.
public struct Resolution: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int

    /// Creates a resolution.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Pixel count, used to break bandwidth ties when choosing variants.
    public var area: Int { width * height }

    /// `WIDTHxHEIGHT`, the same notation playlists use.
    public var description: String { "\(width)x\(height)" }
}

/// `EXT-X-PLAYLIST-TYPE` values (RFC 8216 §4.3.3.5).
public enum PlaylistType: String, Sendable, Hashable, Codable {
    /// Segments may only be appended; the playlist may later end.
    case event = "EVENT"
    /// The playlist is complete and will never change.
    case vod = "VOD"
}

/// A sub-range of a resource (`EXT-X-BYTERANGE` or the `BYTERANGE` attribute of `EXT-X-MAP`).
public struct ByteRange: Sendable, Hashable, Codable {
    /// Number of bytes.
    public var length: Int
    /// Start offset; `nil` means "immediately after the previous sub-range".
    public var offset: Int?

    /// Creates a byte range.
    public init(length: Int, offset: Int? = nil) {
        self.length = length
        self.offset = offset
    }
}

/// The Media Initialization Section declared by `EXT-X-MAP` (needed to decode fMP4 segments).
public struct MediaInitializationSection: Sendable, Hashable {
    /// Absolute URI of the initialization section.
    public var uri: URL
    /// Optional sub-range of that resource.
    public var byteRange: ByteRange?

    /// Creates an initialization section reference.
    public init(uri: URL, byteRange: ByteRange? = nil) {
        self.uri = uri
        self.byteRange = byteRange
    }
}

/// One media segment of a media playlist.
public struct MediaSegment: Sendable, Hashable {
    /// Absolute URI of the segment.
    public var uri: URL
    /// Duration in seconds from `#EXTINF`.
    public var duration: Double
    /// Optional title text following the duration in `#EXTINF`.
    public var title: String?
    /// Sub-range of the resource, when the segment is a byte range.
    public var byteRange: ByteRange?
    /// Whether `#EXT-X-DISCONTINUITY` precedes this segment.
    public var discontinuity: Bool
    /// Wall-clock time of the first sample, from `#EXT-X-PROGRAM-DATE-TIME`.
    public var programDateTime: Date?
    /// The `EXT-X-MAP` in effect for this segment, if any.
    public var map: MediaInitializationSection?
    /// Media sequence number of this segment (playlist media sequence + index).
    public var sequenceNumber: Int

    /// Creates a media segment.
    public init(
        uri: URL,
        duration: Double,
        title: String? = nil,
        byteRange: ByteRange? = nil,
        discontinuity: Bool = false,
        programDateTime: Date? = nil,
        map: MediaInitializationSection? = nil,
        sequenceNumber: Int = 0
    ) {
        self.uri = uri
        self.duration = duration
        self.title = title
        self.byteRange = byteRange
        self.discontinuity = discontinuity
        self.programDateTime = programDateTime
        self.map = map
        self.sequenceNumber = sequenceNumber
    }
}

/// A media playlist (RFC 8216 §4.3.3): the sliding window of segments of one rendition.
public struct MediaPlaylist: Sendable, Hashable {
    /// `EXT-X-TARGETDURATION` in whole seconds; drives reload and staleness timing.
    public var targetDuration: Int
    /// `EXT-X-MEDIA-SEQUENCE`: sequence number of the first listed segment (default 0).
    public var mediaSequence: Int
    /// `EXT-X-DISCONTINUITY-SEQUENCE` (default 0); increases when an encoder restarts.
    public var discontinuitySequence: Int
    /// Segments in playlist order (oldest first).
    public var segments: [MediaSegment]
    /// Whether `#EXT-X-ENDLIST` is present, i.e. no more segments will be added.
    public var endList: Bool
    /// `EXT-X-PLAYLIST-TYPE`, when declared.
    public var playlistType: PlaylistType?
    /// `EXT-X-VERSION`, when declared.
    public var version: Int?

    /// Creates a media playlist.
    public init(
        targetDuration: Int,
        mediaSequence: Int = 0,
        discontinuitySequence: Int = 0,
        segments: [MediaSegment] = [],
        endList: Bool = false,
        playlistType: PlaylistType? = nil,
        version: Int? = nil
    ) {
        self.targetDuration = targetDuration
        self.mediaSequence = mediaSequence
        self.discontinuitySequence = discontinuitySequence
        self.segments = segments
        self.endList = endList
        self.playlistType = playlistType
        self.version = version
    }

    /// The `EXT-X-MAP` that applies to the newest segment, because that is the segment a
    /// monitor downloads and the initialization it needs to interpret it.
    public var map: MediaInitializationSection? { segments.last?.map }

    /// The newest (last listed) segment, the one closest to the live edge.
    public var newestSegment: MediaSegment? { segments.last }
}
