import CCTVContract
import Foundation

/// Budgets of an ONVIF PullPoint subscription.
package struct ONVIFEventLimits: Sendable {
    /// How long the subscription is asked to live (`InitialTerminationTime`, each `Renew`); it is
    /// renewed when less than half is left.
    package var lease: Duration
    /// How long one `PullMessages` may wait on the camera for events (its long poll).
    package var pullWait: Duration
    /// Messages taken per pull: a camera with many other events (motion …) cannot flood one reply.
    package var messageLimit: Int
    /// Budget of each call on top of its wait.
    package var callBudget: Duration
    /// Wait before subscribing again after a failure.
    package var retryAfter: Duration

    package init(lease: Duration = .seconds(60), pullWait: Duration = .seconds(10), messageLimit: Int = 16, callBudget: Duration = .seconds(5),
                retryAfter: Duration = .seconds(30)) {
        self.lease = lease; self.pullWait = pullWait; self.messageLimit = messageLimit; self.callBudget = callBudget; self.retryAfter = retryAfter
    }
}

/// One open PullPoint subscription: where to pull, and until when (the camera's time) it lives.
struct ONVIFPullPoint: Sendable, Equatable {
    var address: URL
    var terminationTime: Date
}

/// One event as the camera sent it, before it is stamped with the camera and prober.
struct ONVIFCameraEvent: Sendable, Equatable {
    var kind: ONVIFEventResult.Kind
    var topic: String
    var active: Bool
    var operation: String?
    var source: String?
    /// The camera's time of it.
    var cameraTime: Date?
}

/// Why an event-service call did not give what was asked.
struct ONVIFEventFailure: Error, Equatable, CustomStringConvertible {
    var reason: String
    var description: String
}

/// The event service's calls (ONVIF Events §9.1, WS-BaseNotification): create a PullPoint
/// subscription, pull its messages, renew it, end it. Every reply is bounded like the device
/// service's (``ONVIFCheckLimits/maxReplyBytes``, no DTD, bounded tree); every address the camera
/// hands back is re-aimed at the host and port of the registered ONVIF URL (its path kept): a camera
/// behind NAT reports its inside address, and a camera must not send the prober elsewhere.
extension ONVIFChecker {
    static let eventsNamespace = "http://www.onvif.org/ver10/events/wsdl"
    static let notificationNamespace = "http://docs.oasis-open.org/wsn/b-2"

    /// The event service's address from `GetCapabilities` (category `Events`), else the device service's.
    func eventService(device: URL, sign: () -> WSUsernameToken?, credentials: StreamCredentials?, budget: Duration) async -> URL {
        let body = """
            <tds:GetCapabilities xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><tds:Category>Events</tds:Category></tds:GetCapabilities>
            """
        guard case let .success(reply) = await call("GetCapabilities", url: device, body: SOAPMessage.request(body: body, token: sign(),
                                                                                                                action: "http://www.onvif.org/ver10/device/wsdl/GetCapabilities", to: nil),
                                                    token: nil, credentials: credentials, deadline: .now + budget),
              reply.fault == nil, let address = reply.envelope.find("Events")?.value("XAddr") else { return device }
        return Self.reaimed(address, at: device) ?? device
    }

    /// `CreatePullPointSubscription` asking for `lease`.
    func createPullPoint(service: URL, lease: Duration, now cameraNow: Date, sign: () -> WSUsernameToken?, credentials: StreamCredentials?,
                         budget: Duration) async throws(ONVIFEventFailure) -> ONVIFPullPoint {
        let body = """
            <tev:CreatePullPointSubscription xmlns:tev="\(Self.eventsNamespace)">\
            <tev:InitialTerminationTime>\(Self.duration(lease))</tev:InitialTerminationTime></tev:CreatePullPointSubscription>
            """
        let reply = try await eventCall("CreatePullPointSubscription", url: service, body: body,
                                        action: "\(Self.eventsNamespace)/EventPortType/CreatePullPointSubscriptionRequest", to: nil,
                                        sign: sign, credentials: credentials, deadline: .now + budget)
        guard let response = reply.find("CreatePullPointSubscriptionResponse"),
              let text = response.first("SubscriptionReference")?.value("Address"), let address = Self.reaimed(text, at: service) else {
            throw ONVIFEventFailure(reason: "onvif_malformed", description: "CreatePullPointSubscription answered without a subscription address")
        }
        let termination = response.value("TerminationTime").flatMap(Self.dateTime) ?? cameraNow.addingTimeInterval(lease.seconds)
        return ONVIFPullPoint(address: address, terminationTime: termination)
    }

    /// `PullMessages`: waits up to `wait` for at most `limit` messages; returns the signal-loss and
    /// tamper events among them (others are dropped) and the termination time if the reply says it.
    func pullMessages(_ pullPoint: ONVIFPullPoint, wait: Duration, limit: Int, sign: () -> WSUsernameToken?, credentials: StreamCredentials?,
                      budget: Duration) async throws(ONVIFEventFailure) -> (events: [ONVIFCameraEvent], terminationTime: Date?) {
        let body = """
            <tev:PullMessages xmlns:tev="\(Self.eventsNamespace)"><tev:Timeout>\(Self.duration(wait))</tev:Timeout>\
            <tev:MessageLimit>\(limit)</tev:MessageLimit></tev:PullMessages>
            """
        let reply = try await eventCall("PullMessages", url: pullPoint.address, body: body,
                                        action: "\(Self.eventsNamespace)/PullPointSubscription/PullMessagesRequest", to: pullPoint.address.absoluteString,
                                        sign: sign, credentials: credentials, deadline: .now + wait + budget)
        guard let response = reply.find("PullMessagesResponse") else {
            throw ONVIFEventFailure(reason: "onvif_malformed", description: "PullMessages answered without a PullMessagesResponse")
        }
        let events = response.all("NotificationMessage").prefix(limit).compactMap(Self.event)
        return (Array(events), response.value("TerminationTime").flatMap(Self.dateTime))
    }

    /// `Renew` for another `lease`; returns the new termination time (the camera's).
    func renew(_ pullPoint: ONVIFPullPoint, lease: Duration, now cameraNow: Date, sign: () -> WSUsernameToken?, credentials: StreamCredentials?,
               budget: Duration) async throws(ONVIFEventFailure) -> Date {
        let body = """
            <wsnt:Renew xmlns:wsnt="\(Self.notificationNamespace)"><wsnt:TerminationTime>\(Self.duration(lease))</wsnt:TerminationTime></wsnt:Renew>
            """
        let reply = try await eventCall("Renew", url: pullPoint.address, body: body, action: "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest",
                                        to: pullPoint.address.absoluteString, sign: sign, credentials: credentials, deadline: .now + budget)
        guard let response = reply.find("RenewResponse") else {
            throw ONVIFEventFailure(reason: "onvif_malformed", description: "Renew answered without a RenewResponse")
        }
        return response.value("TerminationTime").flatMap(Self.dateTime) ?? cameraNow.addingTimeInterval(lease.seconds)
    }

    /// `Unsubscribe`, best effort (the camera drops the subscription at its termination time anyway).
    func unsubscribe(_ pullPoint: ONVIFPullPoint, sign: () -> WSUsernameToken?, credentials: StreamCredentials?, budget: Duration) async -> Bool {
        let body = "<wsnt:Unsubscribe xmlns:wsnt=\"\(Self.notificationNamespace)\"/>"
        do {
            _ = try await eventCall("Unsubscribe", url: pullPoint.address, body: body,
                                    action: "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest",
                                    to: pullPoint.address.absoluteString, sign: sign, credentials: credentials, deadline: .now + budget)
            return true
        } catch {
            return false
        }
    }

    /// One call whose fault or failure is an ``ONVIFEventFailure``.
    private func eventCall(_ operation: String, url: URL, body: String, action: String, to: String?, sign: () -> WSUsernameToken?,
                           credentials: StreamCredentials?, deadline: ContinuousClock.Instant) async throws(ONVIFEventFailure) -> SOAPElement {
        switch await call(operation, url: url, body: SOAPMessage.request(body: body, token: sign(), action: action, to: to), action: action,
                          token: nil, credentials: credentials, deadline: deadline) {
        case let .failure(verdict):
            throw ONVIFEventFailure(reason: verdict.reason, description: verdict.detail ?? verdict.reason)
        case let .success(reply):
            if let fault = reply.fault {
                throw ONVIFEventFailure(reason: fault.isNotAuthorized ? "onvif_auth_rejected" : "onvif_fault", description: "\(operation): \(fault.description)")
            }
            return reply.envelope
        }
    }

    /// A signal-loss or tamper event from one `NotificationMessage`, `nil` for any other topic.
    static func event(_ notification: SOAPElement) -> ONVIFCameraEvent? {
        guard let topic = notification.value("Topic") else { return nil }
        let kind: ONVIFEventResult.Kind
        if topic.contains("SignalLoss") { kind = .signalLoss }
        else if topic.contains("TamperDetector") || topic.contains("GlobalSceneChange") { kind = .tamper }
        else { return nil }
        let outer = notification.first("Message")
        guard let message = outer?.first("Message") ?? outer else { return nil }
        func items(_ group: String) -> [(name: String, value: String)] {
            (message.first(group)?.children ?? []).filter { $0.name == "SimpleItem" }.compactMap { item in
                guard let name = item.attributes["Name"], let value = item.attributes["Value"] else { return nil }
                return (name, value)
            }
        }
        // `State` (SignalLoss, GlobalSceneChange), `IsTamper` (TamperDetector); else the only boolean given.
        let data = items("Data")
        guard let flag = (data.first { ["State", "IsTamper"].contains($0.name) } ?? data.first { Self.bool($0.value) != nil })
            .flatMap({ Self.bool($0.value) }) else { return nil }
        return ONVIFCameraEvent(kind: kind, topic: topic, active: flag, operation: message.attributes["PropertyOperation"],
                                source: items("Source").first?.value, cameraTime: message.attributes["UtcTime"].flatMap(Self.dateTime))
    }

    static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "1": true
        case "false", "0": false
        default: nil
        }
    }

    /// `text` (an address the camera gave) with the scheme, host and port of `base`; `nil` when it is no URL.
    static func reaimed(_ text: String, at base: URL) -> URL? {
        guard let given = URLComponents(string: text.trimmingCharacters(in: .whitespaces)), var target = URLComponents(url: base, resolvingAgainstBaseURL: false)
        else { return nil }
        target.path = given.path.isEmpty ? "/" : given.path
        target.query = given.query
        target.user = nil; target.password = nil; target.fragment = nil
        return target.url
    }

    /// `PT60S`: an xs:duration of whole seconds.
    static func duration(_ duration: Duration) -> String { "PT\(max(1, Int(duration.seconds.rounded())))S" }

    /// An xs:dateTime (`2026-12-01T00:20:00Z`, with or without fractional seconds).
    static func dateTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
