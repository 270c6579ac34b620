/// Scans an Annex B video elementary stream (start-code delimited) for key frames and the
/// sequence header that carries the picture size.
///
/// Bytes are fed incrementally because the stream arrives split across 184-byte transport
/// packets and PES packets; the scanner keeps just enough state (a run of zero bytes and an
/// optional capture buffer) to recognise start codes that straddle those boundaries.
struct ElementaryStreamScanner {
    /// How to interpret the byte following a `00 00 01` start code.
    enum Syntax {
        /// H.264: NAL type in the low 5 bits; 5 is an IDR slice, 7 an SPS.
        case h264
        /// HEVC: NAL type in bits 1–6; 16–21 are IRAP pictures (BLA/IDR/CRA), 33 an SPS.
        case hevc
        /// MPEG-1/2 video: `0xB3` is a sequence header, which encoders emit before I-frames.
        case mpegVideo
        /// Unparsed formats; key frames then come only from the TS random access indicator.
        case opaque
    }

    /// Sequence headers are short; anything longer is either corrupt or irrelevant tail.
    private static let captureLimit = 512

    let syntax: Syntax
    private var zeroRun = 0
    private var expectingCode = false
    private var capture: [UInt8]?
    private(set) var sawKeyframe = false
    private(set) var sequenceHeader: [UInt8]?

    init(syntax: Syntax) {
        self.syntax = syntax
    }

    /// True once everything this scanner can learn has been learned, so callers may stop early.
    var isComplete: Bool {
        syntax == .opaque || (sawKeyframe && sequenceHeader != nil)
    }

    /// Picture size decoded from the captured sequence header, if any.
    var resolution: Resolution? {
        guard let sequenceHeader else { return nil }
        switch syntax {
        case .h264: return ParameterSets.h264Resolution(sps: sequenceHeader)
        case .hevc: return ParameterSets.hevcResolution(sps: sequenceHeader)
        case .mpegVideo: return ParameterSets.mpegVideoResolution(sequenceHeader: sequenceHeader)
        case .opaque: return nil
        }
    }

    mutating func feed(_ bytes: ArraySlice<UInt8>) {
        guard syntax != .opaque else { return }
        for byte in bytes {
            if expectingCode {
                expectingCode = false
                begin(code: byte)
            }
            if capture != nil {
                capture?.append(byte)
                if let count = capture?.count, count >= Self.captureLimit {
                    finishCapture(atStartCode: false)
                }
            }
            if byte == 0 {
                zeroRun += 1
                continue
            }
            if byte == 1, zeroRun >= 2 {
                expectingCode = true
                if capture != nil { finishCapture(atStartCode: true) }
            }
            zeroRun = 0
        }
    }

    private mutating func begin(code: UInt8) {
        switch syntax {
        case .h264:
            guard code & 0x80 == 0 else { return } // forbidden_zero_bit set: not a NAL header
            switch code & 0x1F {
            case 5: sawKeyframe = true
            case 7 where sequenceHeader == nil: capture = []
            default: break
            }
        case .hevc:
            guard code & 0x80 == 0 else { return }
            switch (code >> 1) & 0x3F {
            case 16...21: sawKeyframe = true
            case 33 where sequenceHeader == nil: capture = []
            default: break
            }
        case .mpegVideo:
            if code == 0xB3 {
                sawKeyframe = true
                if sequenceHeader == nil { capture = [] }
            }
        case .opaque:
            break
        }
    }

    private mutating func finishCapture(atStartCode: Bool) {
        guard var bytes = capture else { return }
        capture = nil
        if atStartCode {
            // The buffer ends with the next start code (`00 00 01`); trailing zeros are
            // also harmless cabac_zero_words/alignment, so strip them all.
            if bytes.last == 1 { bytes.removeLast() }
            while bytes.last == 0 { bytes.removeLast() }
        }
        sequenceHeader = bytes
    }

    /// Hands over a still-open capture when input ends mid-NAL (truncated download).
    mutating func finish() {
        if capture != nil { finishCapture(atStartCode: false) }
    }
}
