/// MPEG-2 Transport Stream analysis (ISO/IEC 13818-1) for segment health checks.
///
/// Walks 188-byte packets once: PAT → PMT to find the video elementary stream, then scans
/// that stream's PES payloads for a key frame and sequence header. PSI sections are assumed
/// to fit in one packet, which holds for the single-program streams HLS mandates
/// (RFC 8216 §3.2); a multi-packet PMT just means the video stream is not identified.
enum MPEGTS {
    static let packetSize = 188
    static let syncByte: UInt8 = 0x47
    /// Consecutive sync bytes required before trusting the TS framing; one or two 0x47s
    /// at the right distance happen in random data, five do not.
    static let requiredSyncRun = 5
    /// Below this many packets the input is too short to be a real segment.
    static let minimumPackets = 3

    struct Analysis {
        var packetCount = 0
        var syncLosses = 0
        var sawPAT = false
        var sawPMT = false
        var videoStreamType: UInt8?
        var videoCodec: VideoCodec?
        var hasVideo = false
        var sawKeyframeNAL = false
        var sawRandomAccessIndicator = false
        var resolution: Resolution?

        var hasKeyframe: Bool { sawKeyframeNAL || sawRandomAccessIndicator }
    }

    /// Offset of the first packet if `bytes` is framed as a transport stream, else `nil`.
    static func syncOffset(in bytes: [UInt8]) -> Int? {
        let packets = bytes.count / packetSize
        guard packets >= minimumPackets else { return nil }
        let run = min(requiredSyncRun, packets - 1)
        for offset in 0..<packetSize where offset + run * packetSize < bytes.count {
            if (0...run).allSatisfy({ bytes[offset + $0 * packetSize] == syncByte }) {
                return offset
            }
        }
        return nil
    }

    /// Analyses a transport stream whose first packet starts at `offset`.
    static func analyze(_ bytes: [UInt8], from offset: Int) -> Analysis {
        var walk = StreamWalk()
        var position = offset
        while position + packetSize <= bytes.count {
            guard bytes[position] == syncByte else {
                walk.analysis.syncLosses += 1
                guard let next = resync(bytes, from: position + 1) else { break }
                position = next
                continue
            }
            defer { position += packetSize }
            walk.analysis.packetCount += 1
            guard let packet = Packet(bytes, at: position) else { continue }
            if walk.take(packet) { break }
        }
        return walk.finish()
    }

    /// One transport packet's header fields and payload (ISO/IEC 13818-1 §2.4.3.2).
    struct Packet {
        var pid: Int
        /// payload_unit_start_indicator: a PES packet or PSI section starts in this payload.
        var unitStart: Bool
        /// The adaptation field's random_access_indicator.
        var randomAccess: Bool
        /// Nil when the packet carries an adaptation field only.
        var payload: ArraySlice<UInt8>?

        /// The packet at `position` (its sync byte already checked), or nil when it is flagged as
        /// errored, uses the reserved adaptation value, or has an adaptation field longer than itself.
        init?(_ bytes: [UInt8], at position: Int) {
            let header1 = bytes[position + 1]
            guard header1 & 0x80 == 0 else { return nil } // transport_error_indicator
            unitStart = header1 & 0x40 != 0
            pid = Int(header1 & 0x1F) << 8 | Int(bytes[position + 2])
            let adaptationControl = (bytes[position + 3] >> 4) & 0x3
            guard adaptationControl != 0 else { return nil } // reserved value
            var payloadStart = position + 4
            randomAccess = false
            if adaptationControl & 0x2 != 0 {
                let adaptationLength = Int(bytes[position + 4])
                guard adaptationLength <= 183 else { return nil }
                randomAccess = adaptationLength > 0 && bytes[position + 5] & 0x40 != 0
                payloadStart += 1 + adaptationLength
            }
            let end = position + MPEGTS.packetSize
            payload = adaptationControl & 0x1 != 0 && payloadStart < end ? bytes[payloadStart..<end] : nil
        }
    }

    /// What one pass over the packets has learnt so far: the program tables (PAT → PMT), the video
    /// stream they name, and the scan of that stream's elementary data.
    private struct StreamWalk {
        var analysis = Analysis()
        var pmtPIDs: Set<Int> = []
        var videoPID: Int?
        /// Streams whose PES header says video: the fallback when a segment has no PAT/PMT.
        var pesVideoPIDs: Set<Int> = []
        var randomAccessPIDs: Set<Int> = []
        var scanner: ElementaryStreamScanner?
        var inVideoPES = false

        /// Takes one packet; true once the video scan has all it needs (the rest can be skipped).
        mutating func take(_ packet: Packet) -> Bool {
            if packet.randomAccess { randomAccessPIDs.insert(packet.pid) }
            guard let payload = packet.payload else { return false }
            if packet.pid == 0 {
                if packet.unitStart, let programs = programMapPIDs(payload) {
                    analysis.sawPAT = true
                    pmtPIDs.formUnion(programs)
                }
            } else if pmtPIDs.contains(packet.pid) {
                if packet.unitStart, videoPID == nil, let streams = elementaryStreams(payload) {
                    analysis.sawPMT = true
                    selectVideo(among: streams)
                }
            } else if packet.pid == videoPID {
                feedVideo(payload, unitStart: packet.unitStart)
                return scanner?.isComplete == true
            } else if packet.unitStart, isVideoPES(payload) {
                // Remember video PES streams so a segment missing its PAT/PMT still counts as video.
                pesVideoPIDs.insert(packet.pid)
            }
            return false
        }

        /// Picks the PMT's first video stream and starts scanning it with its codec's syntax.
        private mutating func selectVideo(among streams: [(type: UInt8, pid: Int)]) {
            guard let video = streams.first(where: { codec(forStreamType: $0.type) != nil }) else { return }
            videoPID = video.pid
            analysis.videoStreamType = video.type
            analysis.videoCodec = codec(forStreamType: video.type)
            scanner = ElementaryStreamScanner(syntax: syntax(for: analysis.videoCodec))
        }

        /// Feeds the video stream's elementary data (after each PES header) to the scanner.
        private mutating func feedVideo(_ payload: ArraySlice<UInt8>, unitStart: Bool) {
            if unitStart {
                inVideoPES = false
                if let elementaryStart = pesPayloadStart(payload) {
                    inVideoPES = true
                    scanner?.feed(payload[elementaryStart...])
                }
            } else if inVideoPES {
                scanner?.feed(payload)
            }
        }

        /// The analysis once every packet is taken: the video stream named by the PMT, or else the
        /// lowest PID whose PES header says video (codec unknown).
        mutating func finish() -> Analysis {
            scanner?.finish()
            if let videoPID {
                analysis.hasVideo = true
                analysis.sawRandomAccessIndicator = randomAccessPIDs.contains(videoPID)
            } else if !analysis.sawPMT, let guess = pesVideoPIDs.min() {
                analysis.hasVideo = true
                analysis.videoCodec = .unknown
                analysis.sawRandomAccessIndicator = randomAccessPIDs.contains(guess)
            }
            analysis.sawKeyframeNAL = scanner?.sawKeyframe ?? false
            analysis.resolution = scanner?.resolution
            return analysis
        }
    }

    /// Video codec for a PMT `stream_type`, or `nil` when the type is not video.
    static func codec(forStreamType type: UInt8) -> VideoCodec? {
        switch type {
        case 0x01: .mpeg1
        case 0x02: .mpeg2
        case 0x10: .mpeg4Part2
        case 0x1B, 0xDB: .h264 // 0xDB: HLS SAMPLE-AES H.264, NAL headers stay in the clear
        case 0x24: .hevc
        case 0xEA: .vc1
        default: nil
        }
    }

    private static func syntax(for codec: VideoCodec?) -> ElementaryStreamScanner.Syntax {
        switch codec {
        case .h264: .h264
        case .hevc: .hevc
        case .mpeg1, .mpeg2: .mpegVideo
        default: .opaque
        }
    }

    /// Next offset after `start` where two sync bytes sit one packet apart.
    private static func resync(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + packetSize < bytes.count {
            if bytes[index] == syncByte, bytes[index + packetSize] == syncByte { return index }
            index += 1
        }
        return nil
    }

    /// Bounds of the PSI section that starts in `payload` (after the pointer field).
    /// Returns the section start and the end of its data, excluding the CRC.
    private static func section(
        in payload: ArraySlice<UInt8>, tableID: UInt8
    ) -> (start: Int, end: Int)? {
        guard let pointer = payload.first.map(Int.init) else { return nil }
        let start = payload.startIndex + 1 + pointer
        guard start + 3 <= payload.endIndex, payload[start] == tableID else { return nil }
        let length = Int(payload[start + 1] & 0x0F) << 8 | Int(payload[start + 2])
        let end = min(start + 3 + length - 4, payload.endIndex)
        guard end > start + 3 else { return nil }
        return (start, end)
    }

    /// PMT PIDs listed in a PAT section.
    private static func programMapPIDs(_ payload: ArraySlice<UInt8>) -> [Int]? {
        guard let (start, end) = section(in: payload, tableID: 0x00) else { return nil }
        var pids: [Int] = []
        var index = start + 8
        while index + 4 <= end {
            let program = Int(payload[index]) << 8 | Int(payload[index + 1])
            let pid = Int(payload[index + 2] & 0x1F) << 8 | Int(payload[index + 3])
            if program != 0 { pids.append(pid) } // program 0 points at the NIT, not a PMT
            index += 4
        }
        return pids
    }

    /// (stream_type, elementary_PID) pairs from a PMT section.
    private static func elementaryStreams(_ payload: ArraySlice<UInt8>) -> [(type: UInt8, pid: Int)]? {
        guard let (start, end) = section(in: payload, tableID: 0x02), start + 12 <= end else { return nil }
        let programInfoLength = Int(payload[start + 10] & 0x0F) << 8 | Int(payload[start + 11])
        var streams: [(type: UInt8, pid: Int)] = []
        var index = start + 12 + programInfoLength
        while index + 5 <= end {
            let type = payload[index]
            let pid = Int(payload[index + 1] & 0x1F) << 8 | Int(payload[index + 2])
            let infoLength = Int(payload[index + 3] & 0x0F) << 8 | Int(payload[index + 4])
            streams.append((type, pid))
            index += 5 + infoLength
        }
        return streams
    }

    /// Index of the elementary data inside a PES packet that starts in `payload`.
    private static func pesPayloadStart(_ payload: ArraySlice<UInt8>) -> Int? {
        let base = payload.startIndex
        guard payload.count >= 9, payload[base] == 0, payload[base + 1] == 0, payload[base + 2] == 1 else {
            return nil
        }
        let start = base + 9 + Int(payload[base + 8])
        return start < payload.endIndex ? start : nil
    }

    /// Whether a PES packet header announces a video stream (`stream_id` 0xE0–0xEF).
    private static func isVideoPES(_ payload: ArraySlice<UInt8>) -> Bool {
        let base = payload.startIndex
        guard payload.count >= 4, payload[base] == 0, payload[base + 1] == 0, payload[base + 2] == 1 else {
            return false
        }
        return (0xE0...0xEF).contains(payload[base + 3])
    }
}
