/// Extracts the picture size from sequence-level headers.
///
/// Only the fields needed to reach the size are decoded; anything inconsistent yields `nil`
/// rather than an error, because the size is informational and never fails a check.
enum ParameterSets {
    /// Picture size from an H.264 SPS NAL unit (header byte included), ITU-T H.264 §7.3.2.1.1.
    static func h264Resolution(sps nal: [UInt8]) -> Resolution? {
        guard nal.count > 4 else { return nil }
        var reader = BitReader(nalPayload: nal.dropFirst())
        do {
            let profile = try reader.bits(8)
            try reader.skip(16) // constraint flags, level_idc
            _ = try reader.unsignedGolomb() // seq_parameter_set_id

            let (chromaFormat, separateColourPlanes) = try h264ChromaFields(&reader, profile: profile)

            _ = try reader.unsignedGolomb() // log2_max_frame_num_minus4
            guard try skipH264PictureOrderCount(&reader) else { return nil }
            _ = try reader.unsignedGolomb() // max_num_ref_frames
            try reader.skip(1) // gaps_in_frame_num_value_allowed_flag
            let widthInMacroblocks = Int(try reader.unsignedGolomb()) + 1
            let heightInMapUnits = Int(try reader.unsignedGolomb()) + 1
            let frameMacroblocksOnly = try reader.flag()
            if !frameMacroblocksOnly { try reader.skip(1) } // mb_adaptive_frame_field_flag
            try reader.skip(1) // direct_8x8_inference_flag

            let fieldFactor = frameMacroblocksOnly ? 1 : 2
            var width = widthInMacroblocks * 16
            var height = heightInMapUnits * 16 * fieldFactor

            if try reader.flag() { // frame_cropping_flag
                let left = Int(try reader.unsignedGolomb())
                let right = Int(try reader.unsignedGolomb())
                let top = Int(try reader.unsignedGolomb())
                let bottom = Int(try reader.unsignedGolomb())
                let chroma = separateColourPlanes ? 0 : chromaFormat
                let cropX = chroma == 0 || chroma == 3 ? 1 : 2
                let cropY = (chroma == 1 ? 2 : 1) * fieldFactor
                width -= cropX * (left + right)
                height -= cropY * (top + bottom)
            }
            return plausible(width: width, height: height)
        } catch {
            return nil
        }
    }

    /// The chroma format and separate-colour-planes flag of an H.264 SPS, read (with the bit depths
    /// and scaling lists skipped) only for the high profiles that carry them; 4:2:0 otherwise.
    private static func h264ChromaFields(_ reader: inout BitReader, profile: UInt32) throws(BitReader.OutOfData) -> (chromaFormat: UInt32, separateColourPlanes: Bool) {
        var chromaFormat: UInt32 = 1
        var separateColourPlanes = false
        let highProfiles: Set<UInt32> = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]
        guard highProfiles.contains(profile) else { return (chromaFormat, separateColourPlanes) }
        chromaFormat = try reader.unsignedGolomb()
        if chromaFormat == 3 { separateColourPlanes = try reader.flag() }
        _ = try reader.unsignedGolomb() // bit_depth_luma_minus8
        _ = try reader.unsignedGolomb() // bit_depth_chroma_minus8
        try reader.skip(1) // qpprime_y_zero_transform_bypass_flag
        if try reader.flag() { // seq_scaling_matrix_present_flag
            let lists = chromaFormat == 3 ? 12 : 8
            for index in 0..<lists where try reader.flag() {
                try skipScalingList(&reader, size: index < 6 ? 16 : 64)
            }
        }
        return (chromaFormat, separateColourPlanes)
    }

    /// Skips an H.264 SPS's picture-order-count fields; false when its reference-frame cycle is
    /// implausibly long (over 255).
    private static func skipH264PictureOrderCount(_ reader: inout BitReader) throws(BitReader.OutOfData) -> Bool {
        let pocType = try reader.unsignedGolomb()
        if pocType == 0 {
            _ = try reader.unsignedGolomb() // log2_max_pic_order_cnt_lsb_minus4
        } else if pocType == 1 {
            try reader.skip(1) // delta_pic_order_always_zero_flag
            _ = try reader.signedGolomb() // offset_for_non_ref_pic
            _ = try reader.signedGolomb() // offset_for_top_to_bottom_field
            let cycle = try reader.unsignedGolomb()
            guard cycle <= 255 else { return false }
            for _ in 0..<cycle { _ = try reader.signedGolomb() }
        }
        return true
    }

    /// Picture size from an HEVC SPS NAL unit (2-byte header included), ITU-T H.265 §7.3.2.2.
    static func hevcResolution(sps nal: [UInt8]) -> Resolution? {
        guard nal.count > 4 else { return nil }
        var reader = BitReader(nalPayload: nal.dropFirst(2))
        do {
            try reader.skip(4) // sps_video_parameter_set_id
            let maxSubLayersMinus1 = Int(try reader.bits(3))
            try reader.skip(1) // sps_temporal_id_nesting_flag

            // profile_tier_level(1, maxSubLayersMinus1)
            try reader.skip(88) // general profile space/tier/idc, compatibility and constraint flags
            try reader.skip(8) // general_level_idc
            var subLayerProfilePresent: [Bool] = []
            var subLayerLevelPresent: [Bool] = []
            for _ in 0..<maxSubLayersMinus1 {
                subLayerProfilePresent.append(try reader.flag())
                subLayerLevelPresent.append(try reader.flag())
            }
            if maxSubLayersMinus1 > 0 {
                try reader.skip(2 * (8 - maxSubLayersMinus1)) // reserved_zero_2bits
            }
            for index in 0..<maxSubLayersMinus1 {
                if subLayerProfilePresent[index] { try reader.skip(88) }
                if subLayerLevelPresent[index] { try reader.skip(8) }
            }

            _ = try reader.unsignedGolomb() // sps_seq_parameter_set_id
            let chromaFormat = try reader.unsignedGolomb()
            var separateColourPlanes = false
            if chromaFormat == 3 { separateColourPlanes = try reader.flag() }
            var width = Int(try reader.unsignedGolomb())
            var height = Int(try reader.unsignedGolomb())
            if try reader.flag() { // conformance_window_flag
                let left = Int(try reader.unsignedGolomb())
                let right = Int(try reader.unsignedGolomb())
                let top = Int(try reader.unsignedGolomb())
                let bottom = Int(try reader.unsignedGolomb())
                let chroma = separateColourPlanes ? 0 : chromaFormat
                let subWidth = chroma == 1 || chroma == 2 ? 2 : 1
                let subHeight = chroma == 1 ? 2 : 1
                width -= subWidth * (left + right)
                height -= subHeight * (top + bottom)
            }
            return plausible(width: width, height: height)
        } catch {
            return nil
        }
    }

    /// Picture size from an MPEG-1/2 sequence header (starting at the `0xB3` code byte).
    static func mpegVideoResolution(sequenceHeader bytes: [UInt8]) -> Resolution? {
        guard bytes.count >= 4 else { return nil }
        let width = Int(bytes[1]) << 4 | Int(bytes[2]) >> 4
        let height = Int(bytes[2] & 0x0F) << 8 | Int(bytes[3])
        return plausible(width: width, height: height)
    }

    private static func skipScalingList(_ reader: inout BitReader, size: Int) throws(BitReader.OutOfData) {
        var last: Int64 = 8
        var next: Int64 = 8
        for _ in 0..<size where next != 0 {
            let delta = try reader.signedGolomb()
            next = (last + delta + 256) % 256
            if next != 0 { last = next }
        }
    }

    /// Rejects sizes that no real encoder produces, which mostly means a misparsed header.
    private static func plausible(width: Int, height: Int) -> Resolution? {
        guard (16...16384).contains(width), (16...16384).contains(height) else { return nil }
        return Resolution(width: width, height: height)
    }
}
