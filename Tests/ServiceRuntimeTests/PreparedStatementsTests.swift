import Foundation
import GRDB
@testable import ServiceRuntime
import Testing

/// SQLite statements kept prepared: the repeated fixed texts, never schema scripts, never more
/// than the limit.
@Suite("prepared statements of a SQLite database")
struct PreparedStatementsTests {
    @Test("single row statements are kept prepared; schema changes and scripts are not")
    func cacheable() {
        #expect(PreparedStatements.isCacheable("SELECT site FROM camera WHERE id = ?"))
        #expect(PreparedStatements.isCacheable("  insert into track (cameraID, json) values (?, ?);  \n"))
        #expect(PreparedStatements.isCacheable("WITH recent AS (SELECT 1) SELECT * FROM recent"))
        #expect(!PreparedStatements.isCacheable("CREATE TABLE t (a)"))
        #expect(!PreparedStatements.isCacheable("DELETE FROM a; DELETE FROM b"))
        #expect(!PreparedStatements.isCacheable("PRAGMA journal_mode = WAL"))
    }

    @Test("an IN list of more than 8 ids is prepared per use, not kept with its bound ids; a fixed statement of many columns is kept")
    func longListsNotKept() {
        let page = Array(repeating: "?", count: 500).joined(separator: ", ")
        #expect(!PreparedStatements.isCacheable("SELECT * FROM camera WHERE id IN (\(page))"))
        let everyImportedID = Array(repeating: "?", count: 50_000).joined(separator: ", ")
        #expect(!PreparedStatements.isCacheable("SELECT * FROM camera WHERE id IN (\(everyImportedID))"))
        #expect(!PreparedStatements().admits("SELECT * FROM camera WHERE id IN (\(everyImportedID))"))
        // Every list length is a text of its own: lists of up to 8 are kept, longer ones are not.
        #expect(PreparedStatements.isCacheable("SELECT json FROM track WHERE cameraID IN (?, ?, ?, ?, ?, ?, ?, ?)"))
        #expect(!PreparedStatements.isCacheable("SELECT json FROM track WHERE cameraID in(?,?,?,?,?,?,?,?,?)"))
        // A fixed statement with many columns is not a list.
        let columns = Array(repeating: "?", count: 20).joined(separator: ", ")
        #expect(PreparedStatements.isCacheable("INSERT INTO camera VALUES (\(columns))"))
    }

    @Test("at most the limit of distinct texts is admitted; an admitted text stays admitted")
    func bounded() {
        let prepared = PreparedStatements()
        for index in 0..<PreparedStatements.limit {
            #expect(prepared.admits("SELECT \(index)"))
        }
        #expect(!prepared.admits("SELECT 'one too many'"))
        #expect(prepared.admits("SELECT 0"))
    }

    @Test("a SQLite database answers the same statement many times with the current rows, also after a schema change")
    func repeatedStatements() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("prepared-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: "CREATE TABLE item (id TEXT PRIMARY KEY, n INTEGER)") }
        let database = SQLiteDatabase(pool: try DatabasePool(path: folder.appendingPathComponent("t.sqlite").path))
        try migrator.migrate(database.pool)
        for index in 0..<50 {
            try await database.write { db in
                try db.execute("INSERT INTO item (id, n) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET n = excluded.n", "a", index)
            }
            let n = try await database.read { db in try db.row("SELECT n FROM item WHERE id = ?", "a")?.int("n") }
            #expect(n == index)
        }
        // A column added after a statement was prepared: SQLite re-prepares it.
        let before = try await database.read { db in try db.row("SELECT * FROM item WHERE id = ?", "a") }
        #expect(before?.string("label") == nil)
        try await database.write { db in try db.execute("ALTER TABLE item ADD COLUMN label TEXT DEFAULT 'x'", [SQLValue]()) }
        let row = try await database.read { db in try db.row("SELECT * FROM item WHERE id = ?", "a") }
        #expect(row?.string("label") == "x")
        await database.close()
    }
}
