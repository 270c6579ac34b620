import CCTVContract
import Foundation

/// Time spent in each state over a period, from state changes: exact, not sampled. Pure.
package struct StateDurations: Sendable, Equatable, Codable {
    package var ok: TimeInterval = 0
    package var degraded: TimeInterval = 0
    package var lineDown: TimeInterval = 0
    package var cameraDown: TimeInterval = 0
    /// Not judged, or not monitored (before the camera existed, after it was removed).
    package var unknown: TimeInterval = 0

    package init() {}

    /// Time a verdict existed for (OK, degraded or down).
    package var monitored: TimeInterval { ok + degraded + lineDown + cameraDown }
    /// Availability: the share of monitored time not down (degraded counts as up), nil when never monitored.
    package var availability: Double? { monitored > 0 ? (monitored - lineDown - cameraDown) / monitored : nil }
    /// The share of monitored time without a line failure (the line team's part).
    package var lineAvailability: Double? { monitored > 0 ? (monitored - lineDown) / monitored : nil }
    /// The share of monitored time without a camera failure (the vendor's part).
    package var cameraAvailability: Double? { monitored > 0 ? (monitored - cameraDown) / monitored : nil }

    package mutating func add(_ other: StateDurations) {
        ok += other.ok; degraded += other.degraded; lineDown += other.lineDown; cameraDown += other.cameraDown; unknown += other.unknown
    }

    mutating func add(_ state: String, _ seconds: TimeInterval) {
        switch CameraState(rawValue: state) {
        case .ok: ok += seconds
        case .degraded: degraded += seconds
        case .lineDown: lineDown += seconds
        case .cameraDown, .pictureFault: cameraDown += seconds   // a useless picture is the camera's failure too
        case .unknown, .none: unknown += seconds
        }
    }

    /// Durations over `from..<to` from `changes` (time, state) sorted by time: the last change at
    /// or before `from` gives the state at the start; a state other than the camera states (e.g.
    /// `GONE`, the camera removed) counts as not monitored.
    package static func over(_ changes: [(at: Date, state: String)], from: Date, to: Date) -> StateDurations {
        var result = StateDurations()
        guard to > from else { return result }
        var state = "UNKNOWN"
        var cursor = from
        for change in changes {
            if change.at <= from { state = change.state; continue }
            if change.at >= to { break }
            result.add(state, change.at.timeIntervalSince(cursor))
            cursor = change.at
            state = change.state
        }
        result.add(state, to.timeIntervalSince(cursor))
        return result
    }
}
