import CCTVContract
import MQTTBus

/// What each MQTT account may publish and read: the broker's `acl_file`, generated from the roles
/// below so the private broker, the shipped `mosquitto/acl` and the README say the same thing.
///
/// Every account is named in the file with explicit topics (mosquitto's `pattern` lines would apply
/// to every account). Command topics end in the publishing account's name and each account may
/// publish only under its own, which is how the registry and the issues service know who asks.
package enum BrokerRole: String, CaseIterable, Sendable, Codable {
    case registry, prober, issues, notifier, gateway
    /// Another tool: registry commands (answered on its own reply topic), reads alerts and status.
    case integration
    /// Another tool that only reads alerts and status.
    case reader

    /// The roles `cctv-out mqtt-users add --role` accepts (the services' own accounts are made by `serve`).
    package static let forTools: [BrokerRole] = [.integration, .reader, .prober]
}

/// Which of a service's two broker connections an account is for (see ``ServiceBus``).
package enum ServiceConnection: String, Sendable, Codable {
    /// Subscriptions only: may read the service's topics, write nothing.
    case inbox
    /// Publishing, requests and the will: may write the service's topics and read its replies.
    case outbox

    /// The client id (and, on a locked-down broker, the account name) of `service`'s connection.
    package func clientID(instance: String, service: String) -> String {
        switch self {
        case .inbox: "\(instance)-\(service)"
        case .outbox: "\(instance)-\(service)-out"
        }
    }
}

/// One MQTT account and its role.
package struct BrokerAccount: Sendable, Equatable, Codable {
    package var name: String
    package var role: BrokerRole
    /// The service name in `services/{service}/availability` (services only).
    package var service: String?
    /// For a service: which of its two connections this account is (tools have one connection).
    package var connection: ServiceConnection?

    package init(name: String, role: BrokerRole, service: String? = nil, connection: ServiceConnection? = nil) {
        self.name = name; self.role = role; self.service = service; self.connection = connection
    }

    /// The two accounts of one service: `{instance}-{service}` (inbox) and `{instance}-{service}-out`.
    package static func service(_ service: String, role: BrokerRole, instance: String) -> [BrokerAccount] {
        [ServiceConnection.inbox, .outbox].map {
            BrokerAccount(name: $0.clientID(instance: instance, service: service), role: role, service: service, connection: $0)
        }
    }

    /// The five services' accounts of an instance, two each (each the connection's client id).
    package static func services(instance: String) -> [BrokerAccount] {
        [BrokerRole.registry, .prober, .issues, .notifier, .gateway].flatMap { service($0.rawValue, role: $0, instance: instance) }
    }
}

package enum BrokerACL {
    /// One ACL line: `read`, `write` or `readwrite`, and a topic (filters allowed).
    package struct Rule: Sendable, Equatable {
        package var access: String
        package var topic: String
    }

    /// The rules of one account. A service's inbox account gets the role's reads (its
    /// subscriptions); its outbox account gets the writes, its reply topic and its own
    /// `services/{service}/…` topics.
    package static func rules(for account: BrokerAccount, topics: Topics) -> [Rule] {
        let all = roleRules(for: account, topics: topics)
        let replies = topics.replies + "/"
        switch account.connection {
        case nil: return all
        case .inbox: return all.filter { $0.access == "read" && !$0.topic.hasPrefix(replies) }
        case .outbox: return all.filter { $0.access != "read" || $0.topic.hasPrefix(replies) }
        }
    }

    private static func roleRules(for account: BrokerAccount, topics: Topics) -> [Rule] {
        func read(_ topic: String) -> Rule { Rule(access: "read", topic: topic) }
        func write(_ topic: String) -> Rule { Rule(access: "write", topic: topic) }
        let own = account.name
        let availability = Rule(access: "readwrite", topic: topics.availability(account.service ?? account.role.rawValue))
        // Written after its retained messages, read back after every connect (RetainedStateMarker).
        let marker = Rule(access: "readwrite", topic: topics.retainedMarker(account.service ?? account.role.rawValue))
        let alertsAndStatus = [read(topics.allIssues), read(topics.allStatuses), read(topics.allAvailability)]
        switch account.role {
        case .registry:
            return [read(topics.allRegistryCommands), read(topics.allCredentialRequests), read(topics.notifierDirectory),
                    // ONVIF identities (model, firmware, serial) are stored on the camera; a change is an event.
                    read(topics.allONVIF), write(topics.deviceChanges),
                    write(topics.allConfigs), write(topics.registryEvents), write(topics.registryResults),
                    write(topics.replies + "/+"), availability, marker]
        case .prober:
            // Membership: every prober reads all heartbeats and writes (and clears) its own.
            return [read(topics.allConfigs), write(topics.allICMP), write(topics.allHLS), write(topics.allRTSP), write(topics.allPictures),
                    write(topics.allONVIF), write(topics.allONVIFEvents), write(topics.credentialRequests(from: own)), read(topics.replies + "/" + own),
                    read(topics.allProberMembers), write(topics.allProberMembers), availability]
        case .issues:
            return [read(topics.allConfigs), read(topics.allICMP), read(topics.allHLS), read(topics.allRTSP), read(topics.allPictures),
                    write(topics.allStatuses),
                    write(topics.issueOpened), write(topics.issueUpdated), write(topics.issueResolved),
                    read(topics.allIssueCommands), write(topics.replies + "/+"), read(topics.notificationAcks),
                    // Self-watch: the results arriving (retained) and each camera's last check.
                    write(topics.monitorPulse), write(topics.monitorChecked), availability, marker]
        case .notifier:
            // Camera notices: whose camera (definitions), its clock (ONVIF results), a new device.
            // Self-watch: every service's availability and the results arriving (operators' notices).
            return [read(topics.allAvailability), read(topics.monitorPulse), read(topics.allIssues), read(topics.allConfigs), read(topics.allONVIF), read(topics.allONVIFEvents), read(topics.deviceChanges),
                    write(topics.notificationSent), write(topics.notificationFailed),
                    write(topics.notificationAcks), read(topics.allNotifierCommands), write(topics.replies + "/+"),
                    write(topics.notifierDirectory), write(topics.notifierHealth), availability]
        case .gateway:
            return [read(topics.allConfigs), read(topics.allStatuses), read(topics.allIssues), read(topics.notificationSent),
                    read(topics.notificationFailed), read(topics.allAvailability), write(topics.registryCommands(from: own)),
                    write(topics.issueCommands(from: own)), read(topics.replies + "/" + own),
                    // The console: history from the check results, the notifier's teams and channel health, who is told.
                    read(topics.allICMP), read(topics.allHLS), read(topics.notifierDirectory), read(topics.notifierHealth),
                    read(topics.deviceChanges), read(topics.allONVIF),
                    // Self-watch: "monitoring stalled" and "last checked" come from the issues service.
                    read(topics.monitorPulse), read(topics.monitorChecked),
                    write(topics.notifierCommands(from: own)), availability]
        case .integration:
            return [write(topics.registryCommands(from: own)), read(topics.replies + "/" + own), read(topics.registryResults)] + alertsAndStatus
        case .reader:
            return alertsAndStatus
        }
    }

    /// The `acl_file` for `accounts` (anonymous clients get nothing: they are refused anyway).
    package static func render(_ accounts: [BrokerAccount], topics: Topics) -> String {
        var text = "# Generated by cctv-out: one MQTT account per service and tool, each with exactly its topics.\n"
        text += "# Roles and topics: README \"Broker accounts\". Command topics end in the publishing account's name.\n"
        for account in accounts {
            text += "\nuser \(account.name)\n"
            for rule in rules(for: account, topics: topics) { text += "topic \(rule.access) \(rule.topic)\n" }
        }
        return text
    }

    /// Whether `account` may read every topic `filter` matches. mosquitto grants a subscription
    /// its ACL does not cover and then silently delivers nothing on it, so the services check
    /// their own subscriptions with this before subscribing (``ServiceBus``).
    package static func mayRead(_ filter: String, account: BrokerAccount, topics: Topics) -> Bool {
        rules(for: account, topics: topics).contains { $0.access != "write" && TopicFilter.lies(filter, within: $0.topic) }
    }

    /// Whether `name` can be an MQTT account here: it is written into the ACL file and into topics.
    package static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return (1...64).contains(bytes.count) && bytes.allSatisfy {
            (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 || $0 == 46 || $0 == 95
        }
    }
}
