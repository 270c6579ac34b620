import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP answer, for the gateway tests.
struct HTTPAnswer {
    var status: Int
    var body: String
    var headers: [String: String]
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }
}

/// A request through AsyncHTTPClient (a client like any other); JSON body when given.
func http(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, body: String? = nil, headers: [String: String] = [:],
          token: String? = nil) async throws -> HTTPAnswer {
    var request = HTTPClientRequest(url: url)
    request.method = method
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
    }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    let response = try await client.execute(request, timeout: .seconds(20))
    let collected = try await response.body.collect(upTo: 1 << 22)
    var fields: [String: String] = [:]
    for header in response.headers { fields[header.name.lowercased()] = header.value }
    return HTTPAnswer(status: Int(response.status.code), body: String(buffer: collected), headers: fields)
}
