import Foundation

/// The versioned JSON envelope every event and command travels in:
/// `{"v":1,"type":"probe.icmp","id":"…","at":"2026-…Z","source":"prober","data":{…}}`.
///
/// `id` makes handlers idempotent (at-least-once delivery made effectively-once);
/// `at` orders events from one source.
public struct Envelope<Payload: Codable & Sendable>: Codable, Sendable {
    /// Contract version; this build reads and writes 1.
    public var v: Int
    /// What `data` is, e.g. `probe.icmp`.
    public var type: EventType
    /// Unique event id.
    public var id: String
    /// When the event happened at its source.
    public var at: Date
    /// Which service (or tool) produced it.
    public var source: String
    /// The payload.
    public var data: Payload

    public init(type: EventType, id: String = EventID.random(), at: Date = Date(), source: String, data: Payload) {
        self.v = Envelope.currentVersion
        self.type = type
        self.id = id
        self.at = at
        self.source = source
        self.data = data
    }

    /// The contract version this build speaks.
    public static var currentVersion: Int { 1 }
}

/// The envelope without its payload, read first to route a message by `type`.
public struct EnvelopeHeader: Codable, Sendable {
    public var v: Int
    public var type: String
    public var id: String
    public var at: Date
    public var source: String
}

/// Every `type` that appears in an envelope. The contract document lists each one.
public enum EventType: String, Codable, Sendable, CaseIterable {
    case cameraConfig = "camera.config"
    case cameraCreated = "camera.created"
    case cameraUpdated = "camera.updated"
    case cameraDeleted = "camera.deleted"
    case probeICMP = "probe.icmp"
    case probeHLS = "probe.hls"
    case probeRTSP = "probe.rtsp"
    case probePicture = "probe.picture"
    case probeONVIF = "probe.onvif"
    case probeONVIFEvent = "probe.onvif_event"
    case cameraDeviceChanged = "camera.device_changed"
    case cameraStatus = "camera.status"
    case issueOpened = "issue.opened"
    case issueUpdated = "issue.updated"
    case issueResolved = "issue.resolved"
    case notificationSent = "notification.sent"
    case notificationFailed = "notification.failed"
    case notificationAck = "notification.ack"
    case issueCommand = "issue.command"
    case issueReply = "issue.reply"
    case registryCommand = "registry.command"
    case registryReply = "registry.reply"
    case notifierCommand = "notifier.command"
    case notifierReply = "notifier.reply"
    case notifierDirectory = "notifier.directory"
    case notifierHealth = "notifier.health"
    case monitorPulse = "monitor.pulse"
    case monitorChecked = "monitor.checked"
    case proberHeartbeat = "prober.heartbeat"
}
