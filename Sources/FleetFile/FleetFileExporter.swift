import Foundation

/// Writes camera rows to CSV or XLSX so that parsing the output yields the same rows.
///
/// Columns are always all of `FleetColumn.allCases`, in that order, with English (canonical)
/// or Korean headers. Numbers use Swift's shortest round-trip form; tags are joined with `, `;
/// `enabled` is written `true`/`false`. CSV output is UTF-8 with BOM, CRLF, with the
/// formula-injection guard described on `CSVWriter`. In XLSX, latitude, longitude and interval
/// are numeric cells and everything else is text.
public enum FleetFileExporter {
    /// Exports rows. With `includePasswords: false` the password column is written empty
    /// (use it for files that leave the control room).
    public static func export(_ rows: [FleetRow], format: FleetFileFormat, language: HeaderLanguage = .english,
                              includePasswords: Bool = true) throws(FleetFileError) -> Data {
        let header = FleetColumn.allCases.map { $0.header(language) }
        let body = rows.map { cells(for: $0, includePasswords: includePasswords) }
        return try write(header: header, rows: body, format: format)
    }

    /// An empty import template: the header row and one example camera. Its line team and vendor
    /// are teams the notifier knows (empty when none is set up), so the example itself validates.
    public static func template(format: FleetFileFormat, language: HeaderLanguage = .english, lineTeam: String? = nil, vendor: String? = nil) throws(FleetFileError) -> Data {
        let example = FleetRow(
            id: "CAM-0001", name: language == .korean ? "정문 입구" : "Main gate",
            address: "192.0.2.10", addressKind: .ipv4,
            hlsURL: URL(string: "https://192.0.2.10/live/stream.m3u8"),
            username: "viewer", password: "change-me",
            site: language == .korean ? "본관" : "Head office",
            location: language == .korean ? "서울특별시 중구 세종대로 110" : "110 Sejong-daero, Jung-gu, Seoul",
            latitude: 37.5663, longitude: 126.9779,
            group: language == .korean ? "1구역" : "Zone 1", tags: ["gate", "ptz"],
            lineTeam: lineTeam, vendor: vendor, enabled: true, intervalSeconds: 60,
            rtspURL: URL(string: "rtsp://192.0.2.10:554/Streaming/Channels/101"),
            onvifURL: URL(string: "http://192.0.2.10/onvif/device_service"), picture: true, pictureCrop: "0,0.1,1,0.9",
            onvifEvents: true)
        return try export([example], format: format, language: language)
    }

    static func cells(for row: FleetRow, includePasswords: Bool) -> [String] {
        FleetColumn.allCases.map { col -> String in
            switch col {
            case .id: row.id ?? ""
            case .name: row.name ?? ""
            case .address: row.address
            case .hls: row.hlsURL?.absoluteString ?? ""
            case .username: row.username ?? ""
            case .password: includePasswords ? (row.password ?? "") : ""
            case .site: row.site ?? ""
            case .location: row.location ?? ""
            case .latitude: row.latitude.map { "\($0)" } ?? ""
            case .longitude: row.longitude.map { "\($0)" } ?? ""
            case .group: row.group ?? ""
            case .tags: row.tags.joined(separator: ", ")
            case .lineTeam: row.lineTeam ?? ""
            case .vendor: row.vendor ?? ""
            case .enabled: row.enabled ? "true" : "false"
            case .interval: row.intervalSeconds.map(String.init) ?? ""
            case .rtsp: row.rtspURL?.absoluteString ?? ""
            case .onvif: row.onvifURL?.absoluteString ?? ""
            case .picture: row.picture ? "true" : "false"
            case .crop: row.pictureCrop ?? ""
            case .onvifEvents: row.onvifEvents ? "true" : "false"
            }
        }
    }

    static func write(header: [String], rows: [[String]], format: FleetFileFormat) throws(FleetFileError) -> Data {
        switch format {
        case .csv:
            return CSVWriter.write(header: header, rows: rows)
        case .xlsx:
            let numeric = Set([FleetColumn.latitude, .longitude, .interval].compactMap { FleetColumn.allCases.firstIndex(of: $0) })
            return try XLSXWriter.write(header: header, rows: rows, sheetName: "cameras", numericColumns: numeric)
        }
    }
}
