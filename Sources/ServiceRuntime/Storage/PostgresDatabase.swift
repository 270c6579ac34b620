import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// A service's tables in a shared PostgreSQL database: its own schema (`registry`, `issues`, …, so
/// services never see each other's tables), migrated on open under an advisory lock so replicas
/// starting together migrate once. One connection, used by one transaction at a time on the
/// database's own queue; a lost connection is re-opened by the next call.
///
/// The statements are the stores' own (`?` placeholders, rewritten to `$n` here): the SQL of a
/// store is written once for both engines.
package final class PostgresDatabase: SQLDatabase {
    package var dialect: SQLDialect { .postgres }
    let address: PostgresAddress
    /// The service's schema, e.g. `registry`.
    package let schema: String
    let logger: Logger
    private let queue: DispatchQueue
    private let connection = Mutex<PostgresConnection?>(nil)
    private let closed = Mutex(false)
    private static let connectionIDs = Atomic<Int>(0)
    /// Ends a transaction left idle this long by a paused process, releasing its locks (the
    /// leader lease's own session times out after 5 s idle too).
    static let idleInTransactionTimeoutMilliseconds = 5_000

    /// Connects, creates the schema and applies the migrations not yet applied.
    /// - Throws: ``StoreError`` naming the server when it cannot be reached or a migration fails.
    package init(address: PostgresAddress, schema: String, migrations: [PostgresMigration], logger: Logger) throws {
        self.address = address
        self.schema = schema
        self.logger = logger
        queue = DispatchQueue(label: "cctv-out.postgres.\(schema)")
        try queue.sync { try migrate(migrations) }
    }

    deinit {
        // A dropped store still closes its connection; the closure keeps it alive until it has.
        if let open = connection.withLock({ $0 }) { open.close().whenComplete { _ in _ = open } }
    }

    package func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try queue.sync { try transaction(body) }
    }

    package func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try queue.sync { try transaction(body) }
    }

    package func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try self.transaction(body) }) }
        }
    }

    package func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await write(body)
    }

    package func close() async {
        closed.withLock { $0 = true }
        let open = connection.withLock { current -> PostgresConnection? in defer { current = nil }; return current }
        try? await open?.close().get()
    }

    // MARK: - On the queue

    private func transaction<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        let session = PostgresSession(connection: try connected(), logger: logger)
        try session.run("BEGIN")
        do {
            let result = try body(session)
            try session.run("COMMIT")
            return result
        } catch {
            if !session.connection.isClosed, !(error is StoreError) { try? session.run("ROLLBACK") } else { drop() }
            throw error
        }
    }

    private func connected() throws -> PostgresConnection {
        if closed.withLock({ $0 }) { throw StoreError.closed(schema) }
        if let open = connection.withLock({ $0 }), !open.isClosed { return open }
        do {
            let id = Self.connectionIDs.add(1, ordering: .relaxed).newValue
            let open = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try address.configuration(),
                                                      id: id, logger: logger).wait()
            _ = try open.query(PostgresQuery(unsafeSQL: "SET search_path TO \"\(schema)\""), logger: logger).wait()
            // A process paused inside a transaction (SIGSTOP, a frozen VM) must not hold its locks
            // for ever: the leadership fence reads the `leadership` row FOR SHARE, and the next
            // leader's epoch bump waited on that lock until the old one resumed (seen: a SIGSTOPped
            // notifier kept its standby from taking over for > 30 s). Our transactions never wait
            // on the client for seconds between statements.
            _ = try open.query(PostgresQuery(unsafeSQL: "SET idle_in_transaction_session_timeout = \(Self.idleInTransactionTimeoutMilliseconds)"), logger: logger).wait()
            connection.withLock { $0 = open }
            return open
        } catch {
            throw StoreError.unreachable(address.description, String(describing: error))
        }
    }

    private func drop() { connection.withLock { $0 = nil } }

    private func migrate(_ migrations: [PostgresMigration]) throws {
        do {
            _ = try transaction { db in
                // Replicas that start together: the first migrates, the others wait here and find it
                // done (the schema too: concurrent CREATE SCHEMA IF NOT EXISTS can collide).
                try db.execute("SELECT pg_advisory_xact_lock(hashtext(?))", "cctv-out migrations \(schema)")
                try db.execute("CREATE SCHEMA IF NOT EXISTS \"\(schema)\"")
                try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, appliedAt timestamptz NOT NULL)")
                let applied = Set(try db.rows("SELECT name FROM schema_migrations").compactMap { $0.string("name") })
                for migration in migrations where !applied.contains(migration.name) {
                    for statement in migration.statements { try db.execute(statement) }
                    try db.execute("INSERT INTO schema_migrations (name, appliedAt) VALUES (?, ?)", migration.name, Date())
                    logger.info("migrated", metadata: ["schema": "\(schema)", "migration": "\(migration.name)"])
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.migration(schema, String(describing: error))
        }
    }
}

/// One named step of a PostgreSQL schema, applied once, in order.
package struct PostgresMigration: Sendable {
    package var name: String
    package var statements: [String]
    package init(_ name: String, _ statements: [String]) { self.name = name; self.statements = statements }
}

/// ``SQLConnection`` over one PostgreSQL connection inside a transaction (blocking: only ever used
/// on a ``PostgresDatabase``'s queue, never on an event loop or the cooperative pool).
struct PostgresSession: SQLConnection {
    let connection: PostgresConnection
    let logger: Logger
    var dialect: SQLDialect { .postgres }

    /// The longest one statement may take before the connection is given up (closed; the next
    /// transaction opens a new one). A process resumed after a pause found its connection ended by
    /// the server (`idle_in_transaction_session_timeout`) and its next query waited for ever
    /// (seen 3 of 6 SIGSTOP/SIGCONT runs): nothing here legitimately runs this long.
    static let statementTimeout = TimeAmount.seconds(15)

    func run(_ sql: String) throws {
        _ = try answer(connection.query(PostgresQuery(unsafeSQL: sql), logger: logger))
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        let result = try answer(connection.query(try Self.query(sql, arguments), logger: logger))
        return result.metadata.rows ?? 0
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try answer(connection.query(try Self.query(sql, arguments), logger: logger)).rows.map(Self.row)
    }

    /// Waits for `future` at most ``statementTimeout``; then closes the connection and throws.
    private func answer<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        let promise = future.eventLoop.makePromise(of: T.self)
        future.cascade(to: promise)
        let connection = connection
        let timer = future.eventLoop.scheduleTask(in: Self.statementTimeout) {
            promise.fail(StoreError.unreachable("PostgreSQL", "no answer within \(Self.statementTimeout.nanoseconds / 1_000_000_000) s; connection closed"))
            connection.close().whenComplete { _ in }
        }
        defer { timer.cancel() }
        return try promise.futureResult.wait()
    }

    static func query(_ sql: String, _ arguments: [SQLValue]) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull()
            case let .int(number): binds.append(number)
            case let .double(number): binds.append(number)
            case let .text(text): binds.append(text)
            case let .blob(data): binds.append(ByteBuffer(bytes: data))
            case let .bool(flag): binds.append(flag)
            case let .date(date): binds.append(date)
            }
        }
        return PostgresQuery(unsafeSQL: numberedPlaceholders(sql), binds: binds)
    }

    /// `?` → `$1`, `$2`, … outside quoted text and identifiers.
    static func numberedPlaceholders(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.count + 16)
        var index = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                out.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                out.append(character)
            } else if character == "?" {
                index += 1
                out += "$\(index)"
            } else {
                out.append(character)
            }
        }
        return out
    }

    static func row(_ row: PostgresRow) -> SQLRow {
        var values: [String: SQLValue] = [:]
        for cell in row {
            values[cell.columnName] = value(cell)
        }
        return SQLRow(values)
    }

    static func value(_ cell: PostgresCell) -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .bool: return (try? cell.decode(Bool.self)).map(SQLValue.bool) ?? .null
        case .int2, .int4, .int8: return (try? cell.decode(Int64.self)).map(SQLValue.int) ?? .null
        case .float4, .float8: return (try? cell.decode(Double.self)).map(SQLValue.double) ?? .null
        case .bytea: return (try? cell.decode(ByteBuffer.self)).map { .blob(Data($0.readableBytesView)) } ?? .null
        case .timestamptz, .timestamp: return (try? cell.decode(Date.self)).map(SQLValue.date) ?? .null
        case .numeric: return (try? cell.decode(String.self)).flatMap(Double.init).map(SQLValue.double) ?? .null
        default: return (try? cell.decode(String.self)).map(SQLValue.text) ?? .null
        }
    }
}
