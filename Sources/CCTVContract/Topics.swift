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
    /// ONVIF check results (clock, device information) for one camera.
    public func onvif(_ cameraID: String) -> String { t("cctv/\(cameraID)/onvif") }
    /// Camera events from an ONVIF PullPoint subscription (signal loss, tamper) for one camera.
    public func onvifEvent(_ cameraID: String) -> String { t("cctv/\(cameraID)/onvif-event") }
    /// Retained derived status of one camera.
    public func status(_ cameraID: String) -> String { t("cctv/\(cameraID)/status") }

    public var allConfigs: String { t("cctv/+/config") }
    public var allICMP: String { t("cctv/+/icmp") }
    public var allHLS: String { t("cctv/+/hls") }
    public var allStatuses: String { t("cctv/+/status") }
    public var allRTSP: String { t("cctv/+/rtsp") }
    public var allPictures: String { t("cctv/+/picture") }
    public var allONVIF: String { t("cctv/+/onvif") }
    public var allONVIFEvents: String { t("cctv/+/onvif-event") }

    /// Registry commands from one MQTT account (request/response with an MQTT v5 response topic, or
    /// fire-and-forget): `registry/commands/{account}`. The broker's ACL lets each account publish
    /// only under its own name, so the last level tells the registry who asks.
    public func registryCommands(from account: String) -> String { t("registry/commands/\(account)") }
    /// Every account's registry commands (the registry's subscription).
    public var allRegistryCommands: String { t("registry/commands/+") }
    /// Stream-credential requests of one prober account: `registry/credentials/{account}`. Only
    /// prober accounts may publish here; the answer goes only to `replies/{account}`.
    public func credentialRequests(from account: String) -> String { t("registry/credentials/\(account)") }
    /// Every prober's credential requests (the registry's subscription).
    public var allCredentialRequests: String { t("registry/credentials/+") }
    /// Outcomes of fire-and-forget registry commands (those without a response topic).
    public var registryResults: String { t("registry/results") }
    /// Camera created / updated / deleted events.
    public var registryEvents: String { t("registry/events") }
    /// A camera reported a new serial number (replaced) or firmware over ONVIF (`camera.device_changed`).
    public var deviceChanges: String { t("registry/device-changes") }

    public var issueOpened: String { t("issues/opened") }
    public var issueUpdated: String { t("issues/updated") }
    public var issueResolved: String { t("issues/resolved") }
    public var allIssues: String { t("issues/+") }

    public var notificationSent: String { t("notifications/sent") }
    public var notificationFailed: String { t("notifications/failed") }
    public var allNotifications: String { t("notifications/+") }
    /// The notifier's application-level acknowledgement of an issue event (after its outbox commit).
    public var notificationAcks: String { t("notifications/acks") }

    /// Incident lifecycle commands (acknowledge, dispatch, mark fixed, close, note, silence) from one
    /// MQTT account: `commands/issues/{account}`.
    public func issueCommands(from account: String) -> String { t("commands/issues/\(account)") }
    /// Every account's incident commands (the issues service's subscription).
    public var allIssueCommands: String { t("commands/issues/+") }

    /// Notifier commands (contacts, test sends, channel health; request/response) sent by `account`:
    /// the broker lets each account publish only under its own name.
    public func notifierCommands(from account: String) -> String { t("commands/notifier/\(account)") }
    /// Every account's notifier commands (what the notifier reads).
    public var allNotifierCommands: String { t("commands/notifier/+") }
    /// The notifier's teams (retained `notifier.directory`): what cameras may name.
    public var notifierDirectory: String { t("notifier/directory") }
    /// Every notification channel's health (retained `notifier.health`).
    public var notifierHealth: String { t("notifier/health") }

    /// Retained `online` / `offline` of one service (also its last will).
    public func availability(_ service: String) -> String { t("services/\(service)/availability") }
    public var allAvailability: String { t("services/+/availability") }
    /// Retained ``ProberHeartbeat`` of one prober member (empty = it left); the fleet's membership.
    public func proberMember(_ member: String) -> String { t("services/prober/members/\(member)") }
    public var allProberMembers: String { t("services/prober/members/+") }
    /// The member name in a ``proberMember(_:)`` topic.
    public func proberMemberName(in topic: String) -> String? {
        let prefix = proberMember("")
        guard topic.hasPrefix(prefix) else { return nil }
        let name = topic.dropFirst(prefix.count)
        return name.isEmpty || name.contains("/") ? nil : String(name)
    }
    /// Retained marker of one service's retained state (a random token it renews after its
    /// retained messages are acknowledged): a service that finds another token (or none) after a
    /// reconnect knows the broker lost some of them and publishes them all again.
    public func retainedMarker(_ service: String) -> String { t("services/\(service)/retained") }

    /// Retained ``MonitorPulse``: whether check results still arrive (self-watch).
    public var monitorPulse: String { t("monitor/pulse") }
    /// ``MonitorChecked``: each camera's latest result time, for "last checked".
    public var monitorChecked: String { t("monitor/checked") }

    /// Prefix of the per-client reply topics used by request/response.
    public var replies: String { t("replies") }

    /// The account a command arrived from: the last level of `registry/commands/{account}`,
    /// `registry/credentials/{account}` or `commands/issues/{account}`.
    public func account(inCommandTopic topic: String) -> String? {
        guard let last = topic.split(separator: "/", omittingEmptySubsequences: false).last, !last.isEmpty else { return nil }
        return String(last)
    }

    /// Whether `name` can be an account level in these topics (one level: no `/`, `+`, `#`; 1–64 bytes).
    public static func isValidAccount(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && !name.contains(where: { $0 == "/" || $0 == "+" || $0 == "#" || $0.isWhitespace || $0.isNewline })
    }

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
