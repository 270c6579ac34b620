import CCTVContract
import Foundation

/// The camera a notice is about, as its definition (`cctv/{id}/config`) or the registry's
/// `camera.device_changed` names it.
public struct NoticeCamera: Sendable, Equatable {
    public var id: String
    public var name: String?
    public var address: String?
    public var site: String?
    /// The camera's vendor team id, if assigned.
    public var vendor: String?

    public init(id: String, name: String? = nil, address: String? = nil, site: String? = nil, vendor: String? = nil) {
        self.id = id; self.name = name; self.address = address; self.site = site; self.vendor = vendor
    }

    public init(_ definition: CameraDefinition) {
        self.init(id: definition.id, name: definition.name, address: definition.address, site: definition.site, vendor: definition.vendor)
    }
}

/// A one-off notice about a camera that works but is not what it should be: its clock is off (and
/// later right again), or it reports another serial number (replaced) or firmware. Not an
/// incident: nothing is down, nobody acknowledges it, it neither escalates nor repeats — it is
/// told once per change to the camera's vendor team and the operators.
public struct CameraNotice: Sendable, Equatable {
    /// What the notice says; the raw value is the delivery's `event`.
    public enum Subject: String, Sendable, CaseIterable {
        /// The camera's clock went beyond the limit (`probe.onvif` `clockSkewed`).
        case clockSkewed = "clock_skewed"
        /// The clock told off is right again.
        case clockFixed = "clock_fixed"
        /// Another serial number or model answers at the camera's address.
        case deviceReplaced = "device_replaced"
        /// The same camera runs another firmware version.
        case firmwareChanged = "firmware_changed"

        /// `clock` or `device`: the notices of one subject share an `issueID` per camera.
        var topic: String {
            switch self {
            case .clockSkewed, .clockFixed: "clock"
            case .deviceReplaced, .firmwareChanged: "device"
            }
        }
    }

    public var subject: Subject
    public var camera: NoticeCamera
    /// When the prober saw it.
    public var at: Date
    /// Clock: since when it has been off (first skewed check).
    public var since: Date?
    /// Clock: the camera's clock minus ours, seconds, at `at`.
    public var skewSeconds: Double?
    /// Clock: the limit it was judged against.
    public var limitSeconds: Double?
    /// Device: what it was and what it is now.
    public var previous: CameraDevice?
    public var current: CameraDevice?
    /// One id per change: a redelivered result or event queues nothing new.
    public var eventID: String

    /// The delivery's `issueID`: `camera:<id>:clock` or `camera:<id>:device`.
    public var issueID: String { "camera:\(camera.id):\(subject.topic)" }

    /// The notice of the registry's `camera.device_changed` (envelope id `eventID`).
    public init(_ change: CameraDeviceChange, eventID: String) {
        self.subject = change.change == .replaced ? .deviceReplaced : .firmwareChanged
        self.camera = NoticeCamera(id: change.cameraID, name: change.cameraName, address: change.address, site: change.site, vendor: change.vendor)
        self.at = change.at
        self.previous = change.previous
        self.current = change.current
        self.eventID = "device:\(eventID)"
    }

    init(clock subject: Subject, camera: NoticeCamera, result: ONVIFResult, since: Date) {
        self.subject = subject
        self.camera = camera
        self.at = result.startedAt
        self.since = since
        self.skewSeconds = result.clockSkewSeconds
        self.limitSeconds = result.clockSkewLimitSeconds
        self.eventID = "clock:\(camera.id):\(subject.rawValue):\(Int(since.timeIntervalSince1970))"
    }
}

/// When a camera's clock is told off and when right again: once each, not on every check.
/// Pure: `(told, result) -> (told, notice?)`; the caller keeps `told` (durably, so the "fixed"
/// notice still goes after a restart).
///
/// * A check that read the clock and judged it skewed, while nothing is told: "clock off".
/// * A clock told off is "fixed" only once it is within **half** the limit: a clock drifting
///   around the limit (10.2 s, 9.8 s, 10.1 s … the reading carries the round trip and a
///   truncated second) would otherwise be told off and fixed on alternate checks; a clock set by
///   NTP comes back to about 0 s.
/// * A check that did not read the clock (unreachable, refused) says nothing about it; a result
///   older than the skew told says nothing either (results may be re-ordered).
public enum ClockNoticeRule {
    /// A skewed clock that was told, kept until it is told fixed.
    public struct Told: Sendable, Equatable {
        /// The first skewed check.
        public var since: Date
        public var skewSeconds: Double

        public init(since: Date, skewSeconds: Double) {
            self.since = since; self.skewSeconds = skewSeconds
        }
    }

    public static func observe(_ result: ONVIFResult, told: Told?, camera: NoticeCamera) -> (Told?, CameraNotice?) {
        guard let skew = result.clockSkewSeconds, let skewed = result.clockSkewed else { return (told, nil) }
        if let told {
            guard result.startedAt > told.since, !skewed else { return (told, nil) }
            let limit = result.clockSkewLimitSeconds ?? 0
            guard abs(skew) <= limit / 2 else { return (told, nil) }
            return (nil, CameraNotice(clock: .clockFixed, camera: camera, result: result, since: told.since))
        }
        guard skewed else { return (nil, nil) }
        return (Told(since: result.startedAt, skewSeconds: skew), CameraNotice(clock: .clockSkewed, camera: camera, result: result, since: result.startedAt))
    }
}
