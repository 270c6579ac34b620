import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The dashboard's static files (HTML, CSS, ES modules): the copies built into the binary, or —
/// with `http.static-dir` — a folder on disk read on every request, so a front-end change shows on
/// reload without a Swift rebuild. Only files under the root are served (no `..`, no dot files).
public struct DashboardFiles: Sendable {
    enum Source: Sendable {
        case embedded([String: Data])
        case folder(URL)
    }

    let source: Source

    /// The files built into the binary (`Sources/Gateway/Dashboard`).
    public static func embedded() -> DashboardFiles {
        var files: [String: Data] = [:]
        if let root = Bundle.module.url(forResource: "Dashboard", withExtension: nil) {
            let rootPath = root.standardizedFileURL.path
            let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
            while let url = enumerator?.nextObject() as? URL {
                guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true, let data = try? Data(contentsOf: url) else { continue }
                let path = String(url.standardizedFileURL.path.dropFirst(rootPath.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
                files[path] = data
            }
        }
        return DashboardFiles(source: .embedded(files))
    }

    /// Files read from `folder` on every request (development).
    public static func folder(_ path: String) -> DashboardFiles {
        DashboardFiles(source: .folder(URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL))
    }

    /// The bytes and media type of `path` (relative, e.g. `js/main.js`), or `nil`.
    public func file(_ path: String) -> (data: Data, contentType: String)? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.isEmpty, parts.count <= 8, parts.allSatisfy({ !$0.hasPrefix(".") && !$0.contains("\\") }) else { return nil }
        let relative = parts.joined(separator: "/")
        let data: Data?
        switch source {
        case let .embedded(files):
            data = files[relative]
        case let .folder(root):
            let url = root.appendingPathComponent(relative).standardizedFileURL
            guard url.path.hasPrefix(root.path + "/") else { return nil }
            data = try? Data(contentsOf: url)
        }
        guard let data else { return nil }
        return (data, Self.mediaType(relative))
    }

    /// Media type by extension; unknown extensions are served as bytes.
    static func mediaType(_ path: String) -> String {
        switch path.split(separator: ".").last.map({ $0.lowercased() }) ?? "" {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json": "application/json; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "wav": "audio/wav"
        case "woff2": "font/woff2"
        default: "application/octet-stream"
        }
    }

    /// The Content-Security-Policy of every dashboard response: nothing inline, nothing from
    /// another origin (no CDN), so an injected `<script>` or `style=""` cannot run.
    public static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "font-src 'self'; media-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// A response for `path`, or 404.
    func response(_ path: String) -> Response {
        guard let (data, type) = file(path) else {
            return Response(status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "not found\n")))
        }
        var headers: HTTPFields = [.contentType: type, .cacheControl: "no-cache"]
        headers[HTTPField.Name("Content-Security-Policy")!] = Self.contentSecurityPolicy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
