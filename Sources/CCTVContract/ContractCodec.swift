import Foundation

/// JSON encoding and bounded, validated decoding of envelopes: every MQTT payload is untrusted.
public enum ContractCodec {
    /// Largest payload any service accepts (larger ones are refused before parsing).
    public static let defaultMaxBytes = 256 * 1024

    /// Encodes an envelope as compact JSON with ISO 8601 (fractional seconds) dates.
    public static func encode<P>(_ envelope: Envelope<P>) -> [UInt8] {
        // Check results write themselves (the same bytes, a fraction of the CPU: see ContractJSONWriter).
        if let written = (envelope as? any ContractJSONEnvelope)?.handWritten() { return written }
        // Encoding our own Codable values cannot fail short of a programming error.
        do { return Array(try encoder.encode(envelope)) } catch { preconditionFailure("encoding \(P.self): \(error)") }
    }

    /// Encodes an envelope around `data` that is already encoded with ``encodeValue(_:)`` (an
    /// incident stored as JSON and published as the same JSON, encoded once): the same bytes as
    /// ``encode(_:)`` of the envelope with the decoded value.
    public static func encode(type: EventType, id: String = EventID.random(), at: Date = Date(), source: String, encodedData data: Data) -> [UInt8] {
        // The header is written directly when its texts need no JSON escapes (ids and service
        // names never do): encoding it with JSONEncoder cost 37 µs an envelope (release,
        // micro-benchmark on the loaded 2-core machine), as much as encoding the camera inside.
        if let id = plainJSONString(id), let source = plainJSONString(source) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(data.count + 80 + id.count + source.count)
            bytes += #"{"at":""#.utf8
            bytes += text(of: at).utf8
            bytes += #"","data":"#.utf8
            bytes += data
            bytes += #","id":"#.utf8
            bytes += id
            bytes += #","source":"#.utf8
            bytes += source
            bytes += #","type":""#.utf8
            bytes += type.rawValue.utf8
            bytes += #"","v":\#(Envelope<Int>.currentVersion)}"#.utf8
            return bytes
        }
        struct Header: Encodable { var at: Date; var id: String; var source: String; var type: EventType; var v: Int }
        let header: [UInt8]
        do { header = Array(try encoder.encode(Header(at: at, id: id, source: source, type: type, v: Envelope<Int>.currentVersion))) } catch {
            preconditionFailure("encoding an envelope header: \(error)")
        }
        // Keys are sorted: `at` comes first and its value (a date) has no comma, so `data` goes
        // right after the first comma: {"at":"…","data":…,"id":…}.
        guard let comma = header.firstIndex(of: UInt8(ascii: ",")) else { preconditionFailure("envelope header without a comma") }
        return Array(header[...comma]) + Array("\"data\":".utf8) + Array(data) + [UInt8(ascii: ",")] + Array(header[(comma + 1)...])
    }

    /// `text` as a quoted JSON string when it needs no escaping (no quote, backslash or control
    /// character; `/` and non-ASCII are written as they are, as the encoder does), else `nil`.
    static func plainJSONString(_ text: String) -> [UInt8]? {
        var quoted: [UInt8] = [UInt8(ascii: "\"")]
        quoted.reserveCapacity(text.utf8.count + 2)
        for byte in text.utf8 {
            guard byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else { return nil }
            quoted.append(byte)
        }
        quoted.append(UInt8(ascii: "\""))
        return quoted
    }

    /// Encodes any Codable value with the contract's conventions (used by REST too).
    public static func encodeValue<T: Encodable>(_ value: T) throws -> Data { try encoder.encode(value) }

    /// Decodes any Codable value with the contract's conventions.
    public static func decodeValue<T: Decodable>(_ type: T.Type, from data: Data) throws -> T { try decoder.decode(type, from: data) }

    /// Decodes an envelope, checking size, JSON, version and type.
    /// - Throws: ``PayloadError`` saying what is wrong.
    public static func decode<P>(_ bytes: [UInt8], as payload: P.Type, expecting types: Set<EventType>, maxBytes: Int = defaultMaxBytes) throws(PayloadError) -> Envelope<P> {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maxBytes else { throw .tooLarge(bytes: bytes.count, limit: maxBytes) }
        let data = Data(bytes)
        // One parse for a good message (a second one to say what is wrong with a bad one): the
        // header-first parse doubled the JSON work of every result in a 10,000-camera storm.
        if let envelope = try? decoder.decode(Envelope<P>.self, from: data), envelope.v == Envelope<P>.currentVersion, types.contains(envelope.type) {
            return envelope
        }
        let header: EnvelopeHeader
        do { header = try decoder.decode(EnvelopeHeader.self, from: data) } catch { throw .notAnEnvelope(Self.describe(error)) }
        guard header.v == Envelope<P>.currentVersion else { throw .unsupportedVersion(header.v) }
        guard let type = EventType(rawValue: header.type), types.contains(type) else {
            throw .unexpectedType(header.type, expected: types.map(\.rawValue).sorted())
        }
        do { return try decoder.decode(Envelope<P>.self, from: data) } catch let refusal as ContractError {
            // A command that lacks what its action needs (typed commands refuse while decoding).
            throw .refused(refusal, envelopeID: header.id)
        } catch { throw .invalidData(Self.describe(error)) }
    }

    /// A date as the contract writes it (`2026-11-24T21:15:11.123Z`); such texts sort in time order.
    public static func text(of date: Date) -> String { ContractDate.format(date) }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ContractCodec.text(of: date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = ContractDate.parse(text) { return date }
            if let date = try? Date(text, strategy: ContractDate.style) { return date }
            if let date = try? Date(text, strategy: .iso8601) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 date: \(text.prefix(40))")
        }
        return decoder
    }()

    static func describe(_ error: any Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, context):
            return "missing field \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        case let DecodingError.dataCorrupted(context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not valid JSON" : "invalid value at \(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// Why an incoming payload was refused.
public enum PayloadError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case tooLarge(bytes: Int, limit: Int)
    case notAnEnvelope(String)
    case unsupportedVersion(Int)
    case unexpectedType(String, expected: [String])
    case invalidData(String)
    /// A well-formed envelope whose command is refused as it stands (a field its action needs is
    /// missing): answered with this error, under the envelope's id.
    case refused(ContractError, envelopeID: String)

    /// Stable code for metrics and error replies.
    public var code: String {
        switch self {
        case .empty: "empty_payload"
        case .tooLarge: "payload_too_large"
        case .notAnEnvelope: "not_an_envelope"
        case .unsupportedVersion: "unsupported_version"
        case .unexpectedType: "unexpected_type"
        case .invalidData: "invalid_data"
        case let .refused(refusal, _): refusal.code
        }
    }

    public var description: String {
        switch self {
        case .empty: "empty payload"
        case let .tooLarge(bytes, limit): "payload of \(bytes) bytes exceeds the \(limit)-byte limit"
        case let .notAnEnvelope(why): "not a contract envelope (v, type, id, at, source, data): \(why)"
        case let .unsupportedVersion(v): "envelope version \(v) is not supported (this build speaks 1)"
        case let .unexpectedType(type, expected): "type \(type.debugDescription) not accepted here (expected \(expected.joined(separator: ", ")))"
        case let .invalidData(why): "invalid data: \(why)"
        case let .refused(refusal, _): refusal.description
        }
    }
}
