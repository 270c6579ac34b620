import Foundation

/// One raw cell read from a CSV or XLSX file, before any validation.
public struct SheetCell: Sendable, Hashable {
    /// How the cell was stored in the file.
    public enum Kind: Sendable, Hashable {
        /// A plain value (text, number, boolean).
        case value
        /// An Excel formula (`<f>`); `text` holds the cached value if any.
        case formula
        /// An Excel error value (`t="e"`, e.g. `#REF!`).
        case error
    }

    /// Zero-based column index (A = 0).
    public let column: Int
    /// The cell's text as the reader rendered it.
    public let text: String
    /// How the cell was stored.
    public let kind: Kind

    /// Creates a cell.
    public init(column: Int, text: String, kind: Kind = .value) {
        self.column = column
        self.text = text
        self.kind = kind
    }
}

/// One raw row: its number as Excel shows it and its non-empty cells, sorted by column.
///
/// Rows are sparse so a malicious sheet with a cell at column XFD cannot blow up memory.
public struct SheetRow: Sendable, Hashable {
    /// 1-based row number as the operator sees it in Excel.
    public let number: Int
    /// Non-empty cells in ascending column order.
    public let cells: [SheetCell]

    /// Creates a row; `cells` must be sorted by column.
    public init(number: Int, cells: [SheetCell]) {
        self.number = number
        self.cells = cells
    }

    /// The cell at `column`, if present.
    public subscript(column: Int) -> SheetCell? {
        var lo = 0, hi = cells.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let c = cells[mid].column
            if c == column { return cells[mid] }
            if c < column { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }
}

/// Spreadsheet column helpers.
public enum ColumnName {
    /// Zero-based index → letters (`0` → `A`, `27` → `AB`).
    public static func letters(_ index: Int) -> String {
        var n = index + 1
        var out: [Character] = []
        while n > 0 {
            let r = (n - 1) % 26
            out.append(Character(Unicode.Scalar(UInt8(65 + r))))
            n = (n - 1) / 26
        }
        return String(out.reversed())
    }

    /// Parses a cell reference such as `AB12` into zero-based column and 1-based row.
    /// Returns nil for anything else (columns beyond `XFD` = 16384 are rejected).
    public static func parseReference(_ ref: String) -> (column: Int, row: Int)? {
        var col = 0, row = 0, letters = 0, digits = 0
        for b in ref.utf8 {
            switch b {
            case 65...90, 97...122:
                guard digits == 0 else { return nil }
                col = col * 26 + Int((b | 0x20) - 96)
                letters += 1
                if letters > 3 { return nil }
            case 36: continue // `$` in absolute references
            case 48...57:
                guard letters > 0 else { return nil }
                row = row * 10 + Int(b - 48)
                digits += 1
                if digits > 7 { return nil }
            default: return nil
            }
        }
        guard letters > 0, digits > 0, row > 0, col <= 16384 else { return nil }
        return (col - 1, row)
    }

    /// Parses only the column letters of a reference (`AB12` → 27), or nil.
    public static func columnIndex(_ ref: String) -> Int? {
        parseReference(ref)?.column
    }
}
