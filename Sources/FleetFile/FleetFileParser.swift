import CCTVContract
import Foundation

/// File formats this codec reads and writes.
public enum FleetFileFormat: String, Sendable, Hashable, CaseIterable {
    /// Comma/semicolon/tab separated text.
    case csv
    /// Office Open XML workbook.
    case xlsx

    /// The usual file extension.
    public var fileExtension: String { rawValue }
}

/// Bounds applied to an import so a hostile or accidental upload cannot exhaust the server.
public struct FleetFileLimits: Sendable, Hashable {
    /// Largest accepted upload in bytes (default 64 MiB).
    public var maxBytes: Int
    /// Largest number of data rows, header excluded (default 100,000).
    public var maxRows: Int
    /// Largest uncompressed size of one `.xlsx` zip entry (default 100 MiB).
    public var maxUncompressedEntryBytes: UInt64
    /// Largest uncompressed size of all `.xlsx` zip entries together (default 200 MiB).
    public var maxUncompressedTotalBytes: UInt64

    /// Creates limits.
    public init(maxBytes: Int = 64 << 20, maxRows: Int = 100_000,
                maxUncompressedEntryBytes: UInt64 = 100 << 20, maxUncompressedTotalBytes: UInt64 = 200 << 20) {
        self.maxBytes = maxBytes
        self.maxRows = maxRows
        self.maxUncompressedEntryBytes = maxUncompressedEntryBytes
        self.maxUncompressedTotalBytes = maxUncompressedTotalBytes
    }
}

/// What an import produced: the valid rows, the rejected ones and observations.
public struct FleetFileParseResult: Sendable {
    /// The format the file was read as.
    public var format: FleetFileFormat
    /// Rows that passed every check, in file order.
    public var rows: [FleetRow]
    /// Every problem found; rows with at least one problem are not in `rows`.
    public var rejected: [RowProblem]
    /// Non-fatal observations (unknown columns, CP949 decoding, no data rows).
    public var warnings: [FleetFileWarning]
    /// Which header text was used for each recognised column.
    public var columns: [FleetColumn: String]
    /// For CSV: the detected text encoding.
    public var encoding: TextEncodingDetected?
    /// For CSV: the detected delimiter.
    public var delimiter: Character?

    /// Number of distinct rows that were rejected.
    public var rejectedRowCount: Int { Set(rejected.map(\.row)).count }
}

/// Parses an uploaded fleet file (CSV or XLSX) into validated camera rows.
///
/// Format: `PK\x03\x04` magic → XLSX; OLE2 magic (legacy `.xls`) → `unsupported_format`;
/// a `.xlsx`/`.xlsm` name without zip magic → `not_xlsx`; everything else is read as CSV.
/// The header is the first non-empty row. CSV cells are passed through `CSVWriter.unneutralize`
/// so this codec's own formula guard (`'=…`) is undone on re-import. All values are trimmed.
public enum FleetFileParser {
    /// Alias kept short for call sites: `FleetFileParser.Limits()`.
    public typealias Limits = FleetFileLimits

    /// Parses `data`; `filename` is only used for its extension.
    public static func parse(data: Data, filename: String, limits: Limits = Limits()) throws(FleetFileError) -> FleetFileParseResult {
        guard !data.isEmpty else { throw FleetFileError(.emptyFile, "The file is empty.") }
        guard data.count <= limits.maxBytes else {
            throw FleetFileError(.fileTooLarge, "The file is \(data.count) bytes; the limit is \(limits.maxBytes) bytes.")
        }
        var sheet = try readSheet(data, filename: filename, limits: limits)
        guard let headerRow = sheet.rows.first else {
            if sheet.format == .xlsx { throw FleetFileError(.emptySheet, "The first worksheet is empty.") }
            throw FleetFileError(.emptyFile, "The file has no header row and no data.")
        }
        let header = try Header(headerRow)
        if !header.unknown.isEmpty {
            sheet.warnings.append(FleetFileWarning(code: .unknownColumns,
                message: "These columns are not recognised and were ignored: \(header.unknown.joined(separator: ", ")).", items: header.unknown))
        }

        var validator = RowValidator(headerOf: header.headerOf, columnOf: header.columnOf)
        let dataRows = sheet.rows.dropFirst()
        if dataRows.isEmpty {
            sheet.warnings.append(FleetFileWarning(code: .noDataRows, message: "The file has a header row but no cameras."))
        }
        var rows: [FleetRow] = []
        rows.reserveCapacity(dataRows.count)
        for sheetRow in dataRows {
            if let row = validator.validate(sheetRow) { rows.append(row) }
        }
        return FleetFileParseResult(format: sheet.format, rows: rows, rejected: validator.problems, warnings: sheet.warnings,
                                    columns: header.headerOf.mapValues(\.text), encoding: sheet.encoding, delimiter: sheet.delimiter)
    }

    /// The file's rows as cells, whatever its format, with what reading it found out.
    private struct Sheet {
        var format: FleetFileFormat
        var rows: [SheetRow]
        var warnings: [FleetFileWarning] = []
        var encoding: TextEncodingDetected?
        var delimiter: Character?
    }

    /// Reads the file as a workbook when it is a zip archive, refuses legacy and misnamed Excel
    /// files with a message saying how to save them, and reads anything else as CSV.
    private static func readSheet(_ data: Data, filename: String, limits: Limits) throws(FleetFileError) -> Sheet {
        let ext = (filename as NSString).pathExtension.lowercased()
        if XLSXReader.looksLikeZip(data) {
            let out = try XLSXReader.read(data, limits: .init(
                maxEntryBytes: limits.maxUncompressedEntryBytes, maxTotalBytes: limits.maxUncompressedTotalBytes,
                maxRows: limits.maxRows + 1))
            return Sheet(format: .xlsx, rows: out.rows)
        } else if data.prefix(8).elementsEqual([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            throw FleetFileError(.unsupportedFormat, "This is a legacy Excel 97-2003 (.xls) file. Save it as .xlsx or CSV UTF-8 and upload again.")
        } else if ["xlsx", "xlsm", "xltx", "xltm"].contains(ext) {
            throw FleetFileError(.notXLSX, "The file is named .\(ext) but is not an Excel workbook (it is not a zip archive). Save it again from Excel as .xlsx or CSV.")
        } else if ext == "xls" {
            throw FleetFileError(.unsupportedFormat, "The file is named .xls but is not a readable workbook. Save it as .xlsx or CSV UTF-8 and upload again.")
        }
        let out = try CSVReader.read(data, maxBytes: limits.maxBytes, maxRows: limits.maxRows + 1)
        var sheet = Sheet(format: .csv, rows: out.rows.map { row in
            SheetRow(number: row.number, cells: row.cells.map {
                SheetCell(column: $0.column, text: CSVWriter.unneutralize($0.text), kind: $0.kind)
            })
        }, encoding: out.encoding, delimiter: out.delimiter)
        if out.encoding == .cp949 {
            sheet.warnings.append(FleetFileWarning(code: .decodedCP949,
                message: "The file is not UTF-8; it was read as CP949 (Korean Excel CSV). Check that Hangul looks right."))
        }
        return sheet
    }

    /// Which column each header cell names; headers that name no column are kept to warn about.
    private struct Header {
        var columnOf: [Int: FleetColumn] = [:]
        var headerOf: [FleetColumn: (text: String, index: Int)] = [:]
        var unknown: [String] = []

        /// Maps the header row.
        /// - Throws: ``FleetFileError`` when two headers mean the same column or a required column is missing.
        init(_ headerRow: SheetRow) throws(FleetFileError) {
            for cell in headerRow.cells {
                let text = cell.text.trimmingCharacters(in: .whitespacesAndNewlines)
                if text.isEmpty { continue }
                guard let col = FleetColumns.column(forHeader: text) else { unknown.append(text); continue }
                if let previous = headerOf[col] {
                    throw FleetFileError(.duplicateColumn,
                        "Columns \(ColumnName.letters(previous.index)) ('\(previous.text)') and \(ColumnName.letters(cell.column)) ('\(text)') both mean '\(col.rawValue)'. Keep only one of them.",
                        row: headerRow.number)
                }
                headerOf[col] = (text, cell.column)
                columnOf[cell.column] = col
            }
            for col in FleetColumn.allCases where col.isRequired && headerOf[col] == nil {
                let found = headerRow.cells.map { "'\($0.text)'" }.joined(separator: ", ")
                throw FleetFileError(.missingRequiredColumn,
                    "The required column '\(col.rawValue)' (\(col.aliases.joined(separator: " / "))) is missing. Headers found in row \(headerRow.number): \(found).",
                    row: headerRow.number)
            }
        }
    }
}
