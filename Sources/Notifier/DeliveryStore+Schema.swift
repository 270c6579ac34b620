import GRDB
import ServiceRuntime

/// The notifier's tables, for both engines: the GRDB migrator keeps existing SQLite files opening
/// as before; the PostgreSQL migrations create the same tables in schema `notifier`.
extension DeliveryStore {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("notifier v1") { db in
            try db.create(table: "delivery") { t in
                t.primaryKey("id", .text)
                t.column("eventID", .text).notNull()
                t.column("issueID", .text).notNull().indexed()
                t.column("cameraID", .text).notNull().indexed()
                t.column("event", .text).notNull()
                t.column("channel", .text).notNull()
                t.column("target", .text).notNull()
                t.column("body", .blob).notNull()
                t.column("state", .text).notNull().indexed()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("nextAttemptAt", .datetime).notNull()
                t.column("httpStatus", .integer)
                t.column("lastError", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
                t.uniqueKey(["eventID", "target"])
            }
            // Everyone told about an incident, so its recovery reaches each of them.
            try db.create(table: "told") { t in
                t.column("issueID", .text).notNull()
                t.column("target", .text).notNull()
                t.primaryKey(["issueID", "target"])
            }
        }
        EventOutbox.register(in: &migrator)
        migrator.registerMigration("notifier v2: teams, channels, timers") { db in
            // `target` now holds the channel id from the contacts file (unique with the event id,
            // so dedup is per channel); `display` is where it points, without secrets.
            try db.alter(table: "delivery") { t in
                t.add(column: "team", .text).notNull().defaults(to: "")
                t.add(column: "display", .text).notNull().defaults(to: "")
            }
            try db.create(index: "delivery_due", on: "delivery", columns: ["state", "nextAttemptAt"])
            // The latest version of every incident seen, with its escalation and reminder timers.
            try db.create(table: "watch") { t in
                t.primaryKey("issueID", .text)
                t.column("issue", .blob).notNull()
                t.column("version", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("team", .text).notNull()
                t.column("state", .text).notNull()
                t.column("escalateAt", .datetime)
                t.column("nextRemindAt", .datetime)
                t.column("reminders", .integer).notNull().defaults(to: 0)
            }
            try db.create(index: "watch_escalate", on: "watch", columns: ["escalateAt"])
            try db.create(index: "watch_remind", on: "watch", columns: ["nextRemindAt"])
        }
        migrator.registerMigration("notifier v3: self-watch") { db in
            try db.create(table: "selfWatch") { t in
                t.primaryKey("condition", .text)
                t.column("since", .datetime).notNull()
            }
        }
        migrator.registerMigration("notifier v3: due per channel") { db in
            // The dispatcher asks each channel with room for its oldest due rows: an index seek,
            // where "everything due except the busy channels" scanned every pending row while the
            // one busy endpoint held them all (10,000 rows read per dispatch round in a storm).
            try db.create(index: "delivery_due_target", on: "delivery", columns: ["state", "target", "nextAttemptAt"])
        }
        migrator.registerMigration("notifier v4: contacts stored by the notifier") { db in
            // The contacts in force (edited in the dashboard, or imported from the file / settings
            // whose content hash is `sourceHash`, so a changed file is imported again at start).
            try db.create(table: "contacts") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("json", .blob).notNull()
                t.column("sourceHash", .text).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.column("updatedBy", .text)
            }
        }
        migrator.registerMigration("notifier v5: camera conditions told") { db in
            // The camera conditions told (`clock_skewed`, `signal_lost`, `tampered`), so their end follows once.
            try db.create(table: "cameraCondition") { t in
                t.column("cameraID", .text).notNull()
                t.column("condition", .text).notNull()
                t.column("since", .datetime).notNull()
                t.column("value", .double).notNull()
                t.primaryKey(["cameraID", "condition"])
            }
        }
        return migrator
    }

    /// The same tables in PostgreSQL. JSON (the incident, the contacts) is `text` there, so the
    /// retention rules can read fields of it; `seq` orders rows inserted at the same instant
    /// (SQLite's `rowid`).
    static let postgresMigrations = EventOutbox.postgresMigrations + [
        PostgresMigration("notifier v1", [
            """
            CREATE TABLE delivery (seq bigserial NOT NULL, id text PRIMARY KEY, eventID text NOT NULL, issueID text NOT NULL,
              cameraID text NOT NULL, event text NOT NULL, channel text NOT NULL, target text NOT NULL, team text NOT NULL DEFAULT '',
              display text NOT NULL DEFAULT '', body bytea NOT NULL, state text NOT NULL, attempts integer NOT NULL DEFAULT 0,
              nextAttemptAt timestamptz NOT NULL, httpStatus integer, lastError text, createdAt timestamptz NOT NULL,
              finishedAt timestamptz, UNIQUE (eventID, target))
            """,
            "CREATE INDEX delivery_issue ON delivery (issueID)",
            "CREATE INDEX delivery_camera ON delivery (cameraID)",
            "CREATE INDEX delivery_due ON delivery (state, nextAttemptAt)",
            "CREATE INDEX delivery_due_target ON delivery (state, target, nextAttemptAt)",
            "CREATE TABLE told (issueID text NOT NULL, target text NOT NULL, PRIMARY KEY (issueID, target))",
            """
            CREATE TABLE watch (issueID text PRIMARY KEY, issue text NOT NULL, version bigint NOT NULL, kind text NOT NULL, team text NOT NULL,
              state text NOT NULL, escalateAt timestamptz, nextRemindAt timestamptz, reminders integer NOT NULL DEFAULT 0)
            """,
            "CREATE INDEX watch_escalate ON watch (escalateAt)",
            "CREATE INDEX watch_remind ON watch (nextRemindAt)",
            "CREATE TABLE selfWatch (condition text PRIMARY KEY, since timestamptz NOT NULL)",
            """
            CREATE TABLE contacts (id integer PRIMARY KEY CHECK (id = 1), json text NOT NULL, sourceHash text NOT NULL,
              updatedAt timestamptz NOT NULL, updatedBy text)
            """,
        ]),
        PostgresMigration("notifier v5: camera conditions told", [
            """
            CREATE TABLE cameraCondition (cameraID text NOT NULL, condition text NOT NULL, since timestamptz NOT NULL,
              value double precision NOT NULL, PRIMARY KEY (cameraID, condition))
            """,
        ]),
    ]
}
