import Foundation
import NIOCore

/// The dashboard's static files (`Sources/Gateway/Dashboard/`, a bundle resource), read once at
/// start and served from memory: `/` is `index.html`, `/login`, `/setup` and `/admin` their pages,
/// every file also under `/ui/<path>`. Scripts and styles are files, never inline, so the
/// Content-Security-Policy can forbid inline script.
struct DashboardFiles: Sendable {
    struct File: Sendable {
        var body: ByteBuffer
        var contentType: String
    }

    /// Relative path (`index.html`, `js/app.js`) → file.
    let files: [String: File]

    static func load() -> DashboardFiles {
        guard let root = Bundle.module.url(forResource: "Dashboard", withExtension: nil),
              let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return DashboardFiles(files: ["index.html": File(body: ByteBuffer(string: "<h1>CCTV Out</h1>"), contentType: "text/html; charset=utf-8")])
        }
        var files: [String: File] = [:]
        let base = root.resolvingSymlinksInPath().path
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true, let data = try? Data(contentsOf: url) else { continue }
            var relative = String(url.resolvingSymlinksInPath().path.dropFirst(base.count))
            while relative.hasPrefix("/") { relative.removeFirst() }
            files[relative] = File(body: ByteBuffer(bytes: data), contentType: contentType(of: relative))
        }
        return DashboardFiles(files: files)
    }

    subscript(path: String) -> File? { files[path] }

    static func contentType(of path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json": "application/json; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }
}
