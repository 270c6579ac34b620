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
        // The header is written by hand (ContractJSONWriter, the same bytes): encoding it with
        // JSONEncoder cost 37 µs an envelope (release, micro-benchmark on the loaded 2-core
        // machine), as much as encoding the camera inside.
        let written = ContractJSONWriter.envelope(type: type, id: id, at: at, source: source, v: Envelope<Int>.currentVersion,
                                                  capacity: data.count + 160) { $0.raw(data) }
        // Only a non-finite number is refused, and the header has none; `data` is written as it is.
        guard let written else { preconditionFailure("an envelope header without numbers was refused") }
        return written
    }

    /// Encodes any Codable value with the contract's conventions (used by REST too).
    public static func encodeValue<T: Encodable>(_ value: T) throws -> Data {
        // Camera definitions write themselves (the same bytes): see CameraDefinition+JSON.swift.
        if let writable = value as? any ContractJSONWritable, let written = ContractJSONWriter.value(writable) { return Data(written) }
        return try encoder.encode(value)
    }

    /// Decodes any Codable value with the contract's conventions.
    public static func decodeValue<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        // Camera definitions are read by hand when they can be, exactly as below would (ContractJSONReader).
        if let readable = T.self as? any ContractJSONReadable.Type, let value = readByHand(data, readable, as: T.self) { return value }
        return try decoder.decode(type, from: data)
    }

    private static func readByHand<R: ContractJSONReadable, T>(_ data: Data, _: R.Type, as _: T.Type) -> T? {
        data.withUnsafeBytes { ContractJSONReader.value($0, as: R.self) } as? T
    }

    /// Decodes an envelope, checking size, JSON, version and type.
    /// - Throws: ``PayloadError`` saying what is wrong.
    public static func decode<P>(_ bytes: [UInt8], as payload: P.Type, expecting types: Set<EventType>, maxBytes: Int = defaultMaxBytes) throws(PayloadError) -> Envelope<P> {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maxBytes else { throw .tooLarge(bytes: bytes.count, limit: maxBytes) }
        // Check results are read by hand when they can be, exactly as below would (ContractJSONReader).
        if let readable = P.self as? any ContractJSONReadable.Type, let envelope = readByHand(bytes, readable, as: P.self),
           envelope.v == Envelope<P>.currentVersion, types.contains(envelope.type) {
            return envelope
        }
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

    private static func readByHand<R: ContractJSONReadable, P>(_ bytes: [UInt8], _: R.Type, as _: P.Type) -> Envelope<P>? {
        ContractJSONReader.envelope(bytes, as: R.self) as? Envelope<P>
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
