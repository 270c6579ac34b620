import Foundation

/// Writes an envelope's JSON by hand for the payloads every check publishes, byte for byte what
/// ``ContractCodec/encode(_:)`` writes through `JSONEncoder` (sorted keys, compact, unescaped
/// slashes, absent optionals left out, contract dates).
///
/// Why: `serve` at 100,000 cameras publishes 1,668 results a second, and `JSONEncoder` (its
/// boxes, the sort of the keys, a dictionary per object) was 4.8 % of serve's CPU in `perf`
/// (2026-12-01). A value conforming to ``ContractJSONWritable`` is written here instead; a value
/// it cannot write (a non-finite number) goes through `JSONEncoder` as before.
public struct ContractJSONWriter {
    /// The JSON so far.
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false
    /// Set when a value could not be written as `JSONEncoder` writes it.
    private(set) var failed = false

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// Opens an object (a value of the key written before, or the whole document).
    public mutating func beginObject() { bytes.append(UInt8(ascii: "{")); needsComma = false }

    /// Closes the object opened last.
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }

    /// Writes `"name":`; keys must come in sorted order (as `.sortedKeys` writes them).
    public mutating func key(_ name: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = true
    }

    public mutating func field(_ name: StaticString, _ value: String) { key(name); string(value) }
    public mutating func field(_ name: StaticString, _ value: Int) { key(name); bytes.append(contentsOf: String(value).utf8) }
    public mutating func field(_ name: StaticString, _ value: Double) { key(name); number(value) }
    public mutating func field(_ name: StaticString, _ value: Date) { key(name); string(ContractDate.format(value)) }
    public mutating func field(_ name: StaticString, _ value: String?) { if let value { field(name, value) } }
    public mutating func field(_ name: StaticString, _ value: Int?) { if let value { field(name, value) } }
    public mutating func field(_ name: StaticString, _ value: Double?) { if let value { field(name, value) } }
    public mutating func field(_ name: StaticString, _ value: Bool) { key(name); bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    public mutating func field(_ name: StaticString, _ value: Bool?) { if let value { field(name, value) } }
    public mutating func field(_ name: StaticString, _ value: Date?) { if let value { field(name, value) } }
    public mutating func field(_ name: StaticString, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (offset, value) in values.enumerated() {
            if offset > 0 { bytes.append(UInt8(ascii: ",")) }
            string(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }
    /// A nested object that writes itself; left out when absent.
    public mutating func field(_ name: StaticString, _ value: (some ContractJSONWritable)?) {
        guard let value else { return }
        key(name)
        value.writeJSON(to: &self)
    }

    /// A number as `JSONEncoder` writes it: Swift's shortest text without a trailing `.0`
    /// (`100`, `33.333333333333336`, `1e-05`); it refuses what is not finite.
    private mutating func number(_ value: Double) {
        guard value.isFinite else { failed = true; return }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    /// A string with `JSONEncoder`'s escapes: quote, backslash and control characters (the common
    /// ones by letter, the rest as `\u00xx`); `/` and non-ASCII text as they are.
    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case 0x08: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "b"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0C: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "f"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(byte >> 4)]); bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Bytes that already are one JSON value (a payload encoded before), as they are.
    mutating func raw(_ json: some Sequence<UInt8>) { bytes.append(contentsOf: json) }

    /// `value`'s JSON alone (``ContractCodec/encodeValue(_:)``), or nil when it holds something only `JSONEncoder` writes.
    static func value(_ value: some ContractJSONWritable, capacity: Int = 512) -> [UInt8]? {
        var writer = ContractJSONWriter(capacity: capacity)
        value.writeJSON(to: &writer)
        return writer.failed ? nil : writer.bytes
    }

    /// The envelope around `data`, or nil when `data` holds something only `JSONEncoder` writes.
    static func envelope<P: ContractJSONWritable>(_ envelope: Envelope<P>) -> [UInt8]? {
        Self.envelope(type: envelope.type, id: envelope.id, at: envelope.at, source: envelope.source, v: envelope.v) {
            envelope.data.writeJSON(to: &$0)
        }
    }

    /// An envelope's header (sorted keys, as `JSONEncoder` writes them) around the payload
    /// `writeData` writes; nil when that payload could not be written as `JSONEncoder` would.
    static func envelope(type: EventType, id: String, at: Date, source: String, v: Int,
                         capacity: Int = 512, writeData: (inout ContractJSONWriter) -> Void) -> [UInt8]? {
        var writer = ContractJSONWriter(capacity: capacity)
        writer.beginObject()
        writer.field("at", at)
        writer.key("data")
        writeData(&writer)
        writer.field("id", id)
        writer.field("source", source)
        writer.field("type", type.rawValue)
        writer.field("v", v)
        writer.endObject()
        return writer.failed ? nil : writer.bytes
    }
}

/// A payload that writes its own JSON with ``ContractJSONWriter`` (each of its keys in sorted
/// order, as `JSONEncoder` with `.sortedKeys` writes them), for the hot publishing paths.
public protocol ContractJSONWritable {
    func writeJSON(to writer: inout ContractJSONWriter)
}

/// An envelope whose payload writes itself (the cast ``ContractCodec/encode(_:)`` makes).
protocol ContractJSONEnvelope { func handWritten() -> [UInt8]? }

extension Envelope: ContractJSONEnvelope where Payload: ContractJSONWritable {
    func handWritten() -> [UInt8]? { ContractJSONWriter.envelope(self) }
}
