import CCTVContract
import Foundation
import Gateway
import NIOHTTP1
import ServiceRuntime
import Testing
import TestSupport

/// Every REST route against every kind of caller, through the real gateway, registry and issues
/// service: anonymous → 401, a role below the route's → 403, the route's role and above → its
/// success status; a site-limited token → 403 on another site's cameras and incidents, and on
/// the routes for principals with every site.
@Suite("REST authorization: every route × every role", .serialized, .runsAlone)
struct RouteAuthorizationTests {
    /// Who calls.
    struct Caller: Sendable {
        var key: String
        var role: Role?
        var token: String?
        /// The site the caller's fixtures are in (`A`, or `B` for the site-limited pass on another site).
        var site: String
        var limitedToA: Bool
    }

    /// One route with the fixtures of one caller.
    struct Route: Sendable {
        var method: HTTPMethod
        /// `{c}` = the caller's key; `{issue}`, `{silence}`, `{import}`, `{token}` = ids captured earlier.
        var path: String
        var body: String? = nil
        /// nil: public (anyone gets `success`).
        var minimum: Role?
        var success: Int
        /// Acts on an object of the caller's site (a site-limited caller on site B gets 403).
        var siteObject = false
        /// Only for principals with every site.
        var everySite = false
        /// Only for browser sessions (a token gets 403 whatever its role).
        var sessionOnly = false
        /// Run before the request, as admin (to bring an incident to the state the route needs).
        var before: (@Sendable (RouteAuthorizationTests.Run) async throws -> Void)? = nil
        /// A stream (Server-Sent Events): only the head is read.
        var stream = false
        /// Read ids out of a successful answer.
        var capture: (@Sendable (RESTCaller.Answer, RouteAuthorizationTests.Run) -> Void)? = nil
    }

    /// One caller's pass: the captured ids.
    final class Run: @unchecked Sendable {
        let caller: Caller
        let harness: GatewayHarness
        let admin: String
        var ids: [String: String] = [:]
        init(caller: Caller, harness: GatewayHarness, admin: String) { self.caller = caller; self.harness = harness; self.admin = admin }

        /// A window to change or end, made by an admin where the caller could not make one.
        func makeSilence() async throws {
            guard ids["silence"] == nil else { return }
            let made = try await harness.rest.call(.POST, "/api/silences", body: #"{"scope":"camera","value":"L-\#(caller.key)","minutes":5}"#, token: admin)
            struct Items: Decodable { var items: [Silence] }
            ids["silence"] = (try? JSONDecoder.contract.decode(Items.self, from: made.data))?.items.first { $0.value == "L-\(caller.key)" }?.id
        }

        func fill(_ text: String) -> String {
            var out = text.replacingOccurrences(of: "{c}", with: caller.key).replacingOccurrences(of: "{site}", with: caller.site)
            for (name, value) in ids { out = out.replacingOccurrences(of: "{\(name)}", with: value) }
            return out
        }
    }

    static let csv = "IP,설치장소\r\n127.87.0.1,A\r\n"

    /// The table: every route the gateway serves.
    static let routes: [Route] = [
        Route(method: .GET, path: "/healthz", minimum: nil, success: 200),
        Route(method: .GET, path: "/metrics", minimum: .viewer, success: 200, everySite: true),
        Route(method: .GET, path: "/login", minimum: nil, success: 200),
        Route(method: .GET, path: "/setup", minimum: nil, success: 200),
        Route(method: .GET, path: "/ui/js/main.js", minimum: nil, success: 200),
        Route(method: .GET, path: "/vendor/chart.js/chart.mjs", minimum: nil, success: 200),
        Route(method: .GET, path: "/", minimum: .viewer, success: 200),
        Route(method: .GET, path: "/admin", minimum: .admin, success: 200, everySite: true),
        Route(method: .POST, path: "/api/setup", body: #"{"code":"x","name":"x","password":"xxxxxxxxxxxx"}"#, minimum: nil, success: 409),
        Route(method: .POST, path: "/api/session", body: #"{"name":"nobody-{c}","password":"wrong password"}"#, minimum: nil, success: 401),
        Route(method: .GET, path: "/api/session", minimum: .viewer, success: 200),
        Route(method: .PUT, path: "/api/account/password", body: #"{"current":"a","new":"b"}"#, minimum: .viewer, success: 204, sessionOnly: true),
        Route(method: .POST, path: "/api/account/totp", minimum: .viewer, success: 200, sessionOnly: true),
        Route(method: .POST, path: "/api/account/totp/confirm", body: #"{"code":"000000"}"#, minimum: .viewer, success: 204, sessionOnly: true),
        Route(method: .DELETE, path: "/api/account/totp", body: #"{"password":"x"}"#, minimum: .viewer, success: 204, sessionOnly: true),

        Route(method: .GET, path: "/api/summary", minimum: .viewer, success: 200),
        Route(method: .GET, path: "/api/sites", minimum: .viewer, success: 200),
        Route(method: .GET, path: "/api/cameras", minimum: .viewer, success: 200),
        Route(method: .GET, path: "/api/cameras/L-{c}", minimum: .viewer, success: 200, siteObject: true),
        Route(method: .GET, path: "/api/cameras/L-{c}/status", minimum: .viewer, success: 200, siteObject: true),
        Route(method: .GET, path: "/api/cameras/export?format=csv", minimum: .viewer, success: 200),
        Route(method: .GET, path: "/api/cameras/template?format=csv", minimum: .viewer, success: 200),
        Route(method: .GET, path: "/api/issues?state=all", minimum: .viewer, success: 200),
        Route(method: .GET, path: "/api/issues/{issue}", minimum: .viewer, success: 200, siteObject: true),
        Route(method: .GET, path: "/api/silences", minimum: .viewer, success: 200),
        Route(method: .GET, path: "/api/notifications", minimum: .viewer, success: 200),
        Route(method: .GET, path: "/api/events", minimum: .viewer, success: 200, stream: true),
        // The operator's console.
        Route(method: .GET, path: "/api/vocabulary", minimum: .viewer, success: 200),
        Route(method: .GET, path: "/api/problems", minimum: .viewer, success: 200),
        Route(method: .GET, path: "/api/cameras/L-{c}/history?range=24h", minimum: .viewer, success: 200, siteObject: true),
        Route(method: .GET, path: "/api/cameras/L-{c}/snapshot", minimum: .viewer, success: 200, siteObject: true),
        Route(method: .GET, path: "/api/availability?by=site", minimum: .viewer, success: 200, everySite: true),
        Route(method: .GET, path: "/api/reports/sla?format=csv", minimum: .viewer, success: 200, everySite: true),
        Route(method: .GET, path: "/api/notify/health", minimum: .viewer, success: 200),
        Route(method: .GET, path: "/api/notify/contacts", minimum: .admin, success: 200, everySite: true),
        Route(method: .PUT, path: "/api/notify/contacts", body: #"{"teams":[]}"#, minimum: .admin, success: 200, everySite: true),
        Route(method: .GET, path: "/api/notify/contacts/export", minimum: .admin, success: 200, everySite: true),
        Route(method: .POST, path: "/api/notify/contacts/import", body: #"{"teams":[]}"#, minimum: .admin, success: 200, everySite: true),
        // No channel named so (the contacts are empty): the admin gets past the access check to "not found".
        Route(method: .POST, path: "/api/notify/channels/nowhere/test", body: "{}", minimum: .admin, success: 404, everySite: true),

        Route(method: .POST, path: "/api/issues/{issue}/acknowledge", body: "{}", minimum: .operator, success: 200, siteObject: true),
        Route(method: .POST, path: "/api/issues/{issue}/dispatch", body: "{}", minimum: .operator, success: 200, siteObject: true),
        Route(method: .POST, path: "/api/issues/{issue}/note", body: #"{"note":"on the way"}"#, minimum: .operator, success: 200, siteObject: true),
        Route(method: .POST, path: "/api/issues/{issue}/fix", body: "{}", minimum: .operator, success: 200, siteObject: true),
        Route(method: .POST, path: "/api/issues/{issue}/close", body: "{}", minimum: .operator, success: 200, siteObject: true,
              before: { run in
                  // The checks confirm the fix: the incident resolves, so it can be closed.
                  try await run.harness.publishICMP("L-\(run.caller.key)", .success)
                  let rest = run.harness.rest, admin = run.admin, issue = run.ids["issue"] ?? ""
                  _ = await eventually(timeout: .seconds(10)) { (try? await rest.call(.GET, "/api/issues/\(issue)", token: admin).body.contains("\"RESOLVED\"")) ?? false }
              }),
        Route(method: .POST, path: "/api/silences", body: #"{"scope":"camera","value":"L-{c}","minutes":5}"#, minimum: .operator, success: 200, siteObject: true,
              capture: { answer, run in
                  struct Items: Decodable { var items: [Silence] }
                  run.ids["silence"] = (try? JSONDecoder.contract.decode(Items.self, from: answer.data))?.items.first { $0.value == "L-\(run.caller.key)" }?.id
              }),
        Route(method: .PUT, path: "/api/silences/{silence}", body: #"{"scope":"camera","value":"L-{c}","minutes":10}"#, minimum: .operator, success: 200, siteObject: true,
              before: { run in try await run.makeSilence() }),
        Route(method: .POST, path: "/api/silences/{silence}/end", minimum: .operator, success: 200, siteObject: true,
              before: { run in try await run.makeSilence() }),
        Route(method: .DELETE, path: "/api/silences/{silence}", minimum: .operator, success: 200, siteObject: true,
              before: { run in try await run.makeSilence() }),

        Route(method: .POST, path: "/api/cameras", body: #"{"id":"N-{c}","address":"n-{c}.cams.test","site":"{site}"}"#, minimum: .admin, success: 201, siteObject: true),
        Route(method: .PUT, path: "/api/cameras/M-{c}", body: #"{"address":"m-{c}.cams.test","site":"{site}","name":"replaced"}"#, minimum: .admin, success: 200, siteObject: true),
        Route(method: .PATCH, path: "/api/cameras/M-{c}", body: #"{"name":"patched"}"#, minimum: .admin, success: 200, siteObject: true),
        Route(method: .POST, path: "/api/cameras/M-{c}/disable", minimum: .admin, success: 200, siteObject: true),
        Route(method: .POST, path: "/api/cameras/M-{c}/enable", minimum: .admin, success: 200, siteObject: true),
        Route(method: .DELETE, path: "/api/cameras/M-{c}", minimum: .admin, success: 204, siteObject: true),
        Route(method: .POST, path: "/api/cameras/bulk-delete", body: #"{"ids":["D-{c}"]}"#, minimum: .admin, success: 200, siteObject: true),
        Route(method: .POST, path: "/api/imports?mode=validate&format=csv", body: csv, minimum: .admin, success: 202, everySite: true,
              capture: { answer, run in run.ids["import"] = (try? JSONDecoder().decode(ImportJobID.self, from: answer.data))?.id }),
        Route(method: .GET, path: "/api/imports/{import}", minimum: .admin, success: 200, everySite: true),
        Route(method: .GET, path: "/api/users", minimum: .admin, success: 200, everySite: true),
        Route(method: .POST, path: "/api/users", body: #"{"name":"u-{c}","password":"long enough password","role":"viewer"}"#, minimum: .admin, success: 201, everySite: true),
        Route(method: .PATCH, path: "/api/users/u-{c}", body: #"{"role":"operator","sites":["A"]}"#, minimum: .admin, success: 200, everySite: true),
        Route(method: .DELETE, path: "/api/users/u-{c}", minimum: .admin, success: 204, everySite: true),
        Route(method: .GET, path: "/api/tokens", minimum: .admin, success: 200, everySite: true),
        Route(method: .POST, path: "/api/tokens", body: #"{"name":"t-{c}","role":"viewer","expiresInDays":1}"#, minimum: .admin, success: 201, everySite: true,
              capture: { answer, run in
                  struct Created: Decodable { struct T: Decodable { var id: String }; var token: T }
                  run.ids["token"] = (try? JSONDecoder().decode(Created.self, from: answer.data))?.token.id
              }),
        Route(method: .DELETE, path: "/api/tokens/{token}", minimum: .admin, success: 204, everySite: true),
        Route(method: .GET, path: "/api/audit", minimum: .admin, success: 200, everySite: true),
        Route(method: .DELETE, path: "/api/session", minimum: .viewer, success: 204),
    ]

    struct ImportJobID: Decodable { var id: String }

    func expected(_ route: Route, for caller: Caller) -> Int {
        guard let minimum = route.minimum else { return route.success }
        guard let role = caller.role else { return 401 }
        if role < minimum || route.sessionOnly { return 403 }
        if caller.limitedToA, route.everySite || (route.siteObject && caller.site != "A") { return 403 }
        return route.success
    }

    @Test("every route answers each caller as its rule says, and site-limited tokens stay on their site")
    func everyRouteEveryRole() async throws {
        let harness = try await GatewayHarness(notifier: true)
        // Stopped also when a step throws (its HTTP client must be shut down before it goes away).
        do { try await everyRouteEveryRole(harness) } catch { await harness.stop(); throw error }
        await harness.stop()
    }

    func everyRouteEveryRole(_ harness: GatewayHarness) async throws {
        let dir = harness.dataDir
        let admin = try TestAccounts.adminToken(dataDir: dir)
        let callers = [
            Caller(key: "anon", role: nil, token: nil, site: "A", limitedToA: false),
            Caller(key: "viewer", role: .viewer, token: try TestAccounts.token(dataDir: dir, role: .viewer), site: "A", limitedToA: false),
            Caller(key: "operator", role: .operator, token: try TestAccounts.token(dataDir: dir, role: .operator), site: "A", limitedToA: false),
            Caller(key: "admin", role: .admin, token: admin, site: "A", limitedToA: false),
            Caller(key: "adminA-own", role: .admin, token: try TestAccounts.token(dataDir: dir, role: .admin, sites: ["A"]), site: "A", limitedToA: true),
            Caller(key: "adminA-other", role: .admin, token: try TestAccounts.token(dataDir: dir, role: .admin, sites: ["A"]), site: "B", limitedToA: true),
        ]
        // Fixtures per caller: an incident camera L, a camera to change M, one to bulk-delete D.
        for caller in callers {
            for (prefix, octet) in [("L", 1), ("M", 2), ("D", 3)] {
                let made = try await harness.rest.call(.POST, "/api/cameras", body: #"{"id":"\#(prefix)-\#(caller.key)","address":"\#(prefix.lowercased())-\#(caller.key).cams.test","site":"\#(caller.site)"}"#, token: admin)
                #expect(made.status == 201, "fixture \(prefix)-\(caller.key) (\(octet)): \(made.body)")
            }
        }
        // A kept frame per incident camera (what the prober's picture check writes), for the snapshot route.
        let snapshots = SnapshotStore(dataDir: dir)
        for caller in callers {
            let file = snapshots.newFile(camera: "L-\(caller.key)")
            try Data([0xFF, 0xD8, 0xFF, 0xD9]).write(to: file)
            #expect(snapshots.keep(file, camera: "L-\(caller.key)") != nil)
        }
        // The issues service knows every camera (and its site) before the first failing result.
        let rest = harness.rest
        #expect(await eventually(timeout: .seconds(15)) {
            (try? await rest.call(.GET, "/api/cameras?limit=1000", token: admin).body.contains("\"total\":\(callers.count * 3)")) ?? false
        })
        try await Task.sleep(for: .milliseconds(500))
        for caller in callers { try await harness.publishICMP("L-\(caller.key)", .fail) }
        var table: [String: [String: String]] = [:]
        for caller in callers {
            let run = Run(caller: caller, harness: harness, admin: admin)
            let camera = "L-\(caller.key)"
            struct Items: Decodable { var items: [IssueRecord] }
            let found = await eventually(timeout: .seconds(15)) {
                guard let answer = try? await rest.call(.GET, "/api/issues?camera=\(camera)&state=all", token: admin),
                      let issue = (try? JSONDecoder.contract.decode(Items.self, from: answer.data))?.items.first else { return false }
                run.ids["issue"] = issue.id
                return (try? await rest.call(.GET, "/api/cameras/\(camera)/status", token: admin).status) == 200
            }
            #expect(found, "no incident and status for \(camera)")
            for route in Self.routes {
                if let before = route.before { try await before(run) }
                let path = run.fill(route.path)
                let answer = try await harness.rest.call(route.method, path, body: route.body.map(run.fill), token: caller.token,
                                                         readBody: !route.stream)
                let want = expected(route, for: caller)
                #expect(answer.status == want, "\(caller.key) \(route.method) \(path): got \(answer.status), expected \(want): \(answer.body.prefix(300))")
                if (200..<300).contains(answer.status) { route.capture?(answer, run) }
                table["\(route.method) \(route.path)", default: [:]][caller.key] = "\(answer.status)"
            }
        }
        // Lists a site-limited token reads hold its site only.
        let limited = callers[4].token
        let list = try await harness.rest.call(.GET, "/api/cameras?limit=1000", token: limited)
        #expect(list.body.contains("L-adminA-own") && !list.body.contains("L-adminA-other"), "a site-limited list shows only its site: \(list.body.prefix(300))")
        #expect(!list.body.contains("\"site\":\"B\""))

        // The table as tested, for the record.
        print("| route | " + callers.map(\.key).joined(separator: " | ") + " |")
        print("|---|" + callers.map { _ in "---" }.joined(separator: "|") + "|")
        for route in Self.routes {
            let row = table["\(route.method) \(route.path)"] ?? [:]
            print("| `\(route.method) \(route.path)` | " + callers.map { row[$0.key] ?? "-" }.joined(separator: " | ") + " |")
        }
    }
}

extension JSONDecoder {
    /// Decodes the contract's JSON (ISO 8601 dates with fractional seconds).
    static var contract: ContractJSONDecoder { ContractJSONDecoder() }
}

/// `ContractCodec.decodeValue` as a decoder value, so tests can write `JSONDecoder.contract.decode`.
struct ContractJSONDecoder {
    func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T { try ContractCodec.decodeValue(type, from: data) }
}
