import CCTVContract
import Foundation

extension CameraStore {
    /// What recording one ONVIF identity did.
    package struct DeviceRecord: Sendable, Equatable {
        /// The camera as stored now (new version when the identity changed).
        package var camera: CameraDefinition
        /// The change operators are told about; `nil` on first sight or when nothing changed.
        package var change: CameraDeviceChange?
    }

    /// Records what camera `id` said it is over ONVIF (`probe.onvif` `device`). Nothing is written
    /// while the identity is the same (so a check every 5 minutes costs one read); a first sighting
    /// is stored quietly; another serial number or model is `REPLACED`, another firmware `FIRMWARE`.
    /// - Returns: `nil` when nothing changed or the camera is unknown.
    package func recordDevice(id: String, _ seen: CameraDevice, at: Date, now: Date = Date()) throws(ContractError) -> DeviceRecord? {
        try write { db -> DeviceRecord? in
            guard let camera = try Self.fetch(db, id: id) else { return nil }
            if let stored = camera.device, stored.isSameIdentity(as: seen) { return nil }
            var current = seen
            current.since = at
            var change: CameraDeviceChange?
            if let previous = camera.device, let kind = CameraDeviceChange.Change(from: previous, to: current) {
                change = CameraDeviceChange(cameraID: id, cameraName: camera.name, address: camera.address, site: camera.site, vendor: camera.vendor,
                                            change: kind, previous: previous, current: current, at: at)
            }
            let text = String(decoding: (try? JSONEncoder().encode(current)) ?? Data("{}".utf8), as: UTF8.self)
            try db.execute("UPDATE camera SET device = ?, updatedAt = ?, version = ? WHERE id = ?", text, now, camera.version + 1, id)
            guard let updated = try Self.fetch(db, id: id) else { return nil }
            return DeviceRecord(camera: updated, change: change)
        }
    }
}

extension CameraDeviceChange.Change {
    /// What changed from `old` to `new`: another serial (or model, or maker) is another camera;
    /// the same one with another firmware was updated; anything else (hardware id text) is no event.
    init?(from old: CameraDevice, to new: CameraDevice) {
        if old.serial != new.serial || old.model != new.model || old.manufacturer != new.manufacturer {
            self = .replaced
        } else if old.firmware != new.firmware {
            self = .firmware
        } else {
            return nil
        }
    }
}
