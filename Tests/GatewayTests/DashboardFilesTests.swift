import CCTVContract
import Foundation
@testable import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The dashboard as a browser gets it: static ES modules with a strict CSP, every referenced file
/// present, nothing inline, a development folder read on every request, and the server's vocabulary.
@Suite("dashboard files and vocabulary")
struct DashboardFilesTests {
    /// The API on a fresh data folder, and an admin's bearer header for it (the pages need a signed-in reader; /admin an admin).
    static func api(files: DashboardFiles = .embedded()) throws -> (api: GatewayAPI, viewer: HTTPFields) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gw-files-\(UUID().uuidString)").path
        let accounts = try AccountStore(dataDir: dir, bcryptCost: 4)
        _ = try accounts.addAccount(name: "admin", password: "correct horse battery", role: .admin)
        let token = try accounts.createToken(name: "reader", role: .admin, createdBy: "test").secret
        let api = GatewayAPI(store: try ReadStore(dataDir: dir), hub: LiveHub(), access: AccessControl(accounts: accounts, logger: Logger(label: "test")),
                             files: files, registry: { _, _ in RegistryReply(ok: false) }, issueCommands: { _ in IssueReply(ok: false) })
        return (api, [.authorization: "Bearer \(token)"])
    }

    static func app(_ api: GatewayAPI) -> some ApplicationProtocol { Application(router: api.router()) }

    @Test("each page loads only its own files: no inline script or style, a CSP without unsafe-inline, every module import resolves",
          arguments: ["/", "/login", "/setup", "/admin"])
    func selfContained(page path: String) async throws {
        let (api, viewer) = try Self.api()
        let app = Self.app(api)
        try await app.test(.router) { client in
            let page = try await client.execute(uri: path, method: .get, headers: viewer)
            #expect(page.status == .ok)
            let csp = try #require(page.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"))
            let html = String(buffer: page.body)
            #expect(!html.contains("<style"), "no inline style element")
            #expect(html.range(of: #"<script(?![^>]*\bsrc=)"#, options: .regularExpression) == nil, "no inline script")
            #expect(html.range(of: #"\sstyle=""#, options: .regularExpression) == nil, "no style attribute")
            #expect(html.range(of: #"\son[a-z]+=""#, options: .regularExpression) == nil, "no inline event handler")
            // Every file the page names, and every module those import, is served with its type.
            // Static files only: links into the API (downloads) and to other pages (the admin's) are not part of the page.
            var pending = Self.references(in: html, relativeTo: "/").filter { $0.hasPrefix("/ui/") }
            var seen = Set<String>()
            while let path = pending.popLast() {
                guard seen.insert(path).inserted else { continue }
                let response = try await client.execute(uri: path, method: .get, headers: viewer)
                #expect(response.status == .ok, "\(path) is referenced but not served")
                let type = response.headers[.contentType] ?? ""
                if path.hasSuffix(".js") {
                    #expect(type.hasPrefix("text/javascript"), "\(path): \(type)")
                    let source = String(buffer: response.body)
                    #expect(!source.contains("innerHTML"), "\(path) builds DOM from strings")
                    pending += Self.imports(in: source, relativeTo: path)
                }
                if path.hasSuffix(".css") { #expect(type.hasPrefix("text/css")) }
            }
            #expect(seen.contains("/ui/css/app.css"), "\(path) uses the dashboard's colours: \(seen.sorted())")
            if path == "/" { #expect(seen.contains("/ui/js/main.js") && seen.count > 10, "the modules were followed: \(seen.sorted())") }
        }
    }

    @Test("paths outside the dashboard folder are not served", arguments: ["/ui/js/../../Package.swift", "/ui/js/%2e%2e/%2e%2e/Package.swift", "/ui/js/.hidden", "/ui/css/../index.html/../../x"])
    func traversal(path: String) async throws {
        let (api, viewer) = try Self.api(files: .folder(Self.sourceFolder))
        let app = Self.app(api)
        try await app.test(.router) { client in
            let response = try await client.execute(uri: path, method: .get, headers: viewer)
            #expect(response.status == .notFound, "\(path) → \(response.status)")
        }
    }

    @Test("with a development folder a changed file is served on the next request, without a rebuild")
    func developmentFolder() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("js"), withIntermediateDirectories: true)
        try Data("<p>one</p>".utf8).write(to: folder.appendingPathComponent("index.html"))
        try Data("export const v = 1;".utf8).write(to: folder.appendingPathComponent("js/main.js"))
        let (api, viewer) = try Self.api(files: .folder(folder.path))
        let app = Self.app(api)
        try await app.test(.router) { client in
            #expect(String(buffer: try await client.execute(uri: "/ui/js/main.js", method: .get).body) == "export const v = 1;")
            try Data("export const v = 2;".utf8).write(to: folder.appendingPathComponent("js/main.js"))
            #expect(String(buffer: try await client.execute(uri: "/ui/js/main.js", method: .get).body) == "export const v = 2;")
            #expect(String(buffer: try await client.execute(uri: "/", method: .get, headers: viewer).body) == "<p>one</p>")
        }
    }

    @Test("the vocabulary gives states worst first and the lifecycle's rules, each with Korean and English words")
    func vocabulary() async throws {
        let (api, viewer) = try Self.api()
        let app = Self.app(api)
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/api/vocabulary", method: .get, headers: viewer)
            #expect(response.status == .ok)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            let states = try #require(object["cameraStates"] as? [[String: Any]])
            #expect(states.compactMap { $0["code"] as? String }.prefix(4) == ["LINE_DOWN", "CAMERA_DOWN", "PICTURE_FAULT", "DEGRADED"])
            let actions = try #require(object["actions"] as? [[String: Any]])
            let acknowledge = try #require(actions.first { $0["path"] as? String == "acknowledge" })
            #expect(acknowledge["from"] as? [String] == ["OPEN"] && acknowledge["to"] as? String == "ACKNOWLEDGED")
            #expect((actions.first { $0["path"] as? String == "close" })?["from"] as? [String] == ["RESOLVED"])
            for group in ["cameraStates", "issueStates", "issueKinds", "parties", "icmpStatuses", "hlsStatuses", "actions", "silenceScopes"] {
                for term in try #require(object[group] as? [[String: Any]]) {
                    #expect(!((term["ko"] as? String) ?? "").isEmpty && !((term["en"] as? String) ?? "").isEmpty, "\(group) \(term)")
                }
            }
            let reasons = try #require(object["reasons"] as? [String: [String: String]])
            #expect(reasons["playlist_stale"]?["ko"]?.isEmpty == false)
        }
    }

    /// `Sources/Gateway/Dashboard` in the checkout.
    static let sourceFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/Gateway/Dashboard").path

    /// Same-origin `src` and `href` values in `html`.
    static func references(in html: String, relativeTo base: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: ##"(?:src|href)="(/[^"#?]+)""##)
        return pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)).compactMap { Range($0.range(at: 1), in: html).map { String(html[$0]) } }
    }

    /// Paths of the static `import … from './x.js'` statements of a module at `path`.
    static func imports(in source: String, relativeTo path: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: #"(?:from|import)\s*['"](\.{1,2}/[^'"]+)['"]"#)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        return pattern.matches(in: source, range: NSRange(source.startIndex..., in: source)).compactMap {
            Range($0.range(at: 1), in: source).map { folder.appendingPathComponent(String(source[$0])).standardized.path }
        }
    }
}
