import Foundation

/// Camera definitions written and read by hand (see ``ContractJSONWriter`` and
/// ``ContractJSONReader``): the keys in sorted order, absent optionals left out, as their `Codable`
/// encoding writes them; read field by field as their `Codable` decoding reads them, or declined.
///
/// Why: a 100,000-camera import publishes every definition once (the registry encodes it), the
/// gateway encodes it again for its read store, and the services of `serve` decode it (once, shared
/// by ``DefinitionReader``). While the gateway caught up with such an import, `JSONEncoder` was
/// 12.7 % and `JSONDecoder` 8.8 % of serve's samples (`perf`, `scripts/bench-import.sh 100000`,
/// 2026-12-02), on a machine the catch-up keeps busy.
extension CameraDefinition: ContractJSONWritable {
    public func writeJSON(to w: inout ContractJSONWriter) {
        w.beginObject()
        w.field("address", address); w.field("checks", checks); w.field("createdAt", createdAt); w.field("device", device)
        w.field("enabled", enabled); w.field("group", group); w.field("hasCredentials", hasCredentials); w.field("hlsURL", hlsURL)
        w.field("id", id); w.field("intervalSeconds", intervalSeconds); w.field("latitude", latitude); w.field("lineTeam", lineTeam)
        w.field("location", location); w.field("longitude", longitude); w.field("name", name); w.field("site", site); w.field("tags", tags)
        w.field("updatedAt", updatedAt); w.field("vendor", vendor); w.field("version", version)
        w.endObject()
    }
}

extension CameraChecks: ContractJSONWritable {
    public func writeJSON(to w: inout ContractJSONWriter) {
        w.beginObject()
        w.field("onvifEvents", onvifEvents); w.field("onvifURL", onvifURL); w.field("picture", picture); w.field("pictureCrop", pictureCrop)
        w.field("rtspURL", rtspURL)
        w.endObject()
    }
}

extension PictureCrop: ContractJSONWritable {
    public func writeJSON(to w: inout ContractJSONWriter) {
        w.beginObject()
        w.field("height", height); w.field("width", width); w.field("x", x); w.field("y", y)
        w.endObject()
    }
}

extension CameraDevice: ContractJSONWritable {
    public func writeJSON(to w: inout ContractJSONWriter) {
        w.beginObject()
        w.field("firmware", firmware); w.field("hardwareID", hardwareID); w.field("manufacturer", manufacturer); w.field("model", model)
        w.field("serial", serial); w.field("since", since)
        w.endObject()
    }
}

extension CameraDefinition: ContractJSONReadable {
    enum ContractKey: Int, ContractJSONKey {
        case id, name, address, hlsURL, site, location, latitude, longitude, group, tags, lineTeam, vendor, enabled, intervalSeconds, hasCredentials,
             checks, device, createdAt, updatedAt, version
        static let table = ContractJSONKeyTable(Self.self)
    }

    init?(contractJSON f: ContractJSONReader.Fields<ContractKey>) {
        guard let id = f.string(.id), let name = f.string(.name), let address = f.string(.address), let hlsURL = f.optional(.hlsURL, f.string),
              let site = f.optional(.site, f.string), let location = f.optional(.location, f.string), let latitude = f.optional(.latitude, f.double),
              let longitude = f.optional(.longitude, f.double), let group = f.optional(.group, f.string), let tags = f.strings(.tags),
              let lineTeam = f.optional(.lineTeam, f.string), let vendor = f.optional(.vendor, f.string), let enabled = f.bool(.enabled),
              let intervalSeconds = f.optional(.intervalSeconds, f.int), let hasCredentials = f.bool(.hasCredentials),
              let checks = f.optional(.checks, { f.nested($0, as: CameraChecks.self) }), let device = f.optional(.device, { f.nested($0, as: CameraDevice.self) }),
              let createdAt = f.date(.createdAt), let updatedAt = f.date(.updatedAt), let version = f.int(.version)
        else { return nil }
        self.init(id: id, name: name, address: address, hlsURL: hlsURL, site: site, location: location, latitude: latitude, longitude: longitude,
                  group: group, tags: tags, lineTeam: lineTeam, vendor: vendor, enabled: enabled, intervalSeconds: intervalSeconds,
                  hasCredentials: hasCredentials, checks: checks, device: device, createdAt: createdAt, updatedAt: updatedAt, version: version)
    }
}

extension CameraChecks: ContractJSONReadable {
    enum ContractKey: Int, ContractJSONKey {
        case rtspURL, onvifURL, onvifEvents, picture, pictureCrop
        static let table = ContractJSONKeyTable(Self.self)
    }

    init?(contractJSON f: ContractJSONReader.Fields<ContractKey>) {
        guard let rtspURL = f.optional(.rtspURL, f.string), let onvifURL = f.optional(.onvifURL, f.string), let onvifEvents = f.optional(.onvifEvents, f.bool),
              let picture = f.optional(.picture, f.bool), let pictureCrop = f.optional(.pictureCrop, { f.nested($0, as: PictureCrop.self) })
        else { return nil }
        self.init(rtspURL: rtspURL, onvifURL: onvifURL, onvifEvents: onvifEvents, picture: picture, pictureCrop: pictureCrop)
    }
}

extension PictureCrop: ContractJSONReadable {
    enum ContractKey: Int, ContractJSONKey {
        case x, y, width, height
        static let table = ContractJSONKeyTable(Self.self)
    }

    init?(contractJSON f: ContractJSONReader.Fields<ContractKey>) {
        guard let x = f.double(.x), let y = f.double(.y), let width = f.double(.width), let height = f.double(.height) else { return nil }
        self.init(x: x, y: y, width: width, height: height)
    }
}

extension CameraDevice: ContractJSONReadable {
    enum ContractKey: Int, ContractJSONKey {
        case manufacturer, model, firmware, serial, hardwareID, since
        static let table = ContractJSONKeyTable(Self.self)
    }

    init?(contractJSON f: ContractJSONReader.Fields<ContractKey>) {
        guard let manufacturer = f.optional(.manufacturer, f.string), let model = f.optional(.model, f.string), let firmware = f.optional(.firmware, f.string),
              let serial = f.optional(.serial, f.string), let hardwareID = f.optional(.hardwareID, f.string), let since = f.optional(.since, f.date)
        else { return nil }
        self.init(manufacturer: manufacturer, model: model, firmware: firmware, serial: serial, hardwareID: hardwareID, since: since)
    }
}
