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
    public var latitude: Double? {
        get { rare?.latitude }
        set { rare = Rare(latitude: newValue, longitude: longitude, checks: checks, device: device) }
    }
    public var longitude: Double? {
        get { rare?.longitude }
        set { rare = Rare(latitude: latitude, longitude: newValue, checks: checks, device: device) }
    }
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
    /// Checks past ping and HLS (RTSP, ONVIF, picture); absent = none.
    public var checks: CameraChecks? {
        get { rare?.checks }
        set { rare = Rare(latitude: latitude, longitude: longitude, checks: newValue, device: device) }
    }
    /// What the camera says it is over ONVIF (model, firmware, serial), as the registry last
    /// recorded it from the prober's `probe.onvif` results; absent until first seen.
    public var device: CameraDevice? {
        get { rare?.device }
        set { rare = Rare(latitude: latitude, longitude: longitude, checks: checks, device: newValue) }
    }
    public var createdAt: Date
    public var updatedAt: Date
    /// Optimistic-concurrency version, +1 on every change.
    public var version: Int
    /// The members most cameras leave unset, behind one reference (nil when all are unset).
    ///
    /// Why: inline they were 200 of the definition's 408 bytes (`checks` 73, `device` 89, the
    /// coordinates 32 with padding), and the prober holds one definition per camera: at 100,000
    /// cameras its held definitions were 46 MB of serve's live heap (jemalloc heap profile,
    /// 2026-12-02), each in jemalloc's 448-byte class; without them a definition is 208 bytes
    /// and its holder falls in the 224-byte class.
    private var rare: Rare?

    public init(id: String, name: String, address: String, hlsURL: String? = nil, site: String? = nil,
                location: String? = nil, latitude: Double? = nil, longitude: Double? = nil, group: String? = nil,
                tags: [String] = [], lineTeam: String? = nil, vendor: String? = nil, enabled: Bool = true,
                intervalSeconds: Int? = nil, hasCredentials: Bool = false, checks: CameraChecks? = nil, device: CameraDevice? = nil,
                createdAt: Date, updatedAt: Date, version: Int) {
        self.rare = Rare(latitude: latitude, longitude: longitude, checks: checks, device: device)
        self.id = id; self.name = name; self.address = address; self.hlsURL = hlsURL; self.site = site
        self.location = location; self.group = group
        self.tags = tags; self.lineTeam = lineTeam; self.vendor = vendor; self.enabled = enabled
        self.intervalSeconds = intervalSeconds; self.hasCredentials = hasCredentials
        self.createdAt = createdAt; self.updatedAt = updatedAt; self.version = version
    }

    /// ``CameraDefinition/rare``: immutable, so copies of a definition share it safely.
    private final class Rare: Sendable, Equatable {
        let latitude: Double?
        let longitude: Double?
        let checks: CameraChecks?
        let device: CameraDevice?

        /// nil when every member is unset.
        init?(latitude: Double?, longitude: Double?, checks: CameraChecks?, device: CameraDevice?) {
            guard latitude != nil || longitude != nil || checks != nil || device != nil else { return nil }
            self.latitude = latitude; self.longitude = longitude; self.checks = checks; self.device = device
        }

        static func == (lhs: Rare, rhs: Rare) -> Bool {
            lhs === rhs || (lhs.latitude == rhs.latitude && lhs.longitude == rhs.longitude && lhs.checks == rhs.checks && lhs.device == rhs.device)
        }
    }

    // Coded by hand only because `rare` is stored: the same keys, the same optionals left out,
    // as the synthesized conformance coded them.
    enum CodingKeys: String, CodingKey {
        case id, name, address, hlsURL, site, location, latitude, longitude, group, tags, lineTeam, vendor, enabled, intervalSeconds, hasCredentials,
             checks, device, createdAt, updatedAt, version
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(String.self, forKey: .id), name: try c.decode(String.self, forKey: .name),
                  address: try c.decode(String.self, forKey: .address), hlsURL: try c.decodeIfPresent(String.self, forKey: .hlsURL),
                  site: try c.decodeIfPresent(String.self, forKey: .site), location: try c.decodeIfPresent(String.self, forKey: .location),
                  latitude: try c.decodeIfPresent(Double.self, forKey: .latitude), longitude: try c.decodeIfPresent(Double.self, forKey: .longitude),
                  group: try c.decodeIfPresent(String.self, forKey: .group), tags: try c.decode([String].self, forKey: .tags),
                  lineTeam: try c.decodeIfPresent(String.self, forKey: .lineTeam), vendor: try c.decodeIfPresent(String.self, forKey: .vendor),
                  enabled: try c.decode(Bool.self, forKey: .enabled), intervalSeconds: try c.decodeIfPresent(Int.self, forKey: .intervalSeconds),
                  hasCredentials: try c.decode(Bool.self, forKey: .hasCredentials), checks: try c.decodeIfPresent(CameraChecks.self, forKey: .checks),
                  device: try c.decodeIfPresent(CameraDevice.self, forKey: .device), createdAt: try c.decode(Date.self, forKey: .createdAt),
                  updatedAt: try c.decode(Date.self, forKey: .updatedAt), version: try c.decode(Int.self, forKey: .version))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(name, forKey: .name); try c.encode(address, forKey: .address)
        try c.encodeIfPresent(hlsURL, forKey: .hlsURL); try c.encodeIfPresent(site, forKey: .site); try c.encodeIfPresent(location, forKey: .location)
        try c.encodeIfPresent(latitude, forKey: .latitude); try c.encodeIfPresent(longitude, forKey: .longitude)
        try c.encodeIfPresent(group, forKey: .group); try c.encode(tags, forKey: .tags); try c.encodeIfPresent(lineTeam, forKey: .lineTeam)
        try c.encodeIfPresent(vendor, forKey: .vendor); try c.encode(enabled, forKey: .enabled); try c.encodeIfPresent(intervalSeconds, forKey: .intervalSeconds)
        try c.encode(hasCredentials, forKey: .hasCredentials); try c.encodeIfPresent(checks, forKey: .checks); try c.encodeIfPresent(device, forKey: .device)
        try c.encode(createdAt, forKey: .createdAt); try c.encode(updatedAt, forKey: .updatedAt); try c.encode(version, forKey: .version)
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
    /// RTSP URL, ONVIF address and picture-check options.
    public var checks: CameraChecks?

    public init(id: String? = nil, name: String? = nil, address: String, hlsURL: String? = nil, username: String? = nil,
                password: String? = nil, site: String? = nil, location: String? = nil, latitude: Double? = nil,
                longitude: Double? = nil, group: String? = nil, tags: [String]? = nil, lineTeam: String? = nil,
                vendor: String? = nil, enabled: Bool? = nil, intervalSeconds: Int? = nil, checks: CameraChecks? = nil) {
        self.checks = checks
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

/// The checks a camera is registered for past ping and HLS.
public struct CameraChecks: Codable, Sendable, Equatable {
    /// `rtsp://host[:port]/path` without credentials (they are the camera's username/password).
    public var rtspURL: String?
    /// The ONVIF device service, `http(s)://host[:port]/onvif/device_service`, without credentials
    /// (authenticated calls use the camera's username/password, signed with WS-UsernameToken).
    public var onvifURL: String?
    /// Keep an ONVIF PullPoint subscription open on `onvifURL` for signal-loss and tamper events
    /// (default off: each one holds a long poll open on the camera).
    public var onvifEvents: Bool?
    /// Decode a few seconds now and then and report a black or frozen picture (default off).
    public var picture: Bool?
    /// The part of the frame the picture check looks at, e.g. without a burned-in clock.
    public var pictureCrop: PictureCrop?

    public init(rtspURL: String? = nil, onvifURL: String? = nil, onvifEvents: Bool? = nil, picture: Bool? = nil, pictureCrop: PictureCrop? = nil) {
        self.rtspURL = rtspURL; self.onvifURL = onvifURL; self.onvifEvents = onvifEvents; self.picture = picture; self.pictureCrop = pictureCrop
    }

    /// Whether nothing is set (stored and published as absent).
    public var isEmpty: Bool { rtspURL == nil && onvifURL == nil && onvifEvents != true && picture != true && pictureCrop == nil }

    /// A copy changed by `change`.
    public func with(_ change: (inout CameraChecks) -> Void) -> CameraChecks {
        var copy = self
        change(&copy)
        return copy
    }
}

/// A rectangle of the frame as fractions of its width and height (0…1), origin top left.
/// `x=0, y=0.1, width=1, height=0.9` drops the top tenth, where cameras burn in their clock.
public struct PictureCrop: Codable, Sendable, Equatable, CustomStringConvertible {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    /// Parses `x,y,width,height` (fractions, e.g. `0,0.1,1,0.9`); `nil` when it is not a
    /// rectangle inside the frame at least 5 % wide and high.
    public init?(parsing text: String) {
        let parts = text.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).compactMap { Double($0) }
        guard parts.count == 4 else { return nil }
        self.init(x: parts[0], y: parts[1], width: parts[2], height: parts[3])
        guard isValid else { return nil }
    }

    /// Inside the frame, at least 5 % of it in each direction.
    public var isValid: Bool {
        [x, y, width, height].allSatisfy(\.isFinite) && x >= 0 && y >= 0 && width >= 0.05 && height >= 0.05
            && x + width <= 1.0001 && y + height <= 1.0001
    }

    /// `x,y,width,height`.
    public var description: String { [x, y, width, height].map { String(format: "%g", $0) }.joined(separator: ",") }
}

/// What a camera reports about itself over ONVIF (`GetDeviceInformation`). A new serial number
/// means the camera was replaced; a new firmware version, that it was updated (or reset).
public struct CameraDevice: Codable, Sendable, Equatable {
    public var manufacturer: String?
    public var model: String?
    public var firmware: String?
    public var serial: String?
    public var hardwareID: String?
    /// When this identity (serial and firmware) was first seen.
    public var since: Date?

    public init(manufacturer: String? = nil, model: String? = nil, firmware: String? = nil, serial: String? = nil,
                hardwareID: String? = nil, since: Date? = nil) {
        self.manufacturer = manufacturer; self.model = model; self.firmware = firmware; self.serial = serial
        self.hardwareID = hardwareID; self.since = since
    }

    /// The same device as `other`, ignoring when it was seen.
    public func isSameIdentity(as other: CameraDevice) -> Bool {
        manufacturer == other.manufacturer && model == other.model && firmware == other.firmware && serial == other.serial
            && hardwareID == other.hardwareID
    }
}

/// `camera.device_changed` on `registry/device-changes`: the registry saw a camera report a new
/// serial number (replaced) or a new firmware version. The gateway pushes it live to the console's
/// event stream (`device_changed`); no notice is sent yet.
public struct CameraDeviceChange: Codable, Sendable, Equatable {
    /// What changed.
    public enum Change: String, Codable, Sendable, CaseIterable {
        /// Another serial number (or model) answers at this camera's address: the camera was replaced.
        case replaced = "REPLACED"
        /// The same camera reports another firmware version.
        case firmware = "FIRMWARE"
    }

    public var cameraID: String
    public var cameraName: String?
    public var address: String?
    public var site: String?
    /// The camera's vendor team id, if assigned.
    public var vendor: String?
    public var change: Change
    public var previous: CameraDevice
    public var current: CameraDevice
    /// When the prober saw the new identity.
    public var at: Date

    public init(cameraID: String, cameraName: String? = nil, address: String? = nil, site: String? = nil, vendor: String? = nil,
                change: Change, previous: CameraDevice, current: CameraDevice, at: Date) {
        self.cameraID = cameraID; self.cameraName = cameraName; self.address = address; self.site = site; self.vendor = vendor
        self.change = change; self.previous = previous; self.current = current; self.at = at
    }
}
