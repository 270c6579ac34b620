/// The notifier's application-level acknowledgement (`notification.ack` on `notifications/acks`):
/// the deliveries for the issue event `eventID` are committed to the notifier's durable outbox, so
/// the issues service may stop republishing that event. libmosquitto PUBACKs a QoS 1 message before
/// the handler runs, so the broker's acknowledgement alone does not prove the event was kept.
public struct NotificationAck: Codable, Sendable, Equatable {
    /// The envelope id of the acknowledged issue event.
    public var eventID: String
    /// The incident that event is about.
    public var issueID: String

    public init(eventID: String, issueID: String) {
        self.eventID = eventID
        self.issueID = issueID
    }
}
