import CCTVContract
import Foundation

/// One data row being read: its non-empty values by column, and what is wrong with them, each
/// problem naming row, column letter and header so the user can find the cell.
struct RowReading {
    let number: Int
    let headerOf: [FleetColumn: (text: String, index: Int)]
    /// The trimmed, non-empty plain values of the known columns.
    private(set) var values: [FleetColumn: String] = [:]
    private(set) var problems: [RowProblem] = []

    init(sheetRow: SheetRow, columnOf: [Int: FleetColumn], headerOf: [FleetColumn: (text: String, index: Int)]) {
        number = sheetRow.number
        self.headerOf = headerOf
        for cell in sheetRow.cells {
            guard let col = columnOf[cell.column] else { continue }
            switch cell.kind {
            case .formula:
                report(col, cell.text, .formulaCell,
                       "the cell contains a formula. Import files must contain plain values: copy the column and use Paste Special → Values, then save again.")
            case .error:
                report(col, cell.text, .errorCell, "the cell shows the Excel error \(cell.text). Fix or clear it.")
            case .value:
                let v = cell.text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !v.isEmpty { values[col] = v }
            }
        }
    }

    mutating func report(_ col: FleetColumn, _ value: String?, _ reason: RowProblemReason, _ message: String) {
        let h = headerOf[col]
        let letter = h.map { ColumnName.letters($0.index) }
        let place = "Row \(number), column \(letter ?? "?") (\(h?.text ?? col.rawValue))"
        problems.append(RowProblem(row: number, column: col, header: h?.text, columnLetter: letter,
                                   value: col == .password ? nil : value, reason: reason, message: "\(place): \(message)"))
    }

    mutating func assetID() -> String? {
        guard let v = values[.id] else { return nil }
        if let ok = FleetValidation.assetID(v) { return ok }
        report(.id, v, .invalidID, "'\(RowProblem.truncate(v, max: 40))' is not a valid id: use 1–64 letters, digits, '.', '_' or '-'.")
        return nil
    }

    mutating func name() -> String? {
        let name = values[.name]
        if let name, name.count > 200 { report(.name, name, .nameTooLong, "the name has \(name.count) characters; the limit is 200.") }
        return name
    }

    /// - Parameter filledIn: whether the row has an address cell at all (empty or not).
    mutating func address(filledIn: Bool) -> (address: String, kind: AddressKind)? {
        guard let v = values[.address] else {
            if headerOf[.address] != nil, !filledIn { report(.address, nil, .missingAddress, "the address (IP or host name) is empty; every camera needs one.") }
            return nil
        }
        if let address = FleetValidation.address(v) { return address }
        report(.address, v, .invalidAddress, "'\(RowProblem.truncate(v, max: 60))' is not a valid IPv4 address, IPv6 address or host name.")
        return nil
    }

    mutating func hlsURL() -> URL? {
        guard let v = values[.hls] else { return nil }
        do {
            return try EndpointURL(validating: v, schemes: EndpointURL.web).url
        } catch {
            report(.hls, v, .invalidHLSURL, "'\(RowProblem.truncate(v, max: 60))' \(error).")
            return nil
        }
    }

    /// A camera-side URL column (RTSP, ONVIF): one of `schemes`, no credentials in it.
    mutating func deviceURL(_ column: FleetColumn, schemes: Set<String>, _ reason: RowProblemReason, _ what: String) -> URL? {
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

    mutating func yesNo(_ column: FleetColumn, default value: Bool) -> Bool {
        guard let v = values[column] else { return value }
        if let b = FleetValidation.enabled(v) { return b }
        report(column, v, .invalidEnabled, "'\(RowProblem.truncate(v, max: 40))' is not a yes/no value (true/false, yes/no, y/n, 1/0, 사용/미사용, 예/아니오).")
        return value
    }

    mutating func crop() -> String? {
        guard let v = values[.crop] else { return nil }
        if let parsed = PictureCrop(parsing: v) { return parsed.description }
        report(.crop, v, .invalidCrop, "'\(RowProblem.truncate(v, max: 40))' is not x,y,width,height as fractions inside the frame (e.g. 0,0.1,1,0.9).")
        return nil
    }

    /// Latitude and longitude: each in range, and both or neither.
    mutating func coordinates() -> (latitude: Double?, longitude: Double?) {
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
        return (lat, lon)
    }

    mutating func interval() -> Int? {
        guard let v = values[.interval] else { return nil }
        if let interval = FleetValidation.interval(v) { return interval }
        report(.interval, v, .invalidInterval, "'\(RowProblem.truncate(v, max: 40))' is not a whole number of seconds between 10 and 86400.")
        return nil
    }

    mutating func checkLengths(_ columns: [FleetColumn], limit: Int) {
        for col in columns {
            if let v = values[col], v.count > limit {
                let what = col == .username || col == .password ? "value" : "text"
                report(col, col == .password ? nil : v, .valueTooLong, "the \(what) has \(v.count) characters; the limit is \(limit).")
            }
        }
    }
}
