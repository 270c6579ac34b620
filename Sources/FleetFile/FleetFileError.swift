import Foundation

/// Stable, machine-readable reason why a whole fleet file was refused.
///
/// The raw values are snake_case strings that the server and the web UI may rely on;
/// never rename an existing case.
public enum FleetFileErrorCode: String, Sendable, Hashable, CaseIterable, Codable {
    /// The upload contained no bytes.
    case emptyFile = "empty_file"
    /// The upload is larger than `FleetFileLimits.maxBytes`.
    case fileTooLarge = "file_too_large"
    /// The file has more data rows than `FleetFileLimits.maxRows`.
    case tooManyRows = "too_many_rows"
    /// The text is neither UTF-8, UTF-16 with BOM nor CP949/EUC-KR, or it contains binary data.
    case undecodableText = "undecodable_text"
    /// The CSV structure is broken (for example a quoted field that never closes).
    case csvMalformed = "csv_malformed"
    /// A format this codec does not read (legacy binary `.xls`).
    case unsupportedFormat = "unsupported_format"
    /// The file claims to be `.xlsx` but is not a zip, or the zip lacks `xl/workbook.xml`.
    case notXLSX = "not_xlsx"
    /// The zip's declared or actual uncompressed size exceeds the limits (zip bomb guard).
    case zipBomb = "zip_bomb"
    /// The `.xlsx` is a zip with a workbook, but its XML is broken or inconsistent.
    case xlsxMalformed = "xlsx_malformed"
    /// The first worksheet has no cells with values.
    case emptySheet = "empty_sheet"
    /// The first worksheet has merged cells over the header or data rows.
    case mergedCells = "merged_cells"
    /// A required column (`address`) is missing from the header row.
    case missingRequiredColumn = "missing_required_column"
    /// Two header cells map to the same column (for example `ip` and `IP주소`).
    case duplicateColumn = "duplicate_column"
    /// Writing an export failed (zip creation error).
    case writeFailed = "write_failed"
}

/// A fatal error: the file as a whole cannot be imported (or exported).
///
/// `message` is an English sentence meant for the operator; `code` is stable for programs.
/// `row` is set when the problem is tied to one row number as Excel shows it (header = row 1).
public struct FleetFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable reason code.
    public let code: FleetFileErrorCode
    /// Human-readable explanation (English).
    public let message: String
    /// The 1-based row number (as seen in Excel) where the problem was found, if any.
    public let row: Int?

    /// Creates an error.
    public init(_ code: FleetFileErrorCode, _ message: String, row: Int? = nil) {
        self.code = code
        self.message = message
        self.row = row
    }

    /// `code: message`, suitable for logs.
    public var description: String {
        if let row { return "\(code.rawValue) (row \(row)): \(message)" }
        return "\(code.rawValue): \(message)"
    }
}
