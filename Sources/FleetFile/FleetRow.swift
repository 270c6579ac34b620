import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The kind of a camera address.
public enum AddressKind: String, Sendable, Hashable, Codable {
    /// Dotted-quad IPv4 (`inet_pton(AF_INET)`).
    case ipv4
    /// IPv6 (`inet_pton(AF_INET6)`); brackets are stripped, zone ids are not accepted.
    case ipv6
    /// An RFC 1123 DNS host name.
    case hostname
}

/// One validated camera row from a fleet file.
public struct FleetRow: Sendable, Hashable {
    /// Row number in the source file as Excel shows it (header = row 1).
    public var sourceRow: Int
    /// Asset id, `[A-Za-z0-9._-]{1,64}`.
    public var id: String?
    /// Display name, at most 200 characters.
    public var name: String?
    /// The camera address as written (IPv6 without brackets).
    public var address: String
    /// What kind of address `address` is.
    public var addressKind: AddressKind
    /// HLS stream URL (http or https only).
    public var hlsURL: URL?
    /// Stream user name.
    public var username: String?
    /// Stream password.
    public var password: String?
    /// Installation site.
    public var site: String?
    /// Free-text location / street address.
    public var location: String?
    /// Latitude in −90…90 (present together with `longitude`).
    public var latitude: Double?
    /// Longitude in −180…180 (present together with `latitude`).
    public var longitude: Double?
    /// Group / zone.
    public var group: String?
    /// Tags, split on `,` or `;`, trimmed, without duplicates.
    public var tags: [String]
    /// Network line contractor.
    public var lineTeam: String?
    /// Camera maintenance vendor.
    public var vendor: String?
    /// Whether the camera is monitored (default true).
    public var enabled: Bool
    /// Check interval in seconds, 10…86400 (nil: server default).
    public var intervalSeconds: Int?
    /// RTSP URL (rtsp://, no credentials).
    public var rtspURL: URL?
    /// ONVIF device service (http(s)://, no credentials).
    public var onvifURL: URL?
    /// Whether the picture (black / frozen) is checked.
    public var picture: Bool
    /// The part of the frame the picture check judges: `x,y,width,height` fractions.
    public var pictureCrop: String?
    /// Whether the camera's ONVIF events (signal loss, tamper) are subscribed to.
    public var onvifEvents: Bool

    /// Creates a row. No validation is done here; use `FleetFileParser` for untrusted input.
    public init(sourceRow: Int = 0, id: String? = nil, name: String? = nil, address: String,
                addressKind: AddressKind, hlsURL: URL? = nil, username: String? = nil,
                password: String? = nil, site: String? = nil, location: String? = nil,
                latitude: Double? = nil, longitude: Double? = nil, group: String? = nil,
                tags: [String] = [], lineTeam: String? = nil, vendor: String? = nil,
                enabled: Bool = true, intervalSeconds: Int? = nil, rtspURL: URL? = nil, onvifURL: URL? = nil, picture: Bool = false, pictureCrop: String? = nil,
                onvifEvents: Bool = false) {
        self.rtspURL = rtspURL
        self.onvifURL = onvifURL
        self.picture = picture
        self.pictureCrop = pictureCrop
        self.onvifEvents = onvifEvents
        self.sourceRow = sourceRow
        self.id = id
        self.name = name
        self.address = address
        self.addressKind = addressKind
        self.hlsURL = hlsURL
        self.username = username
        self.password = password
        self.site = site
        self.location = location
        self.latitude = latitude
        self.longitude = longitude
        self.group = group
        self.tags = tags
        self.lineTeam = lineTeam
        self.vendor = vendor
        self.enabled = enabled
        self.intervalSeconds = intervalSeconds
    }
}

/// Validation of single cell values. Each function returns nil when the value is invalid.
public enum FleetValidation {
    /// Classifies an address: IPv4/IPv6 via `inet_pton`, otherwise an RFC 1123 host name
    /// (labels 1–63 of letters, digits and inner hyphens, total ≤ 253, last label not all digits,
    /// so `300.1.1.1` and `1.2.3` are rejected). Returns the stored form and its kind.
    public static func address(_ raw: String) -> (address: String, kind: AddressKind)? {
        var s = raw
        if s.hasPrefix("["), s.hasSuffix("]"), s.count > 2 { s = String(s.dropFirst().dropLast()) }
        guard !s.isEmpty, s.utf8.count <= 253, s.allSatisfy({ $0.isASCII }) else { return nil }
        if s.contains(":") {
            return canonicalIPv6(s) != nil ? (s, .ipv6) : nil
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 { return (s, .ipv4) }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count),
                  label.utf8.allSatisfy({ isAlnum($0) || $0 == 0x2D }),
                  label.utf8.first != 0x2D, label.utf8.last != 0x2D else { return nil }
        }
        func numeric(_ l: Substring) -> Bool { l.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        guard let last = labels.last, !numeric(last) else { return nil }
        // `10.0.0.x`, `192.168.1.cam`: three numeric labels first is a mistyped IPv4, not a name.
        if labels.count >= 4, labels.prefix(3).allSatisfy(numeric) { return nil }
        return (s, .hostname)
    }

    /// The `inet_ntop` form of an IPv6 address, used to find duplicates written differently.
    static func canonicalIPv6(_ s: String) -> String? {
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, s, &v6) == 1 else { return nil }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &v6, &buf, socklen_t(buf.count)) != nil else { return nil }
        return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Key under which two addresses count as the same camera.
    static func duplicateKey(_ address: String, _ kind: AddressKind) -> String {
        switch kind {
        case .ipv4: address
        case .ipv6: canonicalIPv6(address) ?? address.lowercased()
        case .hostname: address.lowercased()
        }
    }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
    }

    /// `[A-Za-z0-9._-]{1,64}`.
    public static func assetID(_ s: String) -> String? {
        guard (1...64).contains(s.utf8.count),
              s.utf8.allSatisfy({ isAlnum($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }) else { return nil }
        return s
    }

    /// A decimal number in `range` (comma decimal separators are not accepted).
    public static func coordinate(_ s: String, in range: ClosedRange<Double>) -> Double? {
        guard s.utf8.allSatisfy({ (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x2D || $0 == 0x2B || $0 == 0x65 || $0 == 0x45 }),
              let d = Double(s), d.isFinite, range.contains(d) else { return nil }
        return d
    }

    /// true/false/yes/no/y/n/1/0/사용/미사용/예/아니오 (case-insensitive); empty means true.
    public static func enabled(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "", "true", "yes", "y", "1", "사용", "예", "o": true
        case "false", "no", "n", "0", "미사용", "아니오", "x": false
        default: nil
        }
    }

    /// An integer number of seconds in 10…86400.
    public static func interval(_ s: String) -> Int? {
        guard let n = Int(s), (10...86400).contains(n) else { return nil }
        return n
    }

    /// Splits tags on `,` and `;`, trims them and drops empty and repeated ones.
    public static func tags(_ s: String) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for part in s.split(whereSeparator: { $0 == "," || $0 == ";" }) {
            let t = part.trimmingCharacters(in: .whitespacesAndNewlines)
            if !t.isEmpty, seen.insert(t).inserted { out.append(t) }
        }
        return out
    }
}
