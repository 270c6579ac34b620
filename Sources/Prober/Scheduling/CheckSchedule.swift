import CCTVContract
import Foundation

/// The prober's plan: which camera is due when. Pure value; the service drives it with a clock.
///
/// New cameras get a random first slot within their interval so a fleet registered at once
/// spreads evenly instead of checking in one burst; afterwards each camera keeps its phase.
public struct CheckSchedule: Sendable {
    struct Entry: Sendable {
        var camera: CameraDefinition
        var due: Double
        var running: Bool
    }

    private(set) var entries: [String: Entry] = [:]
    public let defaultInterval: Double

    public init(defaultInterval: Double) { self.defaultInterval = defaultInterval }

    /// Number of cameras scheduled.
    public var count: Int { entries.count }

    /// Adds or replaces a camera. A changed address or interval is checked soon; a disabled
    /// camera is removed.
    public mutating func upsert(_ camera: CameraDefinition, now: Double, random: () -> Double = { Double.random(in: 0..<1) }) {
        guard camera.enabled else { entries[camera.id] = nil; return }
        if var entry = entries[camera.id] {
            let changed = entry.camera.address != camera.address || entry.camera.intervalSeconds != camera.intervalSeconds || entry.camera.hlsURL != camera.hlsURL
            entry.camera = camera
            if changed { entry.due = min(entry.due, now + 1) }
            entries[camera.id] = entry
        } else {
            entries[camera.id] = Entry(camera: camera, due: now + random() * interval(of: camera), running: false)
        }
    }

    /// Removes a camera (deleted or no longer ours).
    public mutating func remove(_ id: String) { entries[id] = nil }

    /// Cameras due at `now` that are not already being checked; marks them running.
    public mutating func takeDue(now: Double, limit: Int) -> [CameraDefinition] {
        var due: [CameraDefinition] = []
        for (id, entry) in entries where !entry.running && entry.due <= now {
            entries[id]?.running = true
            due.append(entry.camera)
            if due.count >= limit { break }
        }
        return due
    }

    /// Marks a check finished and plans the next one a whole interval after the previous slot
    /// (not after the finish) so the cadence does not drift; a slot missed entirely is skipped.
    public mutating func finished(_ id: String, now: Double) {
        guard var entry = entries[id] else { return }
        entry.running = false
        let interval = interval(of: entry.camera)
        entry.due += interval
        if entry.due < now { entry.due = now + interval * 0.1 }
        entries[id] = entry
    }

    /// Seconds until the earliest due camera (0 when one is due), or `nil` when none is scheduled.
    public func nextDue(now: Double) -> Double? {
        entries.values.filter { !$0.running }.map(\.due).min().map { max(0, $0 - now) }
    }

    func interval(of camera: CameraDefinition) -> Double {
        camera.intervalSeconds.map(Double.init) ?? defaultInterval
    }
}
