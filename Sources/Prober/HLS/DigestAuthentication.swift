import Foundation

/// HTTP authentication answers for camera streams: Basic (RFC 7617) and Digest with MD5
/// (RFC 7616 / 2617), the two schemes IP cameras and NVRs actually use.
enum HTTPAuthentication {
    /// The `Authorization` value answering `challenge` (a `WWW-Authenticate` header), or nil
    /// when the scheme is neither Basic nor MD5 Digest.
    /// - Parameter uri: the digest URI when it is not the URL's path (RTSP digests the whole request URL).
    static func authorization(for challenge: String, credentials: StreamCredentials, method: String, url: URL, uri digestURI: String? = nil,
                              cnonce: String = String(UInt64.random(in: 0...UInt64.max), radix: 16)) -> String? {
        let trimmed = challenge.trimmingCharacters(in: .whitespaces)
        let lower = trimmed.lowercased()
        if lower.hasPrefix("basic") {
            return "Basic " + Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
        }
        guard lower.hasPrefix("digest") else { return nil }
        let params = parameters(String(trimmed.dropFirst("digest".count)))
        guard let realm = params["realm"], let nonce = params["nonce"] else { return nil }
        if let algorithm = params["algorithm"], algorithm.uppercased() != "MD5" { return nil }
        var uri = url.path.isEmpty ? "/" : url.path
        if let query = url.query { uri += "?" + query }
        if let digestURI { uri = digestURI }
        let ha1 = MD5.hex("\(credentials.username):\(realm):\(credentials.password)")
        let ha2 = MD5.hex("\(method):\(uri)")
        let offersAuth = params["qop"].map { $0.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "auth" } } ?? false
        let nc = "00000001"
        let response = offersAuth ? MD5.hex("\(ha1):\(nonce):\(nc):\(cnonce):auth:\(ha2)") : MD5.hex("\(ha1):\(nonce):\(ha2)")
        var fields = ["username=\"\(credentials.username)\"", "realm=\"\(realm)\"", "nonce=\"\(nonce)\"", "uri=\"\(uri)\"",
                      "response=\"\(response)\"", "algorithm=MD5"]
        if offersAuth { fields += ["qop=auth", "nc=\(nc)", "cnonce=\"\(cnonce)\""] }
        if let opaque = params["opaque"] { fields.append("opaque=\"\(opaque)\"") }
        return "Digest " + fields.joined(separator: ", ")
    }

    /// `key=value, key="quoted, value"` pairs; keys lower-cased.
    static func parameters(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var index = text.startIndex
        while index < text.endIndex {
            while index < text.endIndex, text[index] == " " || text[index] == "," { index = text.index(after: index) }
            guard let equals = text[index...].firstIndex(of: "=") else { break }
            let key = text[index..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            index = text.index(after: equals)
            var value = ""
            if index < text.endIndex, text[index] == "\"" {
                index = text.index(after: index)
                while index < text.endIndex, text[index] != "\"" {
                    if text[index] == "\\", text.index(after: index) < text.endIndex { index = text.index(after: index) }
                    value.append(text[index]); index = text.index(after: index)
                }
                if index < text.endIndex { index = text.index(after: index) }
            } else {
                let end = text[index...].firstIndex(of: ",") ?? text.endIndex
                value = text[index..<end].trimmingCharacters(in: .whitespaces)
                index = end
            }
            if !key.isEmpty { result[key] = value }
        }
        return result
    }
}

/// MD5 (RFC 1321), only because HTTP Digest needs it; Foundation on Linux has no CommonCrypto.
enum MD5 {
    static func hex(_ text: String) -> String { digest(Array(text.utf8)).map { String(format: "%02x", $0) }.joined() }

    static func digest(_ message: [UInt8]) -> [UInt8] {
        let shifts: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                                4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
        let constants: [UInt32] = (0..<64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4_294_967_296)) }
        var padded = message
        padded.append(0x80)
        while padded.count % 64 != 56 { padded.append(0) }
        let bitLength = UInt64(message.count) &* 8
        for shift in stride(from: 0, to: 64, by: 8) { padded.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var a0: UInt32 = 0x6745_2301, b0: UInt32 = 0xefcd_ab89, c0: UInt32 = 0x98ba_dcfe, d0: UInt32 = 0x1032_5476
        for chunk in stride(from: 0, to: padded.count, by: 64) {
            var words = [UInt32](repeating: 0, count: 16)
            for i in 0..<16 {
                let base = chunk + i * 4
                words[i] = UInt32(padded[base]) | UInt32(padded[base + 1]) << 8 | UInt32(padded[base + 2]) << 16 | UInt32(padded[base + 3]) << 24
            }
            var a = a0, b = b0, c = c0, d = d0
            for i in 0..<64 {
                var f: UInt32
                let g: Int
                switch i {
                case 0..<16: f = (b & c) | (~b & d); g = i
                case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) % 16
                case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) % 16
                default: f = c ^ (b | ~d); g = (7 * i) % 16
                }
                f = f &+ a &+ constants[i] &+ words[g]
                a = d; d = c; c = b
                b = b &+ (f << shifts[i] | f >> (32 - shifts[i]))
            }
            a0 = a0 &+ a; b0 = b0 &+ b; c0 = c0 &+ c; d0 = d0 &+ d
        }
        return [a0, b0, c0, d0].flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32($0 * 8)) } }
    }
}
