import Foundation
import Synchronization

/// Snapshot evidence on disk with a bounded retention: the newest `perCamera` frames of each
/// camera and at most `maxTotalBytes` in all (oldest first out), so a fleet of 10,000 cameras
/// checked every 15 minutes cannot fill the disk. The prober writes here (picture checks); the
/// gateway serves the frames to signed-in users and notices link to them
/// (`/api/cameras/{id}/snapshot`). Files are `{camera}-{milliseconds}.jpg` in one folder,
/// `{data-dir}/snapshots`, shared when both run in one installation.
package final class SnapshotStore: Sendable {
    package let folder: URL
    package let perCamera: Int
    package let maxTotalBytes: Int
    private let lock = Mutex(())

    package init(folder: URL, perCamera: Int = 3, maxTotalBytes: Int = 512 << 20) {
        self.folder = folder
        self.perCamera = max(1, perCamera)
        self.maxTotalBytes = max(1 << 20, maxTotalBytes)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// The folder of an installation's data directory.
    package convenience init(dataDir: String, perCamera: Int = 3) {
        self.init(folder: URL(fileURLWithPath: dataDir).appendingPathComponent("snapshots"), perCamera: perCamera)
    }

    /// A new file name for `camera` (camera ids are topic-safe: letters, digits, `.`, `_`, `-`).
    package func newFile(camera: String) -> URL {
        let stamp = Int(Date().timeIntervalSince1970 * 1000)
        return folder.appendingPathComponent("\(camera)-\(stamp).jpg")
    }

    /// Keeps `file` if ffmpeg wrote it, trims the camera's older frames and the folder's total;
    /// returns the kept file's name, or `nil`.
    package func keep(_ file: URL, camera: String) -> String? {
        lock.withLock { _ in
            guard let size = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? Int, size > 0 else {
                try? FileManager.default.removeItem(at: file)
                return nil
            }
            var all = files()
            let mine = all.filter { Self.camera(ofName: $0.name) == camera }.sorted { $0.name > $1.name }
            for old in mine.dropFirst(perCamera) { try? FileManager.default.removeItem(at: old.url) }
            all = files().sorted { $0.modified < $1.modified }
            var total = all.reduce(0) { $0 + $1.size }
            for old in all where total > maxTotalBytes && old.url != file {
                try? FileManager.default.removeItem(at: old.url)
                total -= old.size
            }
            return file.lastPathComponent
        }
    }

    /// The stored snapshot called `name`, or `nil` (names are checked: no path can escape the folder).
    package func file(named name: String) -> URL? {
        guard Self.camera(ofName: name) != nil else { return nil }
        let url = folder.appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// The newest stored frame of `camera`, or `nil` when none was taken (picture checks off).
    package func newest(camera: String) -> URL? {
        files().filter { Self.camera(ofName: $0.name) == camera }.max { Self.stamp(ofName: $0.name) < Self.stamp(ofName: $1.name) }?.url
    }

    /// The camera a file name belongs to: `{camera}-{digits}.jpg` (camera "CAM-1" does not own
    /// "CAM-1-2-1700000000000.jpg", which is camera "CAM-1-2"'s); `nil` for any other name.
    package static func camera(ofName name: String) -> String? {
        guard name.hasSuffix(".jpg"), !name.hasPrefix("."), !name.contains("/") else { return nil }
        let base = name.dropLast(4)
        guard let dash = base.lastIndex(of: "-") else { return nil }
        let digits = base[base.index(after: dash)...]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), dash > base.startIndex else { return nil }
        return String(base[..<dash])
    }

    static func stamp(ofName name: String) -> Int {
        Int(name.dropLast(4).split(separator: "-").last ?? "") ?? 0
    }

    private func files() -> [(url: URL, name: String, size: Int, modified: Date)] {
        let keys: [URLResourceKey] = [.fileSizeKey, .contentModificationDateKey]
        let urls = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: keys)) ?? []
        return urls.filter { $0.pathExtension == "jpg" }.map { url in
            let values = try? url.resourceValues(forKeys: Set(keys))
            return (url, url.lastPathComponent, values?.fileSize ?? 0, values?.contentModificationDate ?? .distantPast)
        }
    }
}
