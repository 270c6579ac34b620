import CCTVContract
import Foundation

/// The camera a notice is about, as its definition (`cctv/{id}/config`) or the registry's
/// `camera.device_changed` names it.
package struct NoticeCamera: Sendable, Equatable {
    package var id: String
    package var name: String?
    package var address: String?
    package var site: String?
    /// The camera's vendor team id, if assigned.
    package var vendor: String?

    package init(id: String, name: String? = nil, address: String? = nil, site: String? = nil, vendor: String? = nil) {
        self.id = id; self.name = name; self.address = address; self.site = site; self.vendor = vendor
    }

    package init(_ definition: CameraDefinition) {
        self.init(id: definition.id, name: definition.name, address: definition.address, site: definition.site, vendor: definition.vendor)
    }
}

/// A one-off notice about a camera that works but is not what it should be: its clock is off (and
/// later right again), or it reports another serial number (replaced) or firmware. Not an
/// incident: nothing is down, nobody acknowledges it, it neither escalates nor repeats — it is
/// told once per change to the camera's vendor team and the operators.
package struct CameraNotice: Sendable, Equatable {
    /// What the notice says; the raw value is the delivery's `event`.
    package enum Subject: String, Sendable, CaseIterable {
        /// The camera's clock went beyond the limit (`probe.onvif` `clockSkewed`).
        case clockSkewed = "clock_skewed"
        /// The clock told off is right again.
        case clockFixed = "clock_fixed"
        /// Another serial number or model answers at the camera's address.
        case deviceReplaced = "device_replaced"
        /// The same camera runs another firmware version.
        case firmwareChanged = "firmware_changed"
        /// The camera reported its video signal lost (`probe.onvif_event` `SIGNAL_LOSS`, active).
        case signalLost = "signal_lost"
        /// The signal told lost is back.
        case signalBack = "signal_back"
        /// The camera reported tampering (`probe.onvif_event` `TAMPER`, active).
        case tampered = "tampered"
        /// The tampering told is over.
        case tamperCleared = "tamper_cleared"

        /// `clock`, `device`, `signal` or `tamper`: the notices of one subject share an `issueID`
        /// per camera, and a condition told (clock, signal, tamper) is kept under it.
        var topic: String {
            switch self {
            case .clockSkewed, .clockFixed: "clock"
            case .deviceReplaced, .firmwareChanged: "device"
            case .signalLost, .signalBack: "signal"
            case .tampered, .tamperCleared: "tamper"
            }
        }

        /// Whether it starts a condition (kept until its end is told), ends one, or neither.
        var condition: ConditionEdge? {
            switch self {
            case .clockSkewed, .signalLost, .tampered: .starts
            case .clockFixed, .signalBack, .tamperCleared: .ends
            case .deviceReplaced, .firmwareChanged: nil
            }
        }
    }

    enum ConditionEdge { case starts, ends }

    package var subject: Subject
    package var camera: NoticeCamera
    /// When the prober saw it.
    package var at: Date
    /// Clock: since when it has been off (first skewed check).
    package var since: Date?
    /// Clock: the camera's clock minus ours, seconds, at `at`.
    package var skewSeconds: Double?
    /// Clock: the limit it was judged against.
    package var limitSeconds: Double?
    /// Device: what it was and what it is now.
    package var previous: CameraDevice?
    package var current: CameraDevice?
    /// Event: the ONVIF topic and source, e.g. `tns1:VideoSource/SignalLoss`, `VideoSource_1`.
    package var eventTopic: String?
    package var eventSource: String?
    /// One id per change: a redelivered result or event queues nothing new.
    package var eventID: String

    /// The delivery's `issueID`: `camera:<id>:clock` or `camera:<id>:device`.
    package var issueID: String { "camera:\(camera.id):\(subject.topic)" }

    /// The notice of the registry's `camera.device_changed` (envelope id `eventID`).
    package init(_ change: CameraDeviceChange, eventID: String) {
        self.subject = change.change == .replaced ? .deviceReplaced : .firmwareChanged
        self.camera = NoticeCamera(id: change.cameraID, name: change.cameraName, address: change.address, site: change.site, vendor: change.vendor)
        self.at = change.at
        self.previous = change.previous
        self.current = change.current
        self.eventID = "device:\(eventID)"
    }

    /// A notice that starts or ends a condition (clock, signal, tamper) that began at `since`:
    /// one event id per condition episode and direction.
    private init(condition subject: Subject, camera: NoticeCamera, at: Date, since: Date) {
        self.subject = subject
        self.camera = camera
        self.at = at
        self.since = since
        self.eventID = "\(subject.topic):\(camera.id):\(subject.rawValue):\(Int(since.timeIntervalSince1970))"
    }

    init(clock subject: Subject, camera: NoticeCamera, result: ONVIFResult, since: Date) {
        self.init(condition: subject, camera: camera, at: result.startedAt, since: since)
        self.skewSeconds = result.clockSkewSeconds
        self.limitSeconds = result.clockSkewLimitSeconds
    }

    init(event subject: Subject, camera: NoticeCamera, result: ONVIFEventResult, since: Date) {
        self.init(condition: subject, camera: camera, at: result.at, since: since)
        self.eventTopic = result.topic
        self.eventSource = result.source
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
package enum ClockNoticeRule {
    package static func observe(_ result: ONVIFResult, told: ToldCondition?, camera: NoticeCamera) -> (ToldCondition?, CameraNotice?) {
        guard let skew = result.clockSkewSeconds, let skewed = result.clockSkewed else { return (told, nil) }
        if let told {
            guard result.startedAt > told.since, !skewed else { return (told, nil) }
            let limit = result.clockSkewLimitSeconds ?? 0
            guard abs(skew) <= limit / 2 else { return (told, nil) }
            return (nil, CameraNotice(clock: .clockFixed, camera: camera, result: result, since: told.since))
        }
        guard skewed else { return (nil, nil) }
        return (ToldCondition(since: result.startedAt, value: skew), CameraNotice(clock: .clockSkewed, camera: camera, result: result, since: result.startedAt))
    }
}

/// A condition told about a camera (its clock off, its signal lost, tampering), kept until its end
/// is told.
package struct ToldCondition: Sendable, Equatable {
    /// When it began (the first check or event that showed it).
    package var since: Date
    /// Clock: the skew told, seconds; otherwise 1.
    package var value: Double

    package init(since: Date, value: Double = 1) {
        self.since = since; self.value = value
    }
}

/// When a camera's ONVIF events (signal loss, tamper) are told: once when the condition starts,
/// once when it ends, whatever the camera repeats — a new subscription reports the current state
/// again (`Initialized`), and a camera may send the same state more than once. An end older than
/// the start told says nothing (events may be re-ordered).
package enum ONVIFEventNoticeRule {
    package static func observe(_ event: ONVIFEventResult, told: ToldCondition?, camera: NoticeCamera) -> (ToldCondition?, CameraNotice?) {
        let (starts, ends): (CameraNotice.Subject, CameraNotice.Subject) = switch event.kind {
        case .signalLoss: (.signalLost, .signalBack)
        case .tamper: (.tampered, .tamperCleared)
        }
        switch (event.active, told) {
        case (true, nil):
            return (ToldCondition(since: event.at), CameraNotice(event: starts, camera: camera, result: event, since: event.at))
        case let (false, told?) where event.at >= told.since:
            return (nil, CameraNotice(event: ends, camera: camera, result: event, since: told.since))
        default:
            return (told, nil)
        }
    }
}
