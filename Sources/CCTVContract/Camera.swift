import Foundation

/// A registered camera as every service sees it (`camera.config`, retained on `cctv/{id}/config`).
/// Stream credentials are write-only and never part of it; `hasCredentials` only says they exist.
public struct CameraDefinition: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// IPv4, IPv6 or DNS host name.
    public var address: String
    public var hlsURL: String?
    public var site: String?
    public var location: String?
    public var latitude: Double?
    public var longitude: Double?
    public var group: String?
    public var tags: [String]
    /// Contact/team id of the network line team responsible for this camera.
    public var lineTeam: String?
    /// Contact/team id of the camera vendor responsible for this camera.
    public var vendor: String?
    public var enabled: Bool
    /// Check interval override in seconds; `nil` uses the prober's default.
    public var intervalSeconds: Int?
    public var hasCredentials: Bool
    public var createdAt: Date
    public var updatedAt: Date
    /// Optimistic-concurrency version, +1 on every change.
    public var version: Int

    public init(id: String, name: String, address: String, hlsURL: String? = nil, site: String? = nil,
                location: String? = nil, latitude: Double? = nil, longitude: Double? = nil, group: String? = nil,
                tags: [String] = [], lineTeam: String? = nil, vendor: String? = nil, enabled: Bool = true,
                intervalSeconds: Int? = nil, hasCredentials: Bool = false, createdAt: Date, updatedAt: Date, version: Int) {
        self.id = id; self.name = name; self.address = address; self.hlsURL = hlsURL; self.site = site
        self.location = location; self.latitude = latitude; self.longitude = longitude; self.group = group
        self.tags = tags; self.lineTeam = lineTeam; self.vendor = vendor; self.enabled = enabled
        self.intervalSeconds = intervalSeconds; self.hasCredentials = hasCredentials
        self.createdAt = createdAt; self.updatedAt = updatedAt; self.version = version
    }
}

/// What a client sends to create or replace a camera. Everything but `address` is optional.
public struct CameraInput: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String?
    public var address: String
    public var hlsURL: String?
    public var username: String?
    public var password: String?
    public var site: String?
    public var location: String?
    public var latitude: Double?
    public var longitude: Double?
    public var group: String?
    public var tags: [String]?
    public var lineTeam: String?
    public var vendor: String?
    public var enabled: Bool?
    public var intervalSeconds: Int?

    public init(id: String? = nil, name: String? = nil, address: String, hlsURL: String? = nil, username: String? = nil,
                password: String? = nil, site: String? = nil, location: String? = nil, latitude: Double? = nil,
                longitude: Double? = nil, group: String? = nil, tags: [String]? = nil, lineTeam: String? = nil,
                vendor: String? = nil, enabled: Bool? = nil, intervalSeconds: Int? = nil) {
        self.id = id; self.name = name; self.address = address; self.hlsURL = hlsURL; self.username = username
        self.password = password; self.site = site; self.location = location; self.latitude = latitude
        self.longitude = longitude; self.group = group; self.tags = tags; self.lineTeam = lineTeam
        self.vendor = vendor; self.enabled = enabled; self.intervalSeconds = intervalSeconds
    }
}

/// Payload of `camera.deleted`.
public struct CameraDeleted: Codable, Sendable, Equatable {
    public var id: String
    public var address: String
    public var version: Int
    public init(id: String, address: String, version: Int) { self.id = id; self.address = address; self.version = version }
}
