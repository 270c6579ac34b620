import GRDB
import ServiceRuntime

extension ReadStore {
    /// Every service's last known availability (`online` / `offline`).
    package func services() throws -> [String: String] {
        try database.read { db in
            Dictionary(try Row.fetchAll(db, sql: "SELECT name, state FROM service").map { ($0["name"], $0["state"]) }) { _, last in last }
        }
    }

    /// What expires in the read store: resolved incidents and finished deliveries, by the same
    /// `retention.*` settings as the services that own them, and the REST command ledger after a day.
    static func retentionRules(incidentDays: Int, deliveryDays: Int) -> [RetentionRule] {
        [
            .resolvedIncidents(name: "resolved incidents (read store)", table: "issue", days: incidentDays),
            RetentionRule(name: "notification deliveries (read store)", table: "notification", expired: "at < :cutoff", maxAge: RetentionRule.days(deliveryDays)),
            CommandLedger.retention,
        ]
    }
}
