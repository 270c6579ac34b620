import Foundation
@testable import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `docs/openapi.yaml` is the REST API as it is: every route the gateway's router registers is in
/// it (and in the permission table, ``RoutePermissions``), nothing else is, every documented route
/// answers, and its error codes are ``APIErrorCode``'s.
@Suite("OpenAPI document of the REST API")
struct OpenAPIDocumentTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/openapi.yaml")

    /// `METHOD /path` of every operation under `paths:` (two-space path keys, four-space methods).
    static func documentedRoutes() throws -> Set<String> {
        var routes = Set<String>(), path: String?, inPaths = false
        for line in try String(contentsOf: document, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") { inPaths = line == "paths:"; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") { path = String(line.dropFirst(2).dropLast()); continue }
            let key = line.trimmingCharacters(in: .whitespaces).dropLast()
            if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), ["get", "put", "post", "patch", "delete"].contains(key), let path {
                routes.insert("\(key.uppercased()) \(path)")
            }
        }
        return routes
    }

    /// The codes listed in the document's `Error` schema.
    static func documentedErrorCodes() throws -> [String] {
        let text = try String(contentsOf: document, encoding: .utf8)
        guard let start = text.range(of: "              enum:\n") else { return [] }
        return text[start.upperBound...].split(separator: "\n").prefix { $0.hasPrefix("                - ") }.map { String($0.dropFirst(18)) }
    }

    @Test("every route the router registers is documented, and every documented route is registered")
    func routerAndDocumentAgree() throws {
        let router = try DashboardFilesTests.api().api.router()
        let registered = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        let documented = try Self.documentedRoutes()
        #expect(registered.count > 60, "the router's routes were read: \(registered.count)")
        #expect(registered.subtracting(documented).isEmpty, "registered but not in docs/openapi.yaml: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "in docs/openapi.yaml but not registered: \(documented.subtracting(registered).sorted())")
    }

    @Test("the document lists the routes of the permission table, no more and no fewer")
    func permissionTableAndDocumentAgree() throws {
        let table = Set(RoutePermissions(openHealth: false, openMetrics: false).all.map { "\($0.method.rawValue) \($0.path)" })
        let documented = try Self.documentedRoutes()
        #expect(table.subtracting(documented).isEmpty, "in RoutePermissions but not documented: \(table.subtracting(documented).sorted())")
        #expect(documented.subtracting(table).isEmpty, "documented but without a permission line: \(documented.subtracting(table).sorted())")
    }

    @Test("every documented route answers an admin: none falls through to the router's 'no such route'")
    func everyDocumentedRouteAnswers() async throws {
        let (api, admin) = try DashboardFilesTests.api()
        let routes = try Self.documentedRoutes().sorted()
        // Server-Sent Events never end, so the router test client cannot collect them; the stream's
        // head is checked through a real server in RouteAuthorizationTests.
        let requests = routes.filter { $0 != "GET /api/events" }
        let unanswered = try await DashboardFilesTests.app(api).test(.router) { client in
            var unanswered: [String] = []
            for route in requests {
                let parts = route.split(separator: " ", maxSplits: 1)
                let method = HTTPRequest.Method(String(parts[0]))!
                let path = String(parts[1]).replacingOccurrences(of: #"\{[a-zA-Z]+\}|\*\*"#, with: "x", options: .regularExpression)
                var headers = admin
                headers[.contentType] = "application/json"
                let response = try await client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(string: "{}"))
                // A handler's own refusal carries a code; the router's "no such route" does not.
                let handled = String(buffer: response.body).contains("\"code\"")
                if [.notFound, .methodNotAllowed].contains(response.status), !handled { unanswered.append("\(route) → \(response.status.code)") }
            }
            return unanswered
        }
        #expect(requests.count > 60)
        #expect(unanswered.isEmpty, "documented but not answered: \(unanswered)")
    }

    @Test("the error codes in the document are the REST API's codes")
    func errorCodes() throws {
        #expect(try Self.documentedErrorCodes() == APIErrorCode.allCases.map(\.rawValue))
    }
}
