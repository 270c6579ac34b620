import Foundation

/// A partial update (`patch` action, `PATCH /api/cameras/{id}`): only the fields present change.
/// A field sent as JSON `null` is cleared; a field left out keeps its value. `address` and
/// `enabled` cannot be cleared. Credentials sent here replace the stored ones; `null` keeps them
/// (they are write-only: there is nothing a client could have read back to send). Credentials are
/// bound to the stream URL's origin: moving `hlsURL` to another host needs them again, and
/// clearing `hlsURL` drops them.
public struct CameraPatch: Codable, Sendable, Equatable {
    public var name: String??
    public var address: String?
    public var hlsURL: String??
    public var username: String??
    public var password: String??
    public var site: String??
    public var location: String??
    public var latitude: Double??
    public var longitude: Double??
    public var group: String??
    public var tags: [String]??
    public var lineTeam: String??
    public var vendor: String??
    public var enabled: Bool?
    public var intervalSeconds: Int??
    /// RTSP URL and picture options, replaced whole; `null` clears them.
    public var checks: CameraChecks??

    /// The JSON keys a patch understands; anything else is refused so a typo does not silently do nothing.
    public static let keys: Set<String> = Set(CodingKeys.allCases.map(\.rawValue))

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, address, hlsURL, username, password, site, location, latitude, longitude, group, tags, lineTeam, vendor, enabled, intervalSeconds, checks
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func field<T: Decodable>(_ key: CodingKeys) throws -> T?? {
            guard c.contains(key) else { return .none }
            if try c.decodeNil(forKey: key) { return .some(nil) }
            return .some(try c.decode(T.self, forKey: key))
        }
        name = try field(.name); hlsURL = try field(.hlsURL); username = try field(.username); password = try field(.password)
        site = try field(.site); location = try field(.location); latitude = try field(.latitude); longitude = try field(.longitude)
        group = try field(.group); tags = try field(.tags); lineTeam = try field(.lineTeam); vendor = try field(.vendor)
        intervalSeconds = try field(.intervalSeconds); checks = try field(.checks)
        address = try c.decodeIfPresent(String.self, forKey: .address)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func put<T: Encodable>(_ value: T??, _ key: CodingKeys) throws {
            switch value {
            case .none: break
            case .some(.none): try c.encodeNil(forKey: key)
            case let .some(.some(value)): try c.encode(value, forKey: key)
            }
        }
        try put(name, .name); try put(hlsURL, .hlsURL); try put(username, .username); try put(password, .password)
        try put(site, .site); try put(location, .location); try put(latitude, .latitude); try put(longitude, .longitude)
        try put(group, .group); try put(tags, .tags); try put(lineTeam, .lineTeam); try put(vendor, .vendor)
        try put(intervalSeconds, .intervalSeconds); try put(checks, .checks)
        try c.encodeIfPresent(address, forKey: .address)
        try c.encodeIfPresent(enabled, forKey: .enabled)
    }

    /// `camera` with this patch applied.
    public func applied(to camera: CameraInput) -> CameraInput {
        var out = camera
        if let name { out.name = name }
        if let address { out.address = address }
        if let hlsURL { out.hlsURL = hlsURL }
        if let username, let username { out.username = username }
        if let password, let password { out.password = password }
        if let site { out.site = site }
        if let location { out.location = location }
        if let latitude { out.latitude = latitude }
        if let longitude { out.longitude = longitude }
        if let group { out.group = group }
        if let tags { out.tags = tags ?? [] }
        if let lineTeam { out.lineTeam = lineTeam }
        if let vendor { out.vendor = vendor }
        if let enabled { out.enabled = enabled }
        if let intervalSeconds { out.intervalSeconds = intervalSeconds }
        if let checks { out.checks = checks }
        return out
    }
}

/// A camera's stream credentials, answered to the `credentials` action only on the asking prober's
/// own reply topic (never on `registry/results`, never over REST); only prober accounts may ask.
public struct CameraCredentials: Codable, Sendable, Equatable {
    public var id: String
    public var username: String?
    public var password: String?
    /// The origin (`scheme://host:port`) they were entered for: they are sent to no other.
    public var origin: String?
    public init(id: String, username: String?, password: String?, origin: String? = nil) {
        self.id = id; self.username = username; self.password = password; self.origin = origin
    }

    /// The origin of a stream URL as credentials are bound to it: lower-case scheme and host, and
    /// the port (the scheme's default when absent), e.g. `https://cam-7.example:443` or
    /// `rtsp://10.0.0.7:554`. Nil when the URL has no http(s)/rtsp scheme or no host.
    public static func origin(of url: URL) -> String? {
        guard let scheme = url.scheme?.lowercased(), let defaultPort = defaultPorts[scheme], let host = url.host?.lowercased(), !host.isEmpty else { return nil }
        return "\(scheme)://\(host):\(url.port ?? defaultPort)"
    }

    static let defaultPorts = ["http": 80, "https": 443, "rtsp": 554]

    /// The host part of an origin (`10.0.0.7` of `rtsp://10.0.0.7:554`): the device the
    /// credentials belong to, whichever of its services (HLS, RTSP) is asked.
    public static func host(ofOrigin origin: String) -> String? {
        URL(string: origin)?.host?.lowercased()
    }

    /// ``origin(of:)`` of a URL text.
    public static func origin(of text: String?) -> String? {
        text.flatMap(URL.init(string:)).flatMap(origin(of:))
    }
}
