import Foundation

/// Writes CSV the way Korean Excel opens it correctly.
///
/// - UTF-8 **with BOM** (without it Korean Excel assumes CP949 and garbles Hangul), CRLF line ends.
/// - A field is quoted when it contains the delimiter, `"`, CR or LF, or starts/ends with a space.
/// - CSV injection: when `neutralizeFormulas` is on, a cell that (after any leading `'`) starts
///   with `=`, `+`, `-`, `@`, TAB or CR gets one extra leading `'`, so spreadsheet programs show
///   it as text instead of evaluating it. Plain numbers such as `-33.5` are left alone (they are
///   harmless and must stay numbers). `CSVWriter.unneutralize` is the exact inverse, which the
///   fleet parser applies to CSV imports, so export → import is lossless.
public enum CSVWriter {
    /// Builds the CSV bytes.
    public static func write(header: [String], rows: [[String]], delimiter: Character = ",",
                             neutralizeFormulas: Bool = true) -> Data {
        var out = "\u{FEFF}"
        out.reserveCapacity(rows.count * 120)
        func line(_ fields: [String]) {
            for (i, f) in fields.enumerated() {
                if i > 0 { out.append(delimiter) }
                out += quoteIfNeeded(neutralizeFormulas ? neutralize(f) : f, delimiter: delimiter)
            }
            out += "\r\n"
        }
        line(header)
        rows.forEach(line)
        return Data(out.utf8)
    }

    static let triggers: Set<Character> = ["=", "+", "-", "@", "\t", "\r"]

    static func isPlainNumber(_ s: String) -> Bool {
        var body = Substring(s)
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        guard !body.isEmpty else { return false }
        var dots = 0
        for c in body {
            if c == "." { dots += 1; if dots > 1 { return false } } else if !("0"..."9").contains(c) { return false }
        }
        return body.first != "." && body.last != "."
    }

    static func needsGuard(_ s: String) -> Bool {
        guard let first = s.drop(while: { $0 == "'" }).first, triggers.contains(first) else { return false }
        return !isPlainNumber(s)
    }

    /// Prefixes a formula-looking cell with `'` (see the type documentation).
    public static func neutralize(_ s: String) -> String {
        needsGuard(s) ? "'" + s : s
    }

    /// Exact inverse of `neutralize`.
    public static func unneutralize(_ s: String) -> String {
        s.first == "'" && needsGuard(s) ? String(s.dropFirst()) : s
    }

    static func quoteIfNeeded(_ s: String, delimiter: Character) -> String {
        let needs = s.contains(where: { $0 == delimiter || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            || s.first == " " || s.last == " "
        guard needs else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
