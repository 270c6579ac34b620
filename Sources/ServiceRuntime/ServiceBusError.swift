/// A service's use of the broker that cannot work.
package enum ServiceBusError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The service subscribes to `filter`, which its own ACL role (``BrokerACL``) does not let it
    /// read: mosquitto would grant the subscription and deliver nothing on it (how the notifier's
    /// self-watch went deaf to `monitor/pulse` and every availability on the locked-down broker).
    case subscriptionNotInACL(account: String, filter: String)

    package var description: String {
        switch self {
        case let .subscriptionNotInACL(account, filter):
            "the broker ACL of \(account) does not let it read \(filter): add the read to its role in BrokerACL (a bug, not a setting)"
        }
    }
}
