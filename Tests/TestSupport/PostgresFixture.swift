import Foundation
import ServiceRuntime
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL 15 cluster for tests (Debian `postgresql`): `initdb` into a temp folder,
/// `postgres` on a free loopback port with durability off (fsync, synchronous_commit), as the
/// `postgres` user when the tests run as root. One cluster per test process, started on first use
/// and stopped (SIGTERM, folder removed) when the process exits; every test gets its own database
/// from ``database()``, so tests never see each other's tables.
package final class PostgresFixture: Sendable {
    package let port: Int
    package let directory: URL
    let process: ChildProcess
    let binaries: String

    /// The process-wide cluster.
    package static func shared() throws -> PostgresFixture {
        try sharedCluster.withLock { cluster in
            if let cluster { return cluster }
            let started = try PostgresFixture()
            cluster = started
            atexit { PostgresFixture.stopShared() }
            return started
        }
    }

    private static let sharedCluster = Mutex<PostgresFixture?>(nil)

    static func stopShared() {
        guard let cluster = sharedCluster.withLock({ $0 }) else { return }
        cluster.process.stop(timeout: 10)
        try? FileManager.default.removeItem(at: cluster.directory)
    }

    init() throws {
        binaries = try Self.findBinaries()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID().uuidString)")
        let data = directory.appendingPathComponent("data").path
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let asRoot = geteuid() == 0
        if asRoot {
            guard let user = getpwnam("postgres") else { throw FixtureError("user postgres missing: it comes with the Debian package `postgresql` (scripts/install-deps.sh)") }
            chown(directory.path, user.pointee.pw_uid, user.pointee.pw_gid)
        }
        port = try FreePort.find()
        let initdb = try Self.run(asPostgres: asRoot, "\(binaries)/initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        guard initdb.status == 0 else { throw FixtureError("initdb failed: \(initdb.output.suffix(500))") }
        let server = ["\(binaries)/postgres", "-D", data, "-p", "\(port)", "-k", directory.path, "-c", "listen_addresses=127.0.0.1",
                      "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300"]
        // `postgres` itself in the foreground (not `pg_ctl start`, which daemonises it): our child,
        // so it gets SIGTERM when the test process dies however it dies (a smart shutdown that
        // ends at once: every client died with the test process too).
        process = try ChildProcess.dyingWithTests(executable: server[0], arguments: Array(server.dropFirst()),
                                                  logFile: directory.appendingPathComponent("postgres.log").path, user: asRoot ? "postgres" : nil)
        // Ready = accepting connections (pg_isready exits 0), not merely listening: a listening server
        // still refuses connections with "the database system is starting up" (seen under load).
        let deadline = Date().addingTimeInterval(30)
        while try !(LoopbackPort.isListening(port) && (Self.run(asPostgres: false, "\(binaries)/pg_isready", ["-h", "127.0.0.1", "-p", "\(port)", "-q"])).status == 0) {
            guard process.isRunning, Date() < deadline else {
                process.stop(timeout: 5)
                let log = (try? String(contentsOf: directory.appendingPathComponent("postgres.log"), encoding: .utf8)) ?? ""
                throw FixtureError("postgres did not start on port \(port): \(log.suffix(800))")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// A new empty database; returns its `postgres://` URL.
    package func database() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let psql = try Self.run(asPostgres: false, "\(binaries)/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres",
                                                                         "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(name)"])
        guard psql.status == 0 else { throw FixtureError("CREATE DATABASE failed: \(psql.output.suffix(500))") }
        return "postgres://postgres@127.0.0.1:\(port)/\(name)"
    }

    /// The database's location for a store.
    package func location() throws -> DatabaseLocation {
        guard let address = try PostgresAddress.parse(try database()) else { throw FixtureError("no database URL") }
        return .postgres(address)
    }

    static func findBinaries() throws -> String {
        for version in ["17", "16", "15"] where FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/initdb") {
            return "/usr/lib/postgresql/\(version)/bin"
        }
        throw FixtureError("PostgreSQL is not installed: initdb comes with the Debian package `postgresql`, which scripts/install-deps.sh installs (run it, or apt-get install postgresql)")
    }

    static func run(asPostgres: Bool, _ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        if asPostgres {
            process.executableURL = URL(fileURLWithPath: try RequiredTool.path("setpriv", package: "util-linux"))
            process.arguments = ["--reuid=postgres", "--regid=postgres", "--clear-groups", "--", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

/// Which store engine a test runs against: the store tests run once for each.
package enum StoreEngine: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    package var description: String { rawValue }

    /// A fresh, empty location: a new temp folder for SQLite, a new database in the shared cluster.
    package func freshLocation() throws -> DatabaseLocation {
        switch self {
        case .sqlite: .sqlite(directory: FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)").path)
        case .postgres: try PostgresFixture.shared().location()
        }
    }
}
