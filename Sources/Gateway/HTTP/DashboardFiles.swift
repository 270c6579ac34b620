import Foundation
import NIOCore

/// The dashboard's static files (`Sources/Gateway/Dashboard/`: pages, CSS, ES modules): the copies
/// built into the binary, read once at start and served from memory — or, with `http.static-dir`,
/// a folder on disk read on every request, so a front-end change shows on reload without a Swift
/// rebuild. `/` is `index.html`, `/login`, `/setup` and `/admin` their pages, every file also under
/// `/ui/<path>`. Scripts and styles are files, never inline, so the Content-Security-Policy can
/// forbid inline script. Only files under the root are served (no `..`, no dot files).
package struct DashboardFiles: Sendable {
    struct File: Sendable {
        var body: ByteBuffer
        var contentType: String
    }

    enum Source: Sendable {
        case embedded([String: File])
        case folder(URL)
    }

    let source: Source

    /// The files built into the binary.
    package static func embedded() -> DashboardFiles {
        guard let root = Bundle.module.url(forResource: "Dashboard", withExtension: nil),
              let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return DashboardFiles(source: .embedded(["index.html": File(body: ByteBuffer(string: "<h1>CCTV Out</h1>"), contentType: "text/html; charset=utf-8")]))
        }
        var files: [String: File] = [:]
        let base = root.resolvingSymlinksInPath().path
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true, let data = try? Data(contentsOf: url) else { continue }
            var relative = String(url.resolvingSymlinksInPath().path.dropFirst(base.count))
            while relative.hasPrefix("/") { relative.removeFirst() }
            files[relative] = File(body: ByteBuffer(bytes: data), contentType: contentType(of: relative))
        }
        return DashboardFiles(source: .embedded(files))
    }

    /// The files built into the binary (the name the pages' routes use).
    static func load() -> DashboardFiles { embedded() }

    /// Files read from `folder` on every request (development).
    package static func folder(_ path: String) -> DashboardFiles {
        DashboardFiles(source: .folder(URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL))
    }

    /// The file at `path` (relative, e.g. `js/main.js`), or `nil`.
    subscript(path: String) -> File? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.isEmpty, parts.count <= 8, parts.allSatisfy({ !$0.hasPrefix(".") && !$0.contains("\\") }) else { return nil }
        let relative = parts.joined(separator: "/")
        switch source {
        case let .embedded(files):
            return files[relative]
        case let .folder(root):
            let url = root.appendingPathComponent(relative).standardizedFileURL
            guard url.path.hasPrefix(root.path + "/"), let data = try? Data(contentsOf: url) else { return nil }
            return File(body: ByteBuffer(bytes: data), contentType: Self.contentType(of: relative))
        }
    }

    static func contentType(of path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json": "application/json; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "woff2": "font/woff2"
        default: "application/octet-stream"
        }
    }
}
