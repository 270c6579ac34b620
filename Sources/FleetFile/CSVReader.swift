import Foundation

/// RFC 4180 CSV reader with delimiter and encoding detection.
///
/// - Quoted fields may contain delimiters, `""` (an escaped quote) and line breaks.
/// - Records end at CRLF, LF or a lone CR.
/// - The delimiter is the most frequent of `,` `;` TAB in the first record (outside quotes);
///   `,` on a tie. An Excel `sep=X` first line sets it explicitly and is not counted as a row
///   (Excel hides it too).
/// - Leniency: a quote inside an unquoted field, or text after a closing quote, is kept literally.
/// - Row numbers are record numbers, which is what Excel shows when it opens the CSV
///   (a line break inside a quoted cell stays in the cell).
public enum CSVReader {
    /// The outcome of reading a CSV file.
    public struct Output: Sendable {
        /// Non-blank records, each with its Excel row number.
        public let rows: [SheetRow]
        /// The delimiter that was used.
        public let delimiter: Character
        /// The text encoding that was detected.
        public let encoding: TextEncodingDetected
    }

    /// Reads CSV `data`. `maxBytes` bounds the input size, `maxRows` the number of non-blank
    /// records (header included).
    public static func read(_ data: Data, maxBytes: Int, maxRows: Int) throws(FleetFileError) -> Output {
        guard !data.isEmpty else { throw FleetFileError(.emptyFile, "The file is empty.") }
        guard data.count <= maxBytes else {
            throw FleetFileError(.fileTooLarge, "The file is \(data.count) bytes; the limit is \(maxBytes) bytes.")
        }
        let (text, encoding) = try TextDecoder.decode(data)
        let bytes = Array(text.utf8)
        var start = 0
        var delimiter: UInt8
        if let explicit = sepLine(bytes) {
            delimiter = explicit.delimiter
            start = explicit.next
        } else {
            delimiter = detectDelimiter(bytes)
        }
        let rows = try parse(bytes, from: start, delimiter: delimiter, maxRows: maxRows)
        return Output(rows: rows, delimiter: Character(Unicode.Scalar(delimiter)), encoding: encoding)
    }

    static let quote: UInt8 = 0x22, cr: UInt8 = 0x0D, lf: UInt8 = 0x0A

    /// Recognises Excel's `sep=;` first line.
    static func sepLine(_ b: [UInt8]) -> (delimiter: UInt8, next: Int)? {
        guard b.count >= 5, Array(b[0..<4]).map({ $0 | 0x20 }) == Array("sep=".utf8) else { return nil }
        let d = b[4]
        var i = 5
        guard i == b.count || b[i] == cr || b[i] == lf else { return nil }
        if i < b.count, b[i] == cr { i += 1 }
        if i < b.count, b[i] == lf { i += 1 }
        return (d, i)
    }

    static func detectDelimiter(_ b: [UInt8]) -> UInt8 {
        var counts: [UInt8: Int] = [0x2C: 0, 0x3B: 0, 0x09: 0]
        var inQuotes = false
        for c in b {
            if c == quote { inQuotes.toggle(); continue }
            if inQuotes { continue }
            if c == cr || c == lf { break }
            if counts[c] != nil { counts[c]! += 1 }
        }
        var best: UInt8 = 0x2C
        for d: UInt8 in [0x3B, 0x09] where counts[d]! > counts[best]! { best = d }
        return best
    }

    static func parse(_ b: [UInt8], from start: Int, delimiter: UInt8, maxRows: Int) throws(FleetFileError) -> [SheetRow] {
        var rows: [SheetRow] = []
        var cells: [SheetCell] = []
        var field: [UInt8] = []
        var column = 0
        var rowNumber = 1
        var inQuotes = false
        var quoteOpenedAt = 1
        var i = start
        let n = b.count

        func endField() {
            if !field.isEmpty {
                cells.append(SheetCell(column: column, text: String(decoding: field, as: UTF8.self)))
                field.removeAll(keepingCapacity: true)
            }
            column += 1
        }
        func endRecord() throws(FleetFileError) {
            endField()
            if !cells.isEmpty {
                if rows.count >= maxRows {
                    throw FleetFileError(.tooManyRows,
                        "The file has more than \(maxRows - 1) data rows (stopped at row \(rowNumber)). Split it into smaller files.",
                        row: rowNumber)
                }
                rows.append(SheetRow(number: rowNumber, cells: cells))
                cells.removeAll(keepingCapacity: true)
            }
            column = 0
            rowNumber += 1
        }

        while i < n {
            let c = b[i]
            if inQuotes {
                if c == quote {
                    if i + 1 < n, b[i + 1] == quote { field.append(quote); i += 2; continue }
                    inQuotes = false
                } else {
                    field.append(c)
                }
                i += 1
                continue
            }
            switch c {
            case quote where field.isEmpty:
                inQuotes = true
                quoteOpenedAt = rowNumber
            case delimiter:
                endField()
            case cr:
                try endRecord()
                if i + 1 < n, b[i + 1] == lf { i += 1 }
            case lf:
                try endRecord()
            default:
                field.append(c)
            }
            i += 1
        }
        if inQuotes {
            throw FleetFileError(.csvMalformed,
                "A quoted cell that starts on row \(quoteOpenedAt) is never closed (missing \").", row: quoteOpenedAt)
        }
        if !field.isEmpty || !cells.isEmpty { try endRecord() }
        return rows
    }
}
