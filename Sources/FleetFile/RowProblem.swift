import Foundation

/// Stable, machine-readable reason why one row (or one cell of it) was rejected.
///
/// Raw values are snake_case and stable; the UI may translate them.
public enum RowProblemReason: String, Sendable, Hashable, CaseIterable, Codable {
    /// `id` is not `[A-Za-z0-9._-]{1,64}`.
    case invalidID = "invalid_id"
    /// `name` is longer than 200 characters.
    case nameTooLong = "name_too_long"
    /// A free-text field is longer than its limit.
    case valueTooLong = "value_too_long"
    /// The address cell is empty.
    case missingAddress = "missing_address"
    /// The address is not an IPv4, IPv6 or RFC 1123 host name.
    case invalidAddress = "invalid_address"
    /// The HLS URL is not an absolute http(s) URL.
    case invalidHLSURL = "invalid_hls_url"
    /// The RTSP URL is not an rtsp:// URL with a port from 1 to 65535 and no credentials.
    case invalidRTSPURL = "invalid_rtsp_url"
    /// The ONVIF address is not an http(s):// URL with a port from 1 to 65535 and no credentials.
    case invalidONVIFURL = "invalid_onvif_url"
    /// The picture crop is not `x,y,width,height` fractions inside the frame.
    case invalidCrop = "invalid_crop"
    /// Latitude is not a number in −90…90.
    case invalidLatitude = "invalid_latitude"
    /// Longitude is not a number in −180…180.
    case invalidLongitude = "invalid_longitude"
    /// Only one of latitude / longitude is present.
    case coordinateIncomplete = "coordinate_incomplete"
    /// `enabled` is not one of the accepted yes/no words.
    case invalidEnabled = "invalid_enabled"
    /// `interval` is not an integer number of seconds in 10…86400.
    case invalidInterval = "invalid_interval"
    /// The same address already appeared on an earlier row of this file.
    case duplicateAddress = "duplicate_address"
    /// The same id already appeared on an earlier row of this file.
    case duplicateID = "duplicate_id"
    /// The cell is an Excel formula; imports must contain plain values.
    case formulaCell = "formula_cell"
    /// The cell holds an Excel error value such as `#REF!`.
    case errorCell = "error_cell"
}

/// One problem on one row of the file. A row with at least one problem is not imported.
public struct RowProblem: Sendable, Hashable {
    /// Row number as the operator sees it in Excel: the header is row 1, the first data row is row 2.
    public let row: Int
    /// The canonical column, when the problem belongs to one cell.
    public let column: FleetColumn?
    /// The header text exactly as it appears in the file (for example `IP주소`), when known.
    public let header: String?
    /// The spreadsheet column letter (`A`, `B`, … `AA`), when known.
    public let columnLetter: String?
    /// The offending value, truncated to 80 characters (never the password).
    public let value: String?
    /// Stable reason code.
    public let reason: RowProblemReason
    /// Human-readable explanation (English).
    public let message: String

    /// Creates a problem record. `value` is truncated to 80 characters.
    public init(row: Int, column: FleetColumn?, header: String?, columnLetter: String?,
                value: String?, reason: RowProblemReason, message: String) {
        self.row = row
        self.column = column
        self.header = header
        self.columnLetter = columnLetter
        self.value = value.map { RowProblem.truncate($0) }
        self.reason = reason
        self.message = message
    }

    static func truncate(_ s: String, max: Int = 80) -> String {
        s.count <= max ? s : String(s.prefix(max - 1)) + "…"
    }
}

/// Stable code of a non-fatal observation about the file.
public enum FleetFileWarningCode: String, Sendable, Hashable, CaseIterable, Codable {
    /// Header cells that do not map to any known column; their data is ignored.
    case unknownColumns = "unknown_columns"
    /// The text was not UTF-8 and was decoded as CP949 (Korean Excel "CSV").
    case decodedCP949 = "decoded_cp949"
    /// The file has a header row but no data rows.
    case noDataRows = "no_data_rows"
}

/// A non-fatal observation; the import goes on.
public struct FleetFileWarning: Sendable, Hashable {
    /// Stable code.
    public let code: FleetFileWarningCode
    /// Human-readable explanation (English).
    public let message: String
    /// Items the warning is about (for `unknown_columns`: the header texts).
    public let items: [String]

    /// Creates a warning.
    public init(code: FleetFileWarningCode, message: String, items: [String] = []) {
        self.code = code
        self.message = message
        self.items = items
    }
}
