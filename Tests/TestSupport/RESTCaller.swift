import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Calls the gateway's REST API the way a tool or a browser does: with an API token, or with a
/// session cookie and its CSRF token; keeps the answer's status, headers and body.
package struct RESTCaller: Sendable {
    package struct Answer: Sendable {
        package var status: Int
        package var headers: [(String, String)]
        package var data: Data
        package var body: String { String(decoding: data, as: UTF8.self) }
        /// Every value of a header (case-insensitive name).
        package func values(_ name: String) -> [String] { headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1) }
    }

    package let base: String
    package let http: HTTPClient

    /// - Parameter base: `http://127.0.0.1:PORT` (no trailing slash).
    package init(base: String, http: HTTPClient = .shared) {
        self.base = base
        self.http = http
    }

    /// One request. `token` → `Authorization: Bearer`; `cookie` and `csrf` as a browser session sends them.
    package func call(_ method: HTTPMethod, _ path: String, body: String? = nil, token: String? = nil, cookie: String? = nil,
                     csrf: String? = nil, headers extra: [(String, String)] = [], readBody: Bool = true) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        if let csrf { request.headers.add(name: "X-CSRF-Token", value: csrf) }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let data = readBody ? Data(try await response.body.collect(upTo: 64 << 20).readableBytesView) : Data()
        return Answer(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, data: data)
    }
}
