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
        let ext = (filename as NSString).pathExtension.lowercased()
        var warnings: [FleetFileWarning] = []
        let format: FleetFileFormat
        let sheetRows: [SheetRow]
        var encoding: TextEncodingDetected?
        var delimiter: Character?
        if XLSXReader.looksLikeZip(data) {
            format = .xlsx
            let out = try XLSXReader.read(data, limits: .init(
                maxEntryBytes: limits.maxUncompressedEntryBytes, maxTotalBytes: limits.maxUncompressedTotalBytes,
                maxRows: limits.maxRows + 1))
            sheetRows = out.rows
        } else if data.prefix(8).elementsEqual([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            throw FleetFileError(.unsupportedFormat, "This is a legacy Excel 97-2003 (.xls) file. Save it as .xlsx or CSV UTF-8 and upload again.")
        } else if ["xlsx", "xlsm", "xltx", "xltm"].contains(ext) {
            throw FleetFileError(.notXLSX, "The file is named .\(ext) but is not an Excel workbook (it is not a zip archive). Save it again from Excel as .xlsx or CSV.")
        } else if ext == "xls" {
            throw FleetFileError(.unsupportedFormat, "The file is named .xls but is not a readable workbook. Save it as .xlsx or CSV UTF-8 and upload again.")
        } else {
            format = .csv
            let out = try CSVReader.read(data, maxBytes: limits.maxBytes, maxRows: limits.maxRows + 1)
            if out.encoding == .cp949 {
                warnings.append(FleetFileWarning(code: .decodedCP949,
                    message: "The file is not UTF-8; it was read as CP949 (Korean Excel CSV). Check that Hangul looks right."))
            }
            encoding = out.encoding
            delimiter = out.delimiter
            sheetRows = out.rows.map { row in
                SheetRow(number: row.number, cells: row.cells.map {
                    SheetCell(column: $0.column, text: CSVWriter.unneutralize($0.text), kind: $0.kind)
                })
            }
        }
        guard let headerRow = sheetRows.first else {
            if format == .xlsx { throw FleetFileError(.emptySheet, "The first worksheet is empty.") }
            throw FleetFileError(.emptyFile, "The file has no header row and no data.")
        }

        // Header mapping.
        var columnOf: [Int: FleetColumn] = [:]
        var headerOf: [FleetColumn: (text: String, index: Int)] = [:]
        var unknown: [String] = []
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
        if !unknown.isEmpty {
            warnings.append(FleetFileWarning(code: .unknownColumns,
                message: "These columns are not recognised and were ignored: \(unknown.joined(separator: ", ")).", items: unknown))
        }

        // Rows.
        var validator = RowValidator(headerOf: headerOf, columnOf: columnOf)
        let dataRows = sheetRows.dropFirst()
        if dataRows.isEmpty {
            warnings.append(FleetFileWarning(code: .noDataRows, message: "The file has a header row but no cameras."))
        }
        var rows: [FleetRow] = []
        rows.reserveCapacity(dataRows.count)
        for sheetRow in dataRows {
            if let row = validator.validate(sheetRow) { rows.append(row) }
        }
        return FleetFileParseResult(format: format, rows: rows, rejected: validator.problems, warnings: warnings,
                                    columns: headerOf.mapValues(\.text), encoding: encoding, delimiter: delimiter)
    }
}

/// Validates one data row at a time and remembers addresses and ids for duplicate detection.
struct RowValidator {
    let headerOf: [FleetColumn: (text: String, index: Int)]
    let columnOf: [Int: FleetColumn]
    var problems: [RowProblem] = []
    private var seenAddress: [String: Int] = [:]
    private var seenID: [String: Int] = [:]

    init(headerOf: [FleetColumn: (text: String, index: Int)], columnOf: [Int: FleetColumn]) {
        self.headerOf = headerOf
        self.columnOf = columnOf
    }

    static let freeTextLimit = 500
    static let credentialLimit = 256

    mutating func validate(_ sheetRow: SheetRow) -> FleetRow? {
        let rowNo = sheetRow.number
        var values: [FleetColumn: String] = [:]
        var failed = false

        func report(_ col: FleetColumn, _ value: String?, _ reason: RowProblemReason, _ message: String) {
            let h = headerOf[col]
            let letter = h.map { ColumnName.letters($0.index) }
            let place = "Row \(rowNo), column \(letter ?? "?") (\(h?.text ?? col.rawValue))"
            problems.append(RowProblem(row: rowNo, column: col, header: h?.text, columnLetter: letter,
                                       value: col == .password ? nil : value, reason: reason,
                                       message: "\(place): \(message)"))
            failed = true
        }

        for cell in sheetRow.cells {
            guard let col = columnOf[cell.column] else { continue }
            switch cell.kind {
            case .formula:
                report(col, cell.text, .formulaCell,
                       "the cell contains a formula. Import files must contain plain values: copy the column and use Paste Special → Values, then save again.")
                continue
            case .error:
                report(col, cell.text, .errorCell, "the cell shows the Excel error \(cell.text). Fix or clear it.")
                continue
            case .value:
                let v = cell.text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !v.isEmpty { values[col] = v }
            }
        }
        if values.isEmpty && !failed { return nil } // only unknown columns filled: treat as blank

        var id: String?
        if let v = values[.id] {
            if let ok = FleetValidation.assetID(v) { id = ok }
            else { report(.id, v, .invalidID, "'\(RowProblem.truncate(v, max: 40))' is not a valid id: use 1–64 letters, digits, '.', '_' or '-'.") }
        }
        let name = values[.name]
        if let name, name.count > 200 {
            report(.name, name, .nameTooLong, "the name has \(name.count) characters; the limit is 200.")
        }
        var address: (address: String, kind: AddressKind)?
        if let v = values[.address] {
            address = FleetValidation.address(v)
            if address == nil {
                report(.address, v, .invalidAddress, "'\(RowProblem.truncate(v, max: 60))' is not a valid IPv4 address, IPv6 address or host name.")
            }
        } else if headerOf[.address] != nil, !(sheetRow.cells.contains { columnOf[$0.column] == .address }) {
            report(.address, nil, .missingAddress, "the address (IP or host name) is empty; every camera needs one.")
        }
        var hls: URL?
        if let v = values[.hls] {
            do {
                hls = try EndpointURL(validating: v, schemes: EndpointURL.web).url
            } catch {
                report(.hls, v, .invalidHLSURL, "'\(RowProblem.truncate(v, max: 60))' \(error).")
            }
        }
        /// A camera-side URL column (RTSP, ONVIF): one of `schemes`, no credentials in it.
        func deviceURL(_ column: FleetColumn, schemes: Set<String>, _ reason: RowProblemReason, _ what: String) -> URL? {
            guard let v = values[column] else { return nil }
            do {
                let endpoint = try EndpointURL(validating: v, schemes: schemes)
                guard endpoint.url.user == nil, endpoint.url.password == nil else {
                    report(column, nil, reason, "the \(what) must not contain credentials; use the username and password columns.")
                    return nil
                }
                return endpoint.url
            } catch {
                report(column, v, reason, "'\(RowProblem.truncate(v, max: 60))' \(error).")
                return nil
            }
        }
        let rtsp = deviceURL(.rtsp, schemes: EndpointURL.rtsp, .invalidRTSPURL, "RTSP URL")
        let onvif = deviceURL(.onvif, schemes: EndpointURL.web, .invalidONVIFURL, "ONVIF address")
        var picture = false
        if let v = values[.picture] {
            if let b = FleetValidation.enabled(v) { picture = b }
            else { report(.picture, v, .invalidEnabled, "'\(RowProblem.truncate(v, max: 40))' is not a yes/no value (true/false, yes/no, y/n, 1/0, 사용/미사용, 예/아니오).") }
        }
        var crop: String?
        if let v = values[.crop] {
            if let parsed = PictureCrop(parsing: v) { crop = parsed.description }
            else { report(.crop, v, .invalidCrop, "'\(RowProblem.truncate(v, max: 40))' is not x,y,width,height as fractions inside the frame (e.g. 0,0.1,1,0.9).") }
        }
        var lat: Double?, lon: Double?
        if let v = values[.latitude] {
            lat = FleetValidation.coordinate(v, in: -90...90)
            if lat == nil { report(.latitude, v, .invalidLatitude, "'\(RowProblem.truncate(v, max: 40))' is not a latitude between -90 and 90.") }
        }
        if let v = values[.longitude] {
            lon = FleetValidation.coordinate(v, in: -180...180)
            if lon == nil { report(.longitude, v, .invalidLongitude, "'\(RowProblem.truncate(v, max: 40))' is not a longitude between -180 and 180.") }
        }
        if (values[.latitude] == nil) != (values[.longitude] == nil) {
            let missing: FleetColumn = values[.latitude] == nil ? .latitude : .longitude
            report(missing, nil, .coordinateIncomplete, "latitude and longitude must be given together; \(missing.rawValue) is empty.")
        }
        var enabled = true
        if let v = values[.enabled] {
            if let b = FleetValidation.enabled(v) { enabled = b }
            else { report(.enabled, v, .invalidEnabled, "'\(RowProblem.truncate(v, max: 40))' is not a yes/no value (true/false, yes/no, y/n, 1/0, 사용/미사용, 예/아니오).") }
        }
        var interval: Int?
        if let v = values[.interval] {
            interval = FleetValidation.interval(v)
            if interval == nil { report(.interval, v, .invalidInterval, "'\(RowProblem.truncate(v, max: 40))' is not a whole number of seconds between 10 and 86400.") }
        }
        for col in [FleetColumn.site, .location, .group, .tags, .lineTeam, .vendor] {
            if let v = values[col], v.count > Self.freeTextLimit {
                report(col, v, .valueTooLong, "the text has \(v.count) characters; the limit is \(Self.freeTextLimit).")
            }
        }
        for col in [FleetColumn.username, .password] {
            if let v = values[col], v.count > Self.credentialLimit {
                report(col, col == .password ? nil : v, .valueTooLong, "the value has \(v.count) characters; the limit is \(Self.credentialLimit).")
            }
        }
        if let address {
            let key = FleetValidation.duplicateKey(address.address, address.kind)
            if let first = seenAddress[key] {
                report(.address, address.address, .duplicateAddress, "address \(address.address) already appears on row \(first) of this file.")
            } else {
                seenAddress[key] = rowNo
            }
        }
        if let id {
            let key = id.lowercased()
            if let first = seenID[key] {
                report(.id, id, .duplicateID, "id \(id) already appears on row \(first) of this file.")
            } else {
                seenID[key] = rowNo
            }
        }
        guard !failed, let address else { return nil }
        return FleetRow(sourceRow: rowNo, id: id, name: name, address: address.address, addressKind: address.kind,
                        hlsURL: hls, username: values[.username], password: values[.password],
                        site: values[.site], location: values[.location], latitude: lat, longitude: lon,
                        group: values[.group], tags: values[.tags].map(FleetValidation.tags) ?? [],
                        lineTeam: values[.lineTeam], vendor: values[.vendor], enabled: enabled,
                        intervalSeconds: interval, rtspURL: rtsp, onvifURL: onvif, picture: picture, pictureCrop: crop)
    }
}
