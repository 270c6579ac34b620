import Foundation

/// The canonical columns of a camera row.
///
/// `rawValue` is the canonical English header that exports write.
public enum FleetColumn: String, Sendable, Hashable, CaseIterable, Codable {
    case id
    case name
    case address
    case hls
    case username
    case password
    case site
    case location
    case latitude
    case longitude
    case group
    case tags
    case lineTeam = "line_team"
    case vendor
    case enabled
    case interval
    case rtsp
    case onvif
    case picture
    case crop = "picture_crop"
    case onvifEvents = "onvif_events"

    /// Header names accepted on import (matched after `FleetColumns.normalize`).
    public var aliases: [String] {
        switch self {
        case .id: ["id", "asset", "asset_id", "자산번호", "관리번호", "ID"]
        case .name: ["name", "이름", "카메라명", "명칭"]
        case .address: ["ip", "address", "host", "IP", "IP주소", "아이피", "주소(IP)"]
        case .hls: ["hls", "hls_url", "stream", "스트림", "HLS", "HLS주소"]
        case .username: ["username", "user", "아이디", "계정"]
        case .password: ["password", "pass", "비밀번호"]
        case .site: ["site", "설치장소", "장소", "현장"]
        case .location: ["location", "address_text", "주소", "위치"]
        case .latitude: ["lat", "latitude", "위도"]
        case .longitude: ["lon", "lng", "longitude", "경도"]
        case .group: ["group", "그룹", "구역"]
        case .tags: ["tags", "태그"]
        case .lineTeam: ["line_team", "network_team", "회선담당", "회선업체"]
        case .vendor: ["vendor", "camera_vendor", "카메라업체", "유지보수업체"]
        case .enabled: ["enabled", "사용", "사용여부"]
        case .interval: ["interval", "interval_s", "점검주기", "점검주기(초)"]
        case .rtsp: ["rtsp", "rtsp_url", "RTSP", "RTSP주소"]
        case .onvif: ["onvif", "onvif_url", "ONVIF", "ONVIF주소"]
        case .picture: ["picture", "picture_check", "화면점검", "화면감시"]
        case .crop: ["picture_crop", "crop", "화면영역", "점검영역"]
        case .onvifEvents: ["onvif_events", "events", "ONVIF이벤트", "이벤트감시"]
        }
    }

    /// Whether an import must have this column.
    public var isRequired: Bool { self == .address }

    /// The header written for `language` on export; always one of `aliases`.
    public func header(_ language: HeaderLanguage) -> String {
        switch language {
        case .english: rawValue
        case .korean:
            switch self {
            case .id: "자산번호"
            case .name: "카메라명"
            case .address: "IP주소"
            case .hls: "HLS주소"
            case .username: "계정"
            case .password: "비밀번호"
            case .site: "설치장소"
            case .location: "위치"
            case .latitude: "위도"
            case .longitude: "경도"
            case .group: "그룹"
            case .tags: "태그"
            case .lineTeam: "회선업체"
            case .vendor: "유지보수업체"
            case .enabled: "사용여부"
            case .interval: "점검주기(초)"
            case .rtsp: "RTSP주소"
            case .onvif: "ONVIF주소"
            case .picture: "화면점검"
            case .crop: "화면영역"
            case .onvifEvents: "ONVIF이벤트"
            }
        }
    }
}

/// Language of the header row written by exports and templates.
public enum HeaderLanguage: String, Sendable, Hashable, CaseIterable {
    /// Canonical English headers (`id`, `name`, `address`, …).
    case english
    /// Korean headers (`자산번호`, `카메라명`, `IP주소`, …).
    case korean
}

/// Maps header texts to canonical columns.
public enum FleetColumns {
    /// Normalises a header for matching: Unicode NFC (macOS writes Hangul as NFD), lowercase,
    /// and removes whitespace, `_`, `-` and BOM characters, so `Asset ID`, `asset_id` and `ASSETID` match.
    public static func normalize(_ header: String) -> String {
        let nfc = header.precomposedStringWithCanonicalMapping.lowercased()
        var out = String.UnicodeScalarView()
        for s in nfc.unicodeScalars {
            if s.properties.isWhitespace || s == "_" || s == "-" || s == "\u{FEFF}" { continue }
            out.append(s)
        }
        return String(out)
    }

    private static let table: [String: FleetColumn] = {
        var t: [String: FleetColumn] = [:]
        for c in FleetColumn.allCases {
            for a in c.aliases { t[normalize(a)] = c }
        }
        return t
    }()

    /// The canonical column for a header text, or nil if unknown.
    public static func column(forHeader header: String) -> FleetColumn? {
        table[normalize(header)]
    }
}
