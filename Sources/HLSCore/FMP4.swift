/// Fragmented ISO Base Media File Format (ISO/IEC 14496-12) analysis for segment checks.
///
/// Reads only box headers plus the few fields that matter: handler types and sample entries
/// from `moov` (the `EXT-X-MAP` initialization section) and sample flags from `moof`.
/// Sample data in `mdat` is never parsed, so cost is proportional to the box count.
enum FMP4 {
    /// Top-level box types that may start a segment or initialization section.
    static let leadingBoxTypes: Set<String> = [
        "ftyp", "styp", "moov", "moof", "sidx", "ssix", "emsg", "prft", "free", "skip", "uuid", "mdat", "meta",
    ]

    struct Box {
        var type: String
        /// Index of the first payload byte (after the header).
        var payloadStart: Int
        /// One past the last byte, clamped to the available input.
        var end: Int
        /// True when the declared size runs past the available input.
        var isTruncated: Bool
    }

    /// A box header that cannot be valid ISO BMFF, at `offset` in the input.
    struct BoxError: Error, Equatable {
        var offset: Int
        var detail: String
    }

    struct Track {
        var id: Int
        var handler: String?
        var codec: VideoCodec?
        var resolution: Resolution?
        var defaultSampleFlags: UInt32?

        var isVideo: Bool { handler == "vide" }
    }

    struct Analysis {
        var boxTypes: [String] = []
        var tracks: [Int: Track] = [:]
        var sawMoov = false
        var sawMoof = false
        var sawMdat = false
        var isTruncated = false
        /// `nil` when no fragment carried sample flags for the tracks of interest.
        var hasSyncSample: Bool?
    }

    /// Whether `bytes` starts with a plausible ISO BMFF box.
    static func looksLikeBMFF(_ bytes: [UInt8]) -> Bool {
        guard let first = try? boxes(in: bytes, range: 0..<bytes.count, limit: 1).first else { return false }
        return leadingBoxTypes.contains(first.type)
    }

    /// Splits `range` of `bytes` into boxes. Stops at the first truncated box, which is
    /// expected when the caller downloaded only a prefix of the segment.
    static func boxes(in bytes: [UInt8], range: Range<Int>, limit: Int = .max) throws(BoxError) -> [Box] {
        var result: [Box] = []
        var offset = range.lowerBound
        while offset + 8 <= range.upperBound, result.count < limit {
            var size = Int(readUInt32(bytes, offset))
            let typeBytes = bytes[(offset + 4)..<(offset + 8)]
            guard typeBytes.allSatisfy({ (0x20...0x7E).contains($0) }) else {
                throw BoxError(offset: offset, detail: "box type is not printable ASCII")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            var headerSize = 8
            if size == 1 {
                guard offset + 16 <= range.upperBound else {
                    result.append(Box(type: type, payloadStart: range.upperBound, end: range.upperBound, isTruncated: true))
                    break
                }
                let large = UInt64(readUInt32(bytes, offset + 8)) << 32 | UInt64(readUInt32(bytes, offset + 12))
                guard large <= UInt64(Int.max) else {
                    throw BoxError(offset: offset, detail: "'\(type)' 64-bit size is out of range")
                }
                size = Int(large)
                headerSize = 16
            } else if size == 0 {
                size = range.upperBound - offset // "extends to end of file"
            }
            guard size >= headerSize else {
                throw BoxError(offset: offset, detail: "'\(type)' declares size \(size), smaller than its header")
            }
            let declaredEnd = offset.addingReportingOverflow(size)
            let truncated = declaredEnd.overflow || declaredEnd.partialValue > range.upperBound
            let end = truncated ? range.upperBound : declaredEnd.partialValue
            result.append(Box(type: type, payloadStart: offset + headerSize, end: end, isTruncated: truncated))
            if truncated { break }
            offset = end
        }
        return result
    }

    /// Analyses a segment, optionally together with its initialization section.
    ///
    /// Track information from `initialization` lets the fragment's sample flags be attributed
    /// to the video track; without it only container framing can be validated.
    static func analyze(_ bytes: [UInt8], initialization: [UInt8]?) throws(BoxError) -> Analysis {
        var analysis = Analysis()
        if let initialization {
            do {
                for box in try boxes(in: initialization, range: 0..<initialization.count) where box.type == "moov" {
                    try readMovie(initialization, box, into: &analysis)
                }
            } catch {
                throw BoxError(offset: error.offset, detail: "initialization section: \(error.detail)")
            }
        }
        let topLevel = try boxes(in: bytes, range: 0..<bytes.count)
        for box in topLevel {
            analysis.boxTypes.append(box.type)
            analysis.isTruncated = analysis.isTruncated || box.isTruncated
            switch box.type {
            case "moov": try readMovie(bytes, box, into: &analysis)
            case "moof": try readFragment(bytes, box, into: &analysis)
            case "mdat": analysis.sawMdat = true
            default: break
            }
        }
        return analysis
    }

    // MARK: moov

    private static func readMovie(_ bytes: [UInt8], _ moov: Box, into analysis: inout Analysis) throws(BoxError) {
        analysis.sawMoov = true
        for child in try children(bytes, moov) {
            switch child.type {
            case "trak":
                if let track = try readTrack(bytes, child) {
                    analysis.tracks[track.id, default: track].handler = track.handler
                    analysis.tracks[track.id]?.codec = track.codec
                    analysis.tracks[track.id]?.resolution = track.resolution
                }
            case "mvex":
                for trex in try children(bytes, child) where trex.type == "trex" {
                    // trex: version/flags, track_ID, description index, duration, size, flags.
                    guard trex.payloadStart + 24 <= trex.end else { continue }
                    let id = Int(readUInt32(bytes, trex.payloadStart + 4))
                    analysis.tracks[id, default: Track(id: id)].defaultSampleFlags =
                        readUInt32(bytes, trex.payloadStart + 20)
                }
            default:
                break
            }
        }
    }

    private static func readTrack(_ bytes: [UInt8], _ trak: Box) throws(BoxError) -> Track? {
        var track = Track(id: -1)
        for child in try children(bytes, trak) {
            switch child.type {
            case "tkhd":
                guard child.payloadStart < child.end else { continue }
                let version = bytes[child.payloadStart]
                let idOffset = child.payloadStart + (version == 1 ? 20 : 12)
                guard idOffset + 4 <= child.end else { continue }
                track.id = Int(readUInt32(bytes, idOffset))
            case "mdia":
                for media in try children(bytes, child) {
                    if media.type == "hdlr", media.payloadStart + 12 <= media.end {
                        track.handler = String(decoding: bytes[(media.payloadStart + 8)..<(media.payloadStart + 12)], as: UTF8.self)
                    } else if media.type == "minf" {
                        try readSampleEntry(bytes, minf: media, into: &track)
                    }
                }
            default:
                break
            }
        }
        return track.id >= 0 ? track : nil
    }

    /// minf → stbl → stsd → first sample entry: codec four-character code and picture size.
    private static func readSampleEntry(_ bytes: [UInt8], minf: Box, into track: inout Track) throws(BoxError) {
        guard let stbl = try children(bytes, minf).first(where: { $0.type == "stbl" }),
              let stsd = try children(bytes, stbl).first(where: { $0.type == "stsd" }) else { return }
        // stsd payload: version/flags (4), entry_count (4), then sample entry boxes.
        let entriesStart = stsd.payloadStart + 8
        guard entriesStart < stsd.end,
              let entry = try boxes(in: bytes, range: entriesStart..<stsd.end, limit: 1).first else { return }
        track.codec = videoCodec(sampleEntry: entry.type)
        // VisualSampleEntry: 6 reserved, 2 data_reference_index, 16 pre-defined/reserved, then width, height.
        let sizeOffset = entry.payloadStart + 24
        if track.handler == "vide", sizeOffset + 4 <= entry.end {
            let width = Int(readUInt16(bytes, sizeOffset))
            let height = Int(readUInt16(bytes, sizeOffset + 2))
            if width > 0, height > 0 { track.resolution = Resolution(width: width, height: height) }
        }
    }

    static func videoCodec(sampleEntry type: String) -> VideoCodec? {
        switch type {
        case "avc1", "avc2", "avc3", "avc4": .h264
        case "hvc1", "hev1": .hevc
        case "av01": .av1
        case "vp09": .vp9
        case "mp4v": .mpeg4Part2
        case "encv": .unknown // protected; the real format hides in sinf/frma
        default: nil
        }
    }

    // MARK: moof

    private static func readFragment(_ bytes: [UInt8], _ moof: Box, into analysis: inout Analysis) throws(BoxError) {
        analysis.sawMoof = true
        let videoIDs = Set(analysis.tracks.values.filter(\.isVideo).map(\.id))
        for traf in try children(bytes, moof) where traf.type == "traf" {
            let trafChildren = try children(bytes, traf)
            guard let tfhd = trafChildren.first(where: { $0.type == "tfhd" }),
                  tfhd.payloadStart + 8 <= tfhd.end else { continue }
            let tfhdFlags = readUInt32(bytes, tfhd.payloadStart) & 0x00FF_FFFF
            let trackID = Int(readUInt32(bytes, tfhd.payloadStart + 4))
            // Only video samples say anything about key frames; audio samples are all sync.
            guard videoIDs.contains(trackID) else { continue }

            var defaultFlags = analysis.tracks[trackID]?.defaultSampleFlags
            var cursor = tfhd.payloadStart + 8
            if tfhdFlags & 0x01 != 0 { cursor += 8 } // base_data_offset
            if tfhdFlags & 0x02 != 0 { cursor += 4 } // sample_description_index
            if tfhdFlags & 0x08 != 0 { cursor += 4 } // default_sample_duration
            if tfhdFlags & 0x10 != 0 { cursor += 4 } // default_sample_size
            if tfhdFlags & 0x20 != 0, cursor + 4 <= tfhd.end {
                defaultFlags = readUInt32(bytes, cursor)
            }

            for trun in trafChildren where trun.type == "trun" {
                if let sync = runHasSyncSample(bytes, trun, defaultFlags: defaultFlags) {
                    analysis.hasSyncSample = (analysis.hasSyncSample ?? false) || sync
                }
            }
        }
    }

    /// Whether any sample in a `trun` is a sync sample; `nil` when flags are unknown.
    private static func runHasSyncSample(_ bytes: [UInt8], _ trun: Box, defaultFlags: UInt32?) -> Bool? {
        guard trun.payloadStart + 8 <= trun.end else { return nil }
        let flags = readUInt32(bytes, trun.payloadStart) & 0x00FF_FFFF
        let sampleCount = Int(readUInt32(bytes, trun.payloadStart + 4))
        guard sampleCount > 0 else { return nil }
        var cursor = trun.payloadStart + 8
        if flags & 0x001 != 0 { cursor += 4 } // data_offset
        var firstFlags: UInt32?
        if flags & 0x004 != 0 {
            guard cursor + 4 <= trun.end else { return nil }
            firstFlags = readUInt32(bytes, cursor)
            cursor += 4
        }

        // sample_is_non_sync_sample is bit 16 of the sample flags (ISO/IEC 14496-12 §8.8.3.1).
        func isSync(_ sampleFlags: UInt32) -> Bool { sampleFlags & 0x0001_0000 == 0 }

        guard flags & 0x400 != 0 else {
            // No per-sample flags: the first sample may override, the rest use the default.
            var known: [Bool] = []
            if let firstFlags { known.append(isSync(firstFlags)) }
            if let defaultFlags, sampleCount > 1 || firstFlags == nil { known.append(isSync(defaultFlags)) }
            return known.isEmpty ? nil : known.contains(true)
        }

        let fieldsPerSample = [0x100, 0x200, 0x400, 0x800].filter { flags & $0 != 0 }.count
        let flagsOffset = (flags & 0x100 != 0 ? 4 : 0) + (flags & 0x200 != 0 ? 4 : 0)
        let entrySize = fieldsPerSample * 4
        // Bounded by the bytes actually present, not by the declared sample count.
        let available = min(sampleCount, (trun.end - cursor) / entrySize)
        for index in 0..<max(0, available) {
            let sampleFlags = index == 0 ? (firstFlags ?? readUInt32(bytes, cursor + flagsOffset))
                : readUInt32(bytes, cursor + index * entrySize + flagsOffset)
            if isSync(sampleFlags) { return true }
        }
        return available > 0 ? false : nil
    }

    // MARK: Helpers

    private static func children(_ bytes: [UInt8], _ box: Box) throws(BoxError) -> [Box] {
        guard box.payloadStart < box.end else { return [] }
        return try boxes(in: bytes, range: box.payloadStart..<box.end)
    }

    static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    static func readUInt16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
}
