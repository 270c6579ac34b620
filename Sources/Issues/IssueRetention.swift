import ServiceRuntime

/// What expires in the issues service's store: resolved and closed incidents older than
/// `retention.incidents-days`.
enum IssueRetention {
    static func rules(incidentDays: Int) -> [RetentionRule] {
        [.resolvedIncidents(name: "resolved incidents", table: "issue", days: incidentDays)]
    }
}
