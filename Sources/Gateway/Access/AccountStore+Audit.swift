import Foundation
import GRDB

/// The audit log: who did what, when, from where, and how it ended. Every state-changing request
/// the gateway serves is recorded by ``AccessMiddleware`` (with the route's action name and the
/// HTTP status), and so are sign-ins, refused sign-ins, sign-outs and account changes.
extension AccountStore {
    /// One audited action.
    package struct AuditEntry: Codable, Sendable, Equatable {
        package var seq: Int64?
        package var at: Date
        /// The account (`name`), the token (`token:name (id)`), or `anonymous`.
        package var actor: String
        /// What: the route's action name (`camera.delete`, `issue.acknowledge`, `session.login` …).
        package var action: String
        /// On what: the request path with its ids (`/api/cameras/CAM-00042`), or an account name.
        package var target: String?
        /// The HTTP status the action ended with.
        package var outcome: Int
        /// From where: the client's address.
        package var address: String?
        package var detail: String?

        package init(seq: Int64? = nil, at: Date = Date(), actor: String, action: String, target: String?, outcome: Int,
                    address: String?, detail: String? = nil) {
            self.seq = seq; self.at = at; self.actor = actor; self.action = action; self.target = target
            self.outcome = outcome; self.address = address; self.detail = detail
        }
    }

    /// Appends one entry.
    package func record(_ entry: AuditEntry) throws {
        try database.write { db in
            try db.execute(sql: "INSERT INTO audit (at, actor, action, target, outcome, address, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [entry.at, String(entry.actor.prefix(200)), entry.action, entry.target.map { String($0.prefix(500)) },
                                       entry.outcome, entry.address, entry.detail.map { String($0.prefix(500)) }])
        }
    }

    /// Entries newest first, before `seq` when given (paging), optionally of one actor.
    package func audit(limit: Int = 100, before seq: Int64? = nil, actor: String? = nil) throws -> [AuditEntry] {
        try database.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let seq { conditions.append("seq < ?"); arguments += [seq] }
            if let actor { conditions.append("actor = ?"); arguments += [actor] }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: "SELECT * FROM audit \(filter) ORDER BY seq DESC LIMIT ?", arguments: arguments + [limit]).map {
                AuditEntry(seq: $0["seq"], at: $0["at"], actor: $0["actor"], action: $0["action"], target: $0["target"],
                           outcome: $0["outcome"], address: $0["address"], detail: $0["detail"])
            }
        }
    }
}
