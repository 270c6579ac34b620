import CCTVContract
import Foundation
import GRDB
import ServiceRuntime

/// Every REST change the gateway sent to the registry, by command id (the `Idempotency-Key`
/// header, or one the gateway made up): written *before* the command is sent, so a reply that
/// arrives after the REST request gave up (202 "pending") still finds it and completes it.
/// `GET /api/commands/{id}` reads it; a retry with the same key is answered from it. Kept a day.
package final class CommandLedger: Sendable {
    let database: DatabasePool

    init(database: DatabasePool) { self.database = database }

    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("read v2 command ledger") { db in
            try db.create(table: "command") { t in
                t.primaryKey("id", .text)
                t.column("action", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("success", .integer).notNull()
                t.column("reply", .blob)
                t.column("acceptedAt", .datetime).notNull().indexed()
                t.column("finishedAt", .datetime)
            }
        }
    }

    /// One command as `GET /api/commands/{id}` shows it.
    package struct Entry: Codable, Sendable, Equatable {
        package var commandID: String
        package var action: String
        /// `pending` until the registry answered, then `done`.
        package var state: String
        /// The status the REST request would have had (when done).
        package var httpStatus: Int?
        package var reply: RegistryReply?
        package var acceptedAt: Date
        package var finishedAt: Date?
        /// The status a successful answer gets (201 for a create …).
        var success: Int
        var fingerprint: String

        enum CodingKeys: String, CodingKey { case commandID, action, state, httpStatus, reply, acceptedAt, finishedAt }

        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            commandID = try c.decode(String.self, forKey: .commandID); action = try c.decode(String.self, forKey: .action)
            state = try c.decode(String.self, forKey: .state); httpStatus = try c.decodeIfPresent(Int.self, forKey: .httpStatus)
            reply = try c.decodeIfPresent(RegistryReply.self, forKey: .reply); acceptedAt = try c.decode(Date.self, forKey: .acceptedAt)
            finishedAt = try c.decodeIfPresent(Date.self, forKey: .finishedAt); success = 0; fingerprint = ""
        }

        init(commandID: String, action: String, reply: RegistryReply?, acceptedAt: Date, finishedAt: Date?, success: Int, fingerprint: String) {
            self.commandID = commandID; self.action = action; self.reply = reply; self.acceptedAt = acceptedAt; self.finishedAt = finishedAt
            self.success = success; self.fingerprint = fingerprint
            self.state = reply == nil ? "pending" : "done"
            self.httpStatus = reply.map { CommandOutcome.status(of: $0, success: success) }
        }
    }

    /// Records a command about to be sent; returns the earlier entry instead when the id is known.
    func begin(id: String, command: RegistryCommand, success: Int, now: Date = Date()) throws -> Entry? {
        let fingerprint = Self.fingerprint(command)
        return try database.write { db in
            if let earlier = try Self.entry(db, id) { return earlier }
            try db.execute(sql: "INSERT INTO command (id, action, fingerprint, success, acceptedAt) VALUES (?, ?, ?, ?, ?)",
                           arguments: [id, command.action.name.rawValue, fingerprint, success, now])
            return nil
        }
    }

    /// Completes a pending command with the registry's reply (a later duplicate reply changes nothing).
    @discardableResult
    func finish(id: String, reply: RegistryReply, now: Date = Date()) throws -> Bool {
        try database.write { db in
            try db.execute(sql: "UPDATE command SET reply = ?, finishedAt = ? WHERE id = ? AND reply IS NULL",
                           arguments: [try ContractCodec.encodeValue(reply), now, id])
            return db.changesCount > 0
        }
    }

    /// The command with this id, if known.
    package func entry(_ id: String) throws -> Entry? {
        try database.read { db in try Self.entry(db, id) }
    }

    static func entry(_ db: Database, _ id: String) throws -> Entry? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM command WHERE id = ?", arguments: [id]) else { return nil }
        let replyData: Data? = row["reply"]
        return Entry(commandID: row["id"], action: row["action"], reply: try replyData.map { try ContractCodec.decodeValue(RegistryReply.self, from: $0) },
                     acceptedAt: row["acceptedAt"], finishedAt: row["finishedAt"], success: row["success"], fingerprint: row["fingerprint"])
    }

    static func fingerprint(_ command: RegistryCommand) -> String {
        Fingerprint.of((try? ContractCodec.encodeValue(command)) ?? Data())
    }

    /// An acceptable `Idempotency-Key`: 1–128 of `A-Z a-z 0-9 . _ : -` (a UUID is typical).
    static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 128 && key.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || ".-_:".unicodeScalars.contains($0)) }
    }

    /// Entries older than a day expire.
    static let retention = RetentionRule(name: "REST command ledger", table: "command", expired: "acceptedAt < :cutoff", maxAge: 86_400)
}
