import CCTVContract
import Foundation
import GRDB
import ServiceRuntime

/// The replies to recent camera changes, by command (envelope) id, so a command delivered twice
/// (a client retrying with the same `Idempotency-Key`, a gateway re-sending a command it reported
/// as pending) is answered with the first outcome instead of being applied again. A command only
/// counts as the same when its content is too (an id reused for a different command is applied:
/// tools that number their commands `1`, `2`… must not be ignored). Kept for a day.
package struct CommandLog: Sendable {
    let database: any SQLDatabase

    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3 command log") { db in
            try db.create(table: "commandLog") { t in
                t.primaryKey("id", .text)
                t.column("fingerprint", .text).notNull()
                t.column("reply", .blob).notNull()
                t.column("at", .datetime).notNull().indexed()
            }
        }
    }

    /// The same table in PostgreSQL.
    static let postgresMigration = PostgresMigration("v3 command log", [
        "CREATE TABLE commandLog (id text PRIMARY KEY, fingerprint text NOT NULL, reply bytea NOT NULL, at timestamptz NOT NULL)",
        "CREATE INDEX commandLog_at ON commandLog (at)",
    ])

    /// What identifies a command's content.
    static func fingerprint(_ command: RegistryCommand) -> String {
        Fingerprint.of((try? ContractCodec.encodeValue(command)) ?? Data())
    }

    /// The reply already given to this exact command, if any.
    func reply(to command: RegistryCommand, id: String) throws -> RegistryReply? {
        guard command.action.changesFleet else { return nil }
        return try database.read { db in
            guard let row = try db.row("SELECT fingerprint, reply FROM commandLog WHERE id = ?", id),
                  row.string("fingerprint") == Self.fingerprint(command), let reply = row.data("reply") else { return nil }
            return try ContractCodec.decodeValue(RegistryReply.self, from: reply)
        }
    }

    /// Remembers the reply to a change.
    func record(_ reply: RegistryReply, to command: RegistryCommand, id: String, now: Date = Date()) throws {
        guard command.action.changesFleet else { return }
        try database.write { db in
            try db.execute("""
                INSERT INTO commandLog (id, fingerprint, reply, at) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, reply = excluded.reply, at = excluded.at
                """, id, Self.fingerprint(command), try ContractCodec.encodeValue(reply), now)
        }
    }

    /// Entries older than a day expire.
    static let retention = RetentionRule(name: "registry command log", table: "commandLog", expired: "at < :cutoff", maxAge: 86_400)
}
