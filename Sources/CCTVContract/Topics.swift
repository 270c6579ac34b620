/// The one place that knows every topic string.
///
/// An optional `root` prefix lets several installations share one broker
/// (`root = "campus-a"` gives `campus-a/cctv/CAM-1/icmp`).
public struct Topics: Sendable, Equatable {
    /// The prefix without trailing slash; empty for none.
    public let root: String

    public init(root: String = "") {
        var trimmed = root
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = trimmed
    }

    private func t(_ path: String) -> String { root.isEmpty ? path : "\(root)/\(path)" }

    /// Retained camera definition; an empty retained payload is the deletion tombstone.
    public func config(_ cameraID: String) -> String { t("cctv/\(cameraID)/config") }
    /// ICMP check results for one camera.
    public func icmp(_ cameraID: String) -> String { t("cctv/\(cameraID)/icmp") }
    /// HLS check results for one camera.
    public func hls(_ cameraID: String) -> String { t("cctv/\(cameraID)/hls") }
    /// RTSP check results for one camera (cameras with an RTSP URL).
    public func rtsp(_ cameraID: String) -> String { t("cctv/\(cameraID)/rtsp") }
    /// Picture check results (black / frozen) for one camera.
    public func picture(_ cameraID: String) -> String { t("cctv/\(cameraID)/picture") }
    /// Retained derived status of one camera.
    public func status(_ cameraID: String) -> String { t("cctv/\(cameraID)/status") }

    public var allConfigs: String { t("cctv/+/config") }
    public var allICMP: String { t("cctv/+/icmp") }
    public var allHLS: String { t("cctv/+/hls") }
    public var allStatuses: String { t("cctv/+/status") }
    public var allRTSP: String { t("cctv/+/rtsp") }
    public var allPictures: String { t("cctv/+/picture") }

    /// Registry commands (request/response with MQTT v5 response topic, or fire-and-forget).
    public var registryCommands: String { t("registry/commands") }
    /// Outcomes of fire-and-forget registry commands (those without a response topic).
    public var registryResults: String { t("registry/results") }
    /// Camera created / updated / deleted events.
    public var registryEvents: String { t("registry/events") }

    public var issueOpened: String { t("issues/opened") }
    public var issueUpdated: String { t("issues/updated") }
    public var issueResolved: String { t("issues/resolved") }
    public var allIssues: String { t("issues/+") }

    public var notificationSent: String { t("notifications/sent") }
    public var notificationFailed: String { t("notifications/failed") }
    public var allNotifications: String { t("notifications/+") }
    /// The notifier's application-level acknowledgement of an issue event (after its outbox commit).
    public var notificationAcks: String { t("notifications/acks") }

    /// Incident lifecycle commands (acknowledge, dispatch, mark fixed, close, note, silence).
    public var issueCommands: String { t("commands/issues") }

    /// Retained `online` / `offline` of one service (also its last will).
    public func availability(_ service: String) -> String { t("services/\(service)/availability") }
    public var allAvailability: String { t("services/+/availability") }

    /// Prefix of the per-client reply topics used by request/response.
    public var replies: String { t("replies") }

    /// The camera id in a `cctv/{id}/…` topic, or `nil` when the topic is not one.
    public func cameraID(in topic: String) -> String? {
        var path = Substring(topic)
        if !root.isEmpty {
            guard path.hasPrefix(root + "/") else { return nil }
            path = path.dropFirst(root.count + 1)
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "cctv", !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }
}
