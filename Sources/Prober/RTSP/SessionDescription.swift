import Foundation

/// The parts of an SDP description (RFC 4566) a camera check needs: which media it offers, the
/// video codec, and the control URL to SET UP the video track.
package struct SessionDescription: Sendable, Equatable {
    /// One `m=` section.
    package struct Media: Sendable, Equatable {
        /// `video`, `audio`, `application`, …
        package var kind: String
        /// Codec name from `a=rtpmap` (`H264`, `H265`, `JPEG`, …), upper-cased; for static
        /// payload types without rtpmap the RFC 3551 name (26 = JPEG, 32 = MPV, 33 = MP2T).
        package var codec: String?
        /// `a=control` as written (absolute, or relative to the content base).
        package var control: String?
    }

    package var media: [Media]
    /// Session-level `a=control`.
    package var control: String?

    /// The first video section.
    package var video: Media? { media.first { $0.kind == "video" } }

    /// Parses SDP text; unknown lines are ignored (the format is line-oriented and extensible).
    package init(parsing text: String) {
        var media: [Media] = []
        var sessionControl: String?
        var payloadTypes: [String] = []
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("m=") {
                let fields = line.dropFirst(2).split(separator: " ")
                payloadTypes = fields.count > 3 ? fields[3...].map(String.init) : []
                let staticCodec: String? = switch payloadTypes.first {
                case "26": "JPEG"
                case "32": "MPV"
                case "33": "MP2T"
                default: nil
                }
                media.append(Media(kind: fields.first.map(String.init)?.lowercased() ?? "", codec: staticCodec, control: nil))
            } else if line.hasPrefix("a=rtpmap:"), !media.isEmpty {
                // a=rtpmap:96 H264/90000
                let value = line.dropFirst("a=rtpmap:".count)
                let parts = value.split(separator: " ", maxSplits: 1)
                if parts.count == 2, payloadTypes.first == String(parts[0]) || media[media.count - 1].codec == nil {
                    media[media.count - 1].codec = parts[1].split(separator: "/").first.map { String($0).uppercased() }
                }
            } else if line.hasPrefix("a=control:") {
                let value = String(line.dropFirst("a=control:".count))
                if media.isEmpty { sessionControl = value } else { media[media.count - 1].control = value }
            }
        }
        self.media = media
        self.control = sessionControl
    }

    /// The URL to SET UP `media` with: its control resolved against the content base (RFC 2326 C.1.1).
    package static func controlURL(_ control: String?, base: String) -> String {
        guard let control, control != "*" else { return base }
        if control.lowercased().hasPrefix("rtsp://") { return control }
        return base.hasSuffix("/") ? base + control : base + "/" + control
    }
}
