import CCTVContract

/// Who hears about an incident event. Pure, so the routing rules are tested without I/O.
public struct NotificationRouting: Sendable, Equatable {
    /// Webhook URL per party; `nil` = not configured.
    public var lineTeam: String?
    public var vendor: String?
    public var operators: String?

    public init(lineTeam: String? = nil, vendor: String? = nil, operators: String? = nil) {
        self.lineTeam = lineTeam; self.vendor = vendor; self.operators = operators
    }

    /// Targets for `event` about `issue`. A recovery goes to everyone who was told about the
    /// incident (`alreadyTold`) plus operators, even if routing changed since: no orphaned alert.
    public func targets(for event: String, issue: IssueRecord, alreadyTold: Set<String>) -> [String] {
        var result: [String] = []
        func add(_ target: String?) { if let target, !target.isEmpty, !result.contains(target) { result.append(target) } }
        switch event {
        case "resolved":
            alreadyTold.sorted().forEach(add)
            add(operators)
        default:
            add(issue.responsible == .cameraVendor ? vendor : lineTeam)
            add(operators)
        }
        return result
    }
}
