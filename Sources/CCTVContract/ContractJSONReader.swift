import Foundation

/// Reads the envelopes every check publishes without `JSONDecoder`, for payloads conforming to
/// ``ContractJSONReadable``; the mirror of ``ContractJSONWriter``.
///
/// Why: at 100,000 cameras `serve` decodes 1,668 check results a second twice (the issues service
/// and the gateway's history), and `JSONDecoder` (keyed containers, generic metadata and key-path
/// lookups at run time) was 11.8 % of serve's CPU in `perf` (2026-12-02,
/// `scripts/bench-serve.sh 100000 60 150`). A first reader built a dictionary of values
/// (`[String: Value]`, a `String` for every key and number) and was still 12.7 % of serve's
/// samples at 16,670 cameras every 10 s; this one reads an object in one pass into slots of the
/// keys its type knows (byte ranges, nothing allocated but the strings a field keeps).
///
/// It reads any well-formed JSON the way `JSONDecoder` would, or declines: it returns `nil` for
/// anything it does not read exactly alike (a backslash escape, a duplicate key, a number text an
/// `Int` field would have to convert, a date in another form, an unknown status, nesting deeper
/// than 16, invalid UTF-8, anything malformed), and the caller decodes with `JSONDecoder` as
/// before, which also says what is wrong. So a payload means the same on both paths.
public enum ContractJSONReader {
    /// The envelope in `bytes` around a `P`, or `nil` to decode with `JSONDecoder` instead.
    static func envelope<P: ContractJSONReadable>(_ bytes: [UInt8], as _: P.Type) -> Envelope<P>? {
        bytes.withUnsafeBufferPointer { buffer -> Envelope<P>? in
            var scanner = Scanner(bytes: buffer)
            guard let fields = scanner.document(EnvelopeKey.self), let v = fields.int(.v),
                  let type = fields.string(.type).flatMap(EventType.init(rawValue:)), let id = fields.string(.id), let at = fields.date(.at),
                  let source = fields.string(.source), let data = fields.object(.data) else { return nil }
            // The payload's members were checked while the envelope was read; now they are read.
            var inner = Scanner(bytes: buffer, index: data.lowerBound)
            guard let payloadFields = inner.object(P.ContractKey.self, depth: 1), let payload = P(contractJSON: payloadFields) else { return nil }
            var envelope = Envelope(type: type, id: id, at: at, source: source, data: payload)
            envelope.v = v
            return envelope
        }
    }

    /// A `P` alone (``ContractCodec/decodeValue(_:from:)``), or `nil` to decode with `JSONDecoder` instead.
    static func value<P: ContractJSONReadable>(_ bytes: UnsafeRawBufferPointer, as _: P.Type) -> P? {
        var scanner = Scanner(bytes: bytes.assumingMemoryBound(to: UInt8.self))
        return scanner.document(P.ContractKey.self).flatMap(P.init(contractJSON:))
    }

    /// The members of an envelope.
    enum EnvelopeKey: Int, ContractJSONKey {
        case v, type, id, at, source, data
        static let table = ContractJSONKeyTable(Self.self)
    }

    /// Where one member's value lies in the bytes; `absent` until the member is met.
    enum Slot {
        case absent, null, bool(Bool), string(Range<Int>), number(Range<Int>), object(Range<Int>), array(Range<Int>)
    }

    /// The values of one object's known keys (unknown keys were checked and passed over).
    struct Fields<Key: ContractJSONKey> {
        let bytes: UnsafeBufferPointer<UInt8>
        var slots: InlineArray<24, Slot>

        func string(_ key: Key) -> String? {
            guard case let .string(range) = slots[key.rawValue] else { return nil }
            // Checked as UTF-8 while scanning.
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }

        /// An `Int` written as plain digits (JSONDecoder's conversions of `1.0` or `1e2` are left to it).
        func int(_ key: Key) -> Int? {
            guard case let .number(range) = slots[key.rawValue] else { return nil }
            var index = range.lowerBound
            let negative = bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            var value = 0
            while index < range.upperBound {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                let digit = Int(byte - UInt8(ascii: "0"))
                // Accumulated negatively so that Int.min is readable, as Int(text) reads it.
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (next, overflow2) = times10.subtractingReportingOverflow(digit)
                guard !overflow1, !overflow2 else { return nil }
                value = next
                index += 1
            }
            if negative { return value }
            let (positive, overflow) = (0).subtractingReportingOverflow(value)
            return overflow ? nil : positive
        }

        /// A finite `Double` (any JSON number; one out of range is left to JSONDecoder).
        func double(_ key: Key) -> Double? {
            guard case let .number(range) = slots[key.rawValue],
                  let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)), value.isFinite else { return nil }
            return value
        }

        /// A date in the contract's own form (others are left to JSONDecoder's strategies).
        func date(_ key: Key) -> Date? {
            guard case let .string(range) = slots[key.rawValue] else { return nil }
            return ContractDate.parse(utf8: UnsafeBufferPointer(rebasing: bytes[range]))
        }

        func bool(_ key: Key) -> Bool? {
            if case let .bool(value) = slots[key.rawValue] { value } else { nil }
        }

        /// An array of strings (an element of another kind is left to JSONDecoder).
        func strings(_ key: Key) -> [String]? {
            guard case let .array(range) = slots[key.rawValue] else { return nil }
            // Checked while scanning; now each element is read.
            var scanner = Scanner(bytes: bytes, index: range.lowerBound + 1)
            var values: [String] = []
            scanner.skipSpace()
            if bytes[scanner.index] == UInt8(ascii: "]") { return values }
            while true {
                scanner.skipSpace()
                guard bytes[scanner.index] == UInt8(ascii: "\""), let text = scanner.string() else { return nil }
                values.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[text]), as: UTF8.self))
                guard let more = scanner.afterItem(closing: UInt8(ascii: "]")) else { return nil }
                if !more { return values }
            }
        }

        /// A member that is an object of a readable type, read by its own keys.
        func nested<T: ContractJSONReadable>(_ key: Key, as _: T.Type) -> T? {
            guard case let .object(range) = slots[key.rawValue] else { return nil }
            var scanner = Scanner(bytes: bytes, index: range.lowerBound)
            return scanner.object(T.ContractKey.self, depth: 1).flatMap(T.init(contractJSON:))
        }

        /// Where an object member's value lies (its braces included).
        func object(_ key: Key) -> Range<Int>? {
            if case let .object(range) = slots[key.rawValue] { range } else { nil }
        }

        /// An optional field: `.some(nil)` when absent or `null`, `.some(value)` when readable, `nil`
        /// (decline) when present but not readable.
        func optional<T>(_ key: Key, _ read: (Key) -> T?) -> T?? {
            switch slots[key.rawValue] {
            case .absent, .null: return .some(nil)
            default: return read(key).map { .some($0) }
            }
        }
    }

    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        static let maxDepth = 16

        /// The whole document as one object (whitespace around it allowed).
        mutating func document<Key: ContractJSONKey>(_ keys: Key.Type) -> Fields<Key>? {
            skipSpace()
            guard let fields = object(keys, depth: 0) else { return nil }
            skipSpace()
            return index == bytes.count ? fields : nil
        }

        /// The object starting at `index`: the values of `Key`'s members, every other member
        /// checked as well-formed; `nil` for anything malformed or a key met twice (a key not
        /// `Key`'s met twice only when `uniqueKeys`).
        mutating func object<Key: ContractJSONKey>(_: Key.Type, depth: Int, uniqueKeys: Bool = true) -> Fields<Key>? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "{"), depth <= Self.maxDepth else { return nil }
            index += 1
            var fields = Fields<Key>(bytes: bytes, slots: InlineArray(repeating: .absent))
            // Unknown keys are rare (a newer writer's fields); kept only to refuse one met twice.
            var unknown: [Range<Int>] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return fields }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                guard let value = value(depth: depth + 1) else { return nil }
                // A duplicate key: which one JSONDecoder keeps is its business.
                if let known = Key.table.index(of: UnsafeBufferPointer(rebasing: bytes[key])) {
                    guard case .absent = fields.slots[known] else { return nil }
                    fields.slots[known] = value
                } else if uniqueKeys {
                    let name = UnsafeBufferPointer(rebasing: bytes[key])
                    guard !unknown.contains(where: { UnsafeBufferPointer(rebasing: bytes[$0]).elementsEqual(name) }) else { return nil }
                    unknown.append(key)
                }
                guard let more = afterItem(closing: UInt8(ascii: "}")) else { return nil }
                if !more { return fields }
            }
        }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }

        /// Any value, checked: where it lies, or `nil` when malformed or nested deeper than 16.
        mutating func value(depth: Int) -> Slot? {
            skipSpace()
            guard index < bytes.count, depth <= Self.maxDepth else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                // Checked, not kept, and its keys not compared: a known member's object is read again
                // by its own type (the envelope's `data`), and an unknown member's content means
                // nothing to JSONDecoder either, duplicates included.
                let start = index
                guard object(NoKey.self, depth: depth, uniqueKeys: false) != nil else { return nil }
                return .object(start..<index)
            case UInt8(ascii: "["):
                let start = index
                return array(depth: depth) ? .array(start..<index) : nil
            case UInt8(ascii: "\""): return string().map(Slot.string)
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            default: return number().map(Slot.number)
            }
        }

        /// An array, every element checked, nothing kept.
        mutating func array(depth: Int) -> Bool {
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return true }
            while true {
                guard value(depth: depth + 1) != nil, let more = afterItem(closing: UInt8(ascii: "]")) else { return false }
                if !more { return true }
            }
        }

        mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
            index += count
            return true
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

        /// A string without escapes and without control characters, valid UTF-8: where its text lies.
        mutating func string() -> Range<Int>? {
            let start = index + 1
            var end = start
            var high: UInt8 = 0
            while end < bytes.count {
                let byte = bytes[end]
                if byte == UInt8(ascii: "\"") { break }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                high |= byte
                end += 1
            }
            guard end < bytes.count else { return nil }
            // ASCII needs no further check; anything else must be valid UTF-8.
            if high >= 0x80, String(validating: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) == nil { return nil }
            index = end + 1
            return start..<end
        }

        /// A number in JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        mutating func number() -> Range<Int>? {
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
            return start..<index
        }
    }

    /// The keys of an object that is only checked (an unknown member's value).
    enum NoKey: Int, ContractJSONKey {
        case none
        static let table = ContractJSONKeyTable(names: [])
    }
}

/// The members a payload reads, numbered from 0 in declaration order (at most 24); a case's name
/// is its JSON key.
protocol ContractJSONKey: RawRepresentable<Int>, CaseIterable, Sendable {
    static var table: ContractJSONKeyTable { get }
}

/// The UTF-8 names of a ``ContractJSONKey``'s cases, found by their bytes.
struct ContractJSONKeyTable: Sendable {
    let names: [[UInt8]]

    init<Key: ContractJSONKey>(_: Key.Type) {
        self.init(names: Key.allCases.map { Array(String(describing: $0).utf8) })
        precondition(names.count <= 24 && Key.allCases.enumerated().allSatisfy { $0.offset == $0.element.rawValue }, "\(Key.self): 0…23 in order")
    }

    init(names: [[UInt8]]) { self.names = names }

    /// The number of the key spelled `bytes`, or `nil` for a key the type does not read.
    func index(of bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        for (number, name) in names.enumerated() where name.count == bytes.count && name.elementsEqual(bytes) { return number }
        return nil
    }
}

/// A payload ``ContractJSONReader`` can read: built from the members of its JSON object as its
/// `Codable` decoding would (unknown keys ignored, `null` and absent optionals both `nil`), or
/// `nil` for anything that decoding might read differently or refuse.
protocol ContractJSONReadable: Codable & Sendable {
    associatedtype ContractKey: ContractJSONKey
    init?(contractJSON fields: ContractJSONReader.Fields<ContractKey>)
}
