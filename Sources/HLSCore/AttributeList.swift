/// Parses an RFC 8216 §4.2 attribute list (`KEY=VALUE,KEY="quoted,value"`).
///
/// Single left-to-right pass over the characters so hostile input cannot make it quadratic.
/// Malformed pairs are skipped rather than rejected: servers in the wild emit stray
/// whitespace and trailing commas, and a monitor should not fail a camera over cosmetics.
struct AttributeList {
    private enum State {
        case key, value, quoted, afterQuote
    }

    private(set) var values: [String: String] = [:]

    init(_ text: Substring) {
        var key = ""
        var value = ""
        var state = State.key

        for character in text {
            switch state {
            case .key:
                if character == "=" {
                    state = .value
                } else if character == "," {
                    key = ""
                } else {
                    key.append(character)
                }
            case .value:
                if character == "," {
                    store(key: key, value: value.trimmingSpaces())
                    (key, value, state) = ("", "", .key)
                } else if character == "\"", value.allSatisfy({ $0 == " " || $0 == "\t" }) {
                    value = ""
                    state = .quoted
                } else {
                    value.append(character)
                }
            case .quoted:
                if character == "\"" {
                    state = .afterQuote
                } else {
                    value.append(character)
                }
            case .afterQuote:
                // Anything between a closing quote and the next comma is junk; drop it.
                if character == "," {
                    store(key: key, value: value)
                    (key, value, state) = ("", "", .key)
                }
            }
        }
        switch state {
        case .key: break
        case .value: store(key: key, value: value.trimmingSpaces())
        case .quoted, .afterQuote: store(key: key, value: value)
        }
    }

    private mutating func store(key: String, value: String) {
        let name = key.trimmingSpaces()
        // First occurrence wins; duplicates are a server bug we tolerate.
        if !name.isEmpty, values[name] == nil {
            values[name] = value
        }
    }

    subscript(_ key: String) -> String? { values[key] }

    /// Decimal integer attribute; `nil` when absent or not a number.
    func integer(_ key: String) -> Int? {
        values[key].flatMap { Int($0) }
    }

    /// Decimal floating-point attribute; `nil` when absent or not finite.
    func decimal(_ key: String) -> Double? {
        guard let number = values[key].flatMap({ Double($0) }), number.isFinite else { return nil }
        return number
    }

    /// `WIDTHxHEIGHT` attribute.
    func resolution(_ key: String) -> Resolution? {
        guard let text = values[key] else { return nil }
        let parts = text.split(separator: "x", maxSplits: 1)
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
              width > 0, height > 0, width < 1 << 16, height < 1 << 16 else { return nil }
        return Resolution(width: width, height: height)
    }
}

extension StringProtocol {
    /// Trims ASCII spaces and tabs only; cheaper than a CharacterSet and all HLS needs.
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
