import Foundation

/// Decides whether the newest media segment of a stream actually carries decodable video.
///
/// Give it the first bytes of a segment (a bounded prefix is enough and is what a monitor
/// should download) and, for fMP4, the `EXT-X-MAP` initialization section. The inspector
/// recognises MPEG-TS and fragmented MP4, finds the video stream and looks for a key frame.
///
/// `no_keyframe` is reported as a warning, never a failure: RFC 8216 only requires that a
/// segment be decodable given the previous ones (`EXT-X-INDEPENDENT-SEGMENTS` is optional),
/// many cameras use GOPs longer than a segment, and a truncated prefix may simply end before
/// the key frame. Missing video, in contrast, is a failure: a CCTV stream without a picture
/// is not doing its job.
public struct SegmentInspector: Sendable {
    /// Bytes beyond this prefix are ignored, keeping inspection time and memory bounded.
    public var maxBytes: Int

    /// Creates an inspector; 2 MiB covers a key frame of typical camera streams.
    public init(maxBytes: Int = 2 << 20) {
        self.maxBytes = maxBytes
    }

    /// Inspects a segment (possibly truncated) and reports container, video and key frames.
    ///
    /// - Parameters:
    ///   - segment: The segment bytes, or a prefix of them.
    ///   - initialization: The fMP4 initialization section from `EXT-X-MAP`, if any. Without
    ///     it an fMP4 media segment can be validated structurally but not checked for video.
    public func inspect(_ segment: Data, initialization: Data? = nil) -> SegmentReport {
        let bytes = [UInt8](segment.prefix(max(0, maxBytes)))
        guard !bytes.isEmpty else {
            return SegmentReport(
                container: .unknown, byteCount: 0,
                failure: HLSFinding(reason: .segmentEmpty, severity: .failure, message: "segment has no bytes")
            )
        }
        if let offset = MPEGTS.syncOffset(in: bytes) {
            return transportStreamReport(bytes, offset: offset)
        }
        if FMP4.looksLikeBMFF(bytes) {
            let initBytes = initialization.map { [UInt8]($0.prefix(max(0, maxBytes))) }
            return fragmentedMP4Report(bytes, initialization: initBytes)
        }
        return SegmentReport(
            container: .unknown, byteCount: bytes.count,
            failure: corrupt(Self.describeUnrecognised(bytes))
        )
    }

    // MARK: MPEG-TS

    private func transportStreamReport(_ bytes: [UInt8], offset: Int) -> SegmentReport {
        let analysis = MPEGTS.analyze(bytes, from: offset)
        var report = SegmentReport(
            container: .mpegTS, byteCount: bytes.count,
            hasVideo: analysis.hasVideo,
            videoCodec: analysis.videoCodec,
            resolution: analysis.resolution
        )
        guard analysis.hasVideo else {
            let detail = analysis.sawPMT
                ? "program map lists no video stream (audio or data only)"
                : "no PAT/PMT and no video PES packets in \(analysis.packetCount) transport packets"
            report.failure = HLSFinding(reason: .noVideo, severity: .failure, message: detail)
            return report
        }
        report.hasKeyframe = analysis.hasKeyframe
        if !analysis.hasKeyframe {
            report.warnings.append(noKeyframe("no IDR/IRAP picture or random access indicator in the inspected bytes"))
        }
        return report
    }

    // MARK: fMP4

    private func fragmentedMP4Report(_ bytes: [UInt8], initialization: [UInt8]?) -> SegmentReport {
        let analysis: FMP4.Analysis
        do {
            analysis = try FMP4.analyze(bytes, initialization: initialization)
        } catch {
            return SegmentReport(
                container: .fragmentedMP4, byteCount: bytes.count,
                failure: corrupt("invalid ISO BMFF box at byte \(error.offset): \(error.detail)")
            )
        }

        var report = SegmentReport(container: .fragmentedMP4, byteCount: bytes.count)
        guard analysis.sawMoof || analysis.sawMoov else {
            report.failure = corrupt("no moof or moov box (boxes: \(analysis.boxTypes.joined(separator: ", ")))")
            return report
        }
        // A fragment whose mdat is absent although the input is complete has no media at all.
        if analysis.sawMoof, !analysis.sawMdat, !analysis.isTruncated {
            report.failure = corrupt("moof without mdat")
            return report
        }

        guard !analysis.tracks.isEmpty else {
            // Structure is sound, but without moov the track types are unknown.
            return report
        }
        let video = analysis.tracks.values.filter(\.isVideo).min { $0.id < $1.id }
        guard let video else {
            report.hasVideo = false
            report.failure = HLSFinding(
                reason: .noVideo, severity: .failure,
                message: "initialization section declares no track with a 'vide' handler"
            )
            return report
        }
        report.hasVideo = true
        report.videoCodec = video.codec ?? .unknown
        report.resolution = video.resolution
        if analysis.sawMoof {
            report.hasKeyframe = analysis.hasSyncSample
            if analysis.hasSyncSample == false {
                report.warnings.append(noKeyframe("no sync sample in the video track of this fragment"))
            }
        }
        return report
    }

    // MARK: Findings

    private func corrupt(_ message: String) -> HLSFinding {
        HLSFinding(reason: .segmentCorrupt, severity: .failure, message: message)
    }

    private func noKeyframe(_ message: String) -> HLSFinding {
        HLSFinding(reason: .noKeyframe, severity: .warning, message: message)
    }

    /// Explains unrecognised input; error pages served with status 200 are the usual cause.
    static func describeUnrecognised(_ bytes: [UInt8]) -> String {
        let head = bytes.prefix(512)
        let printable = head.filter { (0x20...0x7E).contains($0) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }.count
        guard printable * 10 >= head.count * 9 else {
            return "no MPEG-TS sync bytes and no ISO BMFF boxes in \(bytes.count) bytes"
        }
        let text = String(decoding: head.prefix(80), as: UTF8.self)
            .split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let lowered = String(decoding: head, as: UTF8.self).lowercased()
        let kind = lowered.contains("<html") || lowered.contains("<!doctype") || lowered.hasPrefix("<")
            ? "HTML" : "text"
        return "segment is a \(kind) document, not media (starts with \"\(text.prefix(60))\")"
    }
}
