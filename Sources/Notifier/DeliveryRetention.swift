import ServiceRuntime

/// What expires in the notifier's store: finished deliveries (neither pending nor being sent) older than
/// `retention.deliveries-days`; the record of resolved incidents (and who was told about them)
/// older than `retention.incidents-days`. Pending deliveries and open incidents never expire.
enum DeliveryRetention {
    static func rules(deliveryDays: Int, incidentDays: Int) -> [RetentionRule] {
        [
            RetentionRule(name: "finished deliveries", table: "delivery",
                          expired: "state NOT IN ('pending','sending') AND createdAt < :cutoff AND COALESCE(finishedAt, createdAt) < :cutoff",
                          maxAge: RetentionRule.days(deliveryDays)),
            RetentionRule(name: "resolved incidents (notifier)", table: "watch",
                          expired: "state IN ('RESOLVED','CLOSED') AND COALESCE(\(RetentionRule.jsonField("issue", "resolvedAt")), \(RetentionRule.jsonField("issue", "updatedAt"))) < :cutoffText",
                          maxAge: RetentionRule.days(incidentDays)),
            // After the incidents above: who was told about an incident no longer kept.
            RetentionRule(name: "recipients of expired incidents", table: "told",
                          expired: "issueID NOT IN (SELECT issueID FROM watch)", maxAge: RetentionRule.days(incidentDays)),
        ]
    }
}
