import CCTVContract
import Foundation

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

    /// The row as a camera, or nil when it is blank or has problems (then in ``problems``).
    mutating func validate(_ sheetRow: SheetRow) -> FleetRow? {
        var row = RowReading(sheetRow: sheetRow, columnOf: columnOf, headerOf: headerOf)
        if row.values.isEmpty && row.problems.isEmpty { return nil }  // only unknown columns filled: blank
        let id = row.assetID()
        let name = row.name()
        let address = row.address(filledIn: sheetRow.cells.contains { columnOf[$0.column] == .address })
        let hls = row.hlsURL()
        let rtsp = row.deviceURL(.rtsp, schemes: EndpointURL.rtsp, .invalidRTSPURL, "RTSP URL")
        let onvif = row.deviceURL(.onvif, schemes: EndpointURL.web, .invalidONVIFURL, "ONVIF address")
        let picture = row.yesNo(.picture, default: false)
        let crop = row.crop()
        let onvifEvents = row.yesNo(.onvifEvents, default: false)
        let (lat, lon) = row.coordinates()
        let enabled = row.yesNo(.enabled, default: true)
        let interval = row.interval()
        row.checkLengths([.site, .location, .group, .tags, .lineTeam, .vendor], limit: Self.freeTextLimit)
        row.checkLengths([.username, .password], limit: Self.credentialLimit)
        if let address { firstSighting(of: FleetValidation.duplicateKey(address.address, address.kind), in: &seenAddress, row: &row,
                                       column: .address, value: address.address, .duplicateAddress, "address") }
        if let id { firstSighting(of: id.lowercased(), in: &seenID, row: &row, column: .id, value: id, .duplicateID, "id") }
        problems += row.problems
        guard row.problems.isEmpty, let address else { return nil }
        let values = row.values
        return FleetRow(sourceRow: sheetRow.number, id: id, name: name, address: address.address, addressKind: address.kind,
                        hlsURL: hls, username: values[.username], password: values[.password],
                        site: values[.site], location: values[.location], latitude: lat, longitude: lon,
                        group: values[.group], tags: values[.tags].map(FleetValidation.tags) ?? [],
                        lineTeam: values[.lineTeam], vendor: values[.vendor], enabled: enabled,
                        intervalSeconds: interval, rtspURL: rtsp, onvifURL: onvif, picture: picture, pictureCrop: crop,
                        onvifEvents: onvifEvents)
    }

    /// Remembers where `key` first appeared in the file; a later row with the same key is a duplicate.
    private func firstSighting(of key: String, in seen: inout [String: Int], row: inout RowReading, column: FleetColumn, value: String,
                               _ reason: RowProblemReason, _ what: String) {
        if let first = seen[key] {
            row.report(column, value, reason, "\(what) \(value) already appears on row \(first) of this file.")
        } else {
            seen[key] = row.number
        }
    }
}
