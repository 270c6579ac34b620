/// `notification.ack` on `notifications/acks`: the notifier has durably stored the deliveries for
/// one issue event. Until it arrives, the issues service re-publishes that event, which closes
/// the window in which libmosquitto acknowledged a message to the broker before it was stored.
public struct NotificationAck: Codable, Sendable, Equatable {
    /// The envelope id of the issue event being acknowledged.
    public var eventID: String
    public var issueID: String

    public init(eventID: String, issueID: String) {
        self.eventID = eventID
        self.issueID = issueID
    }
}
