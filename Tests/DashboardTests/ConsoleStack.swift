import AsyncHTTPClient
import CCTVContract
import Foundation
import Installation
import NIOCore
import TestSupport

/// The whole product on loopback for the browser tests: a real mosquitto, the five services (real
/// ICMP against 127.86.x.y addresses), webhooks answered by an `HTTPSink`, and a REST client.
final class ConsoleStack: @unchecked Sendable {
    let sink: HTTPSink
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    let running: TestInstallation
    var base: String { running.baseURL }
    /// The REST client's API token (admin).
    let token: String
    /// The people who sign in to the dashboard: `chief` (admin) and `duty` (operator).
    static let admin = "chief", operatorName = "duty"

    /// Starts every service; `configure` may change the configuration first.
    init(configure: (inout InstallationConfiguration) -> Void = { _ in }) async throws {
        let sink = try await HTTPSink()
        self.sink = sink
        running = try TestInstallation([.registry, .prober, .issues, .notifier, .gateway]) { c in
            c.prober.interval = 10
            c.prober.icmpCount = 1
            c.prober.icmpTimeout = 0.5
            c.prober.hlsTimeout = 3
            c.issues.policy.openAfter = 2
            c.issues.policy.recoverAfter = 2
            // The broken streams all come from this test's one stream server; the console's
            // per-camera rows (sorting, filters) are under test here, not stream-server grouping.
            c.issues.storm.minimumPerServer = 0
            c.notifier.lineTeamWebhook = sink.url("/line-team")
            c.notifier.vendorWebhook = sink.url("/vendor")
            c.gateway.defaultCheckInterval = 10
            configure(&c)
            // Notices link to the address browsers use here.
            c.notifier.dashboardURL = "http://127.0.0.1:\(c.gateway.port)"
        }
        do {
            token = try TestAccounts.adminToken(dataDir: running.dataDir)
            try TestAccounts.account(dataDir: running.dataDir, name: Self.admin, role: .admin)
            try TestAccounts.account(dataDir: running.dataDir, name: Self.operatorName, role: .operator)
        } catch {
            // Everything started so far stops, and the error is the test's failure (an HTTP client
            // released without its shutdown stops the whole test process instead).
            try? await http.shutdown()
            await running.stop()
            sink.stop()
            throw error
        }
        let http = http, base = running.baseURL, token = token
        guard await eventually(timeout: .seconds(30), { (try? await Self.call(http, "GET", base + "/api/summary", token: token).status) == 200 }) else {
            await stop()
            throw FixtureError("the gateway did not come up on \(base)")
        }
    }

    /// Stops everything (the HTTP client first: the gateway drains open connections on shutdown).
    func stop() async {
        try? await http.shutdown()
        await running.stop()
        sink.stop()
    }
    /// The driver's arguments to sign in as `name` (default: the admin), plus `arguments`.
    func signedIn(as name: String = ConsoleStack.admin, _ arguments: [String: String] = [:]) -> [String: String] {
        arguments.merging(["user": name, "password": TestAccounts.password]) { $1 }
    }

    /// One REST call (with the admin token); returns status and body.
    func call(_ method: String, _ path: String, body: Data? = nil, contentType: String = "application/json") async throws -> (status: Int, body: String) {
        try await Self.call(http, method, base + path, token: token, body: body, contentType: contentType)
    }

    static func call(_ http: HTTPClient, _ method: String, _ url: String, token: String, body: Data? = nil, contentType: String = "application/json") async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 24)))
    }

    /// A JSON object from `GET path`.
    func json(_ path: String) async throws -> [String: Any] {
        let answer = try await call("GET", path)
        guard answer.status == 200, let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any] else {
            throw FixtureError("GET \(path) → \(answer.status): \(answer.body.prefix(300))")
        }
        return object
    }

    /// Imports `csv` (applied) and waits until the read side has `expected` cameras.
    func importFleet(_ csv: String, expected: Int) async throws {
        let started = try await call("POST", "/api/imports?mode=apply&format=csv", body: Data(csv.utf8), contentType: "text/csv")
        guard started.status == 202 else { throw FixtureError("import refused: \(started.status) \(started.body.prefix(500))") }
        let done = await eventually(timeout: .seconds(120), every: .milliseconds(250)) {
            ((try? await self.json("/api/cameras?limit=1"))?["total"] as? Int) == expected
        }
        guard done else { throw FixtureError("the read side never showed \(expected) cameras") }
    }
}
