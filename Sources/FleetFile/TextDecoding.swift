import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The text encoding a CSV file was found to be in.
public enum TextEncodingDetected: String, Sendable, Hashable {
    /// UTF-8 with a byte-order mark (what this codec writes).
    case utf8BOM = "utf-8-bom"
    /// UTF-8 without BOM.
    case utf8 = "utf-8"
    /// UTF-16 little endian with BOM (Excel "Unicode text").
    case utf16LE = "utf-16le"
    /// UTF-16 big endian with BOM.
    case utf16BE = "utf-16be"
    /// CP949 (Windows Korean, superset of EUC-KR): what Korean Excel writes for "CSV".
    case cp949 = "cp949"
}

/// Detects and decodes the text of an uploaded CSV.
///
/// Order: UTF-8 BOM → UTF-16 BOM → valid UTF-8 → CP949 via iconv → error.
/// Text containing NUL characters is refused as binary.
public enum TextDecoder {
    /// Decodes `data`, returning the text and the encoding that was used.
    public static func decode(_ data: Data) throws(FleetFileError) -> (text: String, encoding: TextEncodingDetected) {
        let bytes = [UInt8](data)
        var result: (String, TextEncodingDetected)?
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            if let s = strictUTF8(bytes[3...]) { result = (s, .utf8BOM) }
        } else if bytes.starts(with: [0xFF, 0xFE]) {
            if let s = utf16(bytes[2...], littleEndian: true) { result = (s, .utf16LE) }
        } else if bytes.starts(with: [0xFE, 0xFF]) {
            if let s = utf16(bytes[2...], littleEndian: false) { result = (s, .utf16BE) }
        } else if let s = strictUTF8(bytes[...]) {
            result = (s, .utf8)
        } else if let s = iconvDecode(bytes, from: "CP949") {
            result = (s, .cp949)
        }
        guard let (text, enc) = result else {
            throw FleetFileError(.undecodableText,
                "The file is not readable text: it is neither UTF-8, UTF-16 nor CP949 (Korean Excel). Save it again as CSV UTF-8 or as .xlsx.")
        }
        if text.utf8.contains(0) {
            throw FleetFileError(.undecodableText,
                "The file contains binary data (NUL bytes); it is not a CSV text file. Save it again as CSV UTF-8 or as .xlsx.")
        }
        return (text, enc)
    }

    static func strictUTF8(_ bytes: ArraySlice<UInt8>) -> String? {
        // String(validating:) refuses ill-formed UTF-8 instead of repairing it.
        String(validating: bytes, as: UTF8.self)
    }

    static func utf16(_ bytes: ArraySlice<UInt8>, littleEndian: Bool) -> String? {
        guard bytes.count % 2 == 0 else { return nil }
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let a = UInt16(bytes[i]), b = UInt16(bytes[i + 1])
            units.append(littleEndian ? (a | b << 8) : (a << 8 | b))
            i += 2
        }
        return String(validating: units, as: UTF16.self)
    }

    /// Converts `bytes` from `encoding` to a Swift string with glibc iconv; nil on any invalid sequence.
    static func iconvDecode(_ bytes: [UInt8], from encoding: String) -> String? {
        if bytes.isEmpty { return "" }
        let cd = iconv_open("UTF-8", encoding)
        guard let cd, Int(bitPattern: cd) != -1 else { return nil }
        defer { iconv_close(cd) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: bytes.count * 2 + 16)
        let capacity = output.count
        let produced: Int? = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuf.baseAddress!)
                    .assumingMemoryBound(to: CChar.self)
                var inLeft = inBuf.count
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuf.baseAddress!)
                    .assumingMemoryBound(to: CChar.self)
                var outLeft = outBuf.count
                let r = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                if r == -1 || inLeft != 0 { return nil }
                return capacity - outLeft
            }
        }
        guard let produced else { return nil }
        return strictUTF8(output[0..<produced])
    }
}
