import Foundation

/// Reads the envelopes every check publishes without `JSONDecoder`, for payloads conforming to
/// ``ContractJSONReadable``; the mirror of ``ContractJSONWriter``.
///
/// Why: at 100,000 cameras `serve` decodes 1,668 check results a second twice (the issues service
/// and the gateway's history), and `JSONDecoder` (keyed containers, generic metadata and key-path
/// lookups at run time) was 11.8 % of serve's CPU in `perf` (2026-12-02,
/// `scripts/bench-serve.sh 100000 60 150`).
///
/// It reads any well-formed JSON the way `JSONDecoder` would, or declines: it returns `nil` for
/// anything it does not read exactly alike (a backslash escape, a duplicate key, a number text an
/// `Int` field would have to convert, a date in another form, an unknown status, nesting deeper
/// than 16, invalid UTF-8, anything malformed), and the caller decodes with `JSONDecoder` as
/// before, which also says what is wrong. So a payload means the same on both paths.
public enum ContractJSONReader {
    /// One JSON value. Numbers keep their text (`Int` and `Double` fields read it differently).
    public enum Value: Sendable, Equatable {
        case string(String)
        case number(String)
        case bool(Bool)
        case null
        case object([String: Value])
        case array([Value])
    }

    /// The envelope in `bytes` around a `P`, or `nil` to decode with `JSONDecoder` instead.
    static func envelope<P: ContractJSONReadable>(_ bytes: [UInt8], as _: P.Type) -> Envelope<P>? {
        guard case let .object(fields)? = value(of: bytes), let v = fields.int("v"), let type = fields.string("type").flatMap(EventType.init(rawValue:)),
              let id = fields.string("id"), let at = fields.date("at"), let source = fields.string("source"),
              case let .object(data)? = fields["data"], let payload = P(contractJSON: data) else { return nil }
        var envelope = Envelope(type: type, id: id, at: at, source: source, data: payload)
        envelope.v = v
        return envelope
    }

    /// The JSON document in `bytes` (whitespace around it allowed), or `nil` (see the type's comment).
    public static func value(of bytes: [UInt8]) -> Value? {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(bytes: buffer)
            guard let value = parser.value(depth: 0) else { return nil }
            parser.skipSpace()
            return parser.index == buffer.count ? value : nil
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        static let maxDepth = 16

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }

        mutating func value(depth: Int) -> Value? {
            skipSpace()
            guard index < bytes.count, depth <= Self.maxDepth else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return string().map(Value.string)
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            default: return number()
            }
        }

        mutating func literal(_ text: StaticString, _ value: Value) -> Value? {
            let count = text.utf8CodeUnitCount
            guard bytes.count - index >= count else { return nil }
            for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return nil }
            index += count
            return value
        }

        mutating func object(depth: Int) -> Value? {
            index += 1
            var fields: [String: Value] = [:]
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                // A duplicate key: which one JSONDecoder keeps is its business.
                guard let value = value(depth: depth + 1), fields.updateValue(value, forKey: key) == nil,
                      let more = afterItem(closing: UInt8(ascii: "}")) else { return nil }
                if !more { return .object(fields) }
            }
        }

        mutating func array(depth: Int) -> Value? {
            index += 1
            var items: [Value] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                guard let item = value(depth: depth + 1) else { return nil }
                items.append(item)
                guard let more = afterItem(closing: UInt8(ascii: "]")) else { return nil }
                if !more { return .array(items) }
            }
        }

        /// After a member or an element: `,` (another follows: true) or `close` (the end: false);
        /// `nil` for anything else.
        mutating func afterItem(closing close: UInt8) -> Bool? {
            skipSpace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") { index += 1; return true }
            guard bytes[index] == close else { return nil }
            index += 1
            return false
        }

        /// A string without escapes and without control characters, valid UTF-8.
        mutating func string() -> String? {
            let start = index + 1
            var end = start
            while end < bytes.count {
                let byte = bytes[end]
                if byte == UInt8(ascii: "\"") { break }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                end += 1
            }
            guard end < bytes.count else { return nil }
            index = end + 1
            return String(validating: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }

        /// A number in JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        mutating func number() -> Value? {
            let start = index
            func digits() -> Int {
                let from = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                return index - from
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "0") { index += 1 } else if digits() == 0 { return nil }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { return nil }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { return nil }
            }
            return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
        }
    }
}

/// A payload ``ContractJSONReader`` can read: built from the fields of its JSON object as its
/// `Codable` decoding would (unknown keys ignored, `null` and absent optionals both `nil`), or
/// `nil` for anything that decoding might read differently or refuse.
protocol ContractJSONReadable: Codable & Sendable {
    init?(contractJSON fields: [String: ContractJSONReader.Value])
}

/// Reading fields as `JSONDecoder` would, declining where it might not.
extension [String: ContractJSONReader.Value] {
    /// Whether `key` is absent or `null` (an optional's `nil`).
    func isAbsent(_ key: String) -> Bool {
        switch self[key] { case nil, .null?: true; default: false }
    }

    func string(_ key: String) -> String? {
        if case let .string(text)? = self[key] { text } else { nil }
    }

    /// An `Int` written as plain digits (JSONDecoder's conversions of `1.0` or `1e2` are left to it).
    func int(_ key: String) -> Int? {
        guard case let .number(text)? = self[key], !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else { return nil }
        return Int(text)
    }

    /// A finite `Double` (any JSON number; one out of range is left to JSONDecoder).
    func double(_ key: String) -> Double? {
        guard case let .number(text)? = self[key], let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// A date in the contract's own form (others are left to JSONDecoder's strategies).
    func date(_ key: String) -> Date? { string(key).flatMap(ContractDate.parse) }

    /// An optional field: `.some(nil)` when absent or `null`, `.some(value)` when readable, `nil`
    /// (decline) when present but not readable.
    func optional<T>(_ key: String, _ read: (String) -> T?) -> T?? {
        if isAbsent(key) { return .some(nil) }
        guard let value = read(key) else { return nil }
        return .some(value)
    }
}

extension ICMPResult: ContractJSONReadable {
    init?(contractJSON f: [String: ContractJSONReader.Value]) {
        guard let cameraID = f.string("cameraID"), let address = f.string("address"), let status = f.string("status").flatMap(ICMPStatus.init(rawValue:)),
              let reason = f.string("reason"), let sent = f.int("sent"), let received = f.int("received"), let refused = f.optional("refused", f.int),
              let lossPercent = f.double("lossPercent"), let rttMinMs = f.optional("rttMinMs", f.double), let rttAvgMs = f.optional("rttAvgMs", f.double),
              let rttMaxMs = f.optional("rttMaxMs", f.double), let replyFrom = f.optional("replyFrom", f.string), let startedAt = f.date("startedAt"),
              let durationMs = f.double("durationMs"), let prober = f.string("prober"), let inconclusive = f.optional("inconclusive", f.string)
        else { return nil }
        self.init(cameraID: cameraID, address: address, status: status, reason: reason, sent: sent, received: received, refused: refused,
                  lossPercent: lossPercent, rttMinMs: rttMinMs, rttAvgMs: rttAvgMs, rttMaxMs: rttMaxMs, replyFrom: replyFrom, startedAt: startedAt,
                  durationMs: durationMs, prober: prober, inconclusive: inconclusive)
    }
}

extension HLSResult: ContractJSONReadable {
    init?(contractJSON f: [String: ContractJSONReader.Value]) {
        guard let cameraID = f.string("cameraID"), let url = f.string("url"), let status = f.string("status").flatMap(HLSStatus.init(rawValue:)),
              let reason = f.string("reason"), let detail = f.optional("detail", f.string), let httpStatus = f.optional("httpStatus", f.int),
              let playlistLatencyMs = f.optional("playlistLatencyMs", f.double), let segmentAgeSeconds = f.optional("segmentAgeSeconds", f.double),
              let bitrateKbps = f.optional("bitrateKbps", f.double), let codec = f.optional("codec", f.string), let width = f.optional("width", f.int),
              let height = f.optional("height", f.int), let bytes = f.optional("bytes", f.int), let startedAt = f.date("startedAt"),
              let durationMs = f.double("durationMs"), let prober = f.string("prober"), let inconclusive = f.optional("inconclusive", f.string)
        else { return nil }
        self.init(cameraID: cameraID, url: url, status: status, reason: reason, detail: detail, httpStatus: httpStatus, playlistLatencyMs: playlistLatencyMs,
                  segmentAgeSeconds: segmentAgeSeconds, bitrateKbps: bitrateKbps, codec: codec, width: width, height: height, bytes: bytes,
                  startedAt: startedAt, durationMs: durationMs, prober: prober, inconclusive: inconclusive)
    }
}
