import AsyncHTTPClient
import CCTVContract
import Foundation
import NIOCore
import NIOHTTP1

/// The REST calls `cctv-out cameras …` makes against a running installation's gateway.
struct CamerasAPIClient {
    let base: String
    let http = HTTPClient.shared
    /// An API token from `CCTVOUT_API_TOKEN` (an environment variable, never a flag: flags show in `ps`).
    let token = ProcessInfo.processInfo.environment["CCTVOUT_API_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }

    /// - Throws: `ValidationError`-style errors a user can read when the URL is not http(s).
    init(api: String) throws {
        var trimmed = api
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = URL(string: trimmed), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw CLIError("--api must be an http(s) URL such as http://localhost:8080; got \(api)")
        }
        base = trimmed
    }

    struct Answer {
        var status: Int
        var body: Data
        var headers: [String: String]
    }

    func call(_ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String = "application/json", timeout: Duration = .seconds(60)) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
        } catch {
            throw CLIError("cannot reach \(base): \(error). Is cctv-out running there (--api)?")
        }
        let bytes = try await response.body.collect(upTo: 512 << 20)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return Answer(status: Int(response.status.code), body: Data(bytes.readableBytesView), headers: headers)
    }

    /// Decodes a 2xx body, or throws the API's error sentence.
    func expect<T: Decodable>(_ answer: Answer, as type: T.Type) throws -> T {
        try Self.check(answer)
        do { return try ContractCodec.decodeValue(type, from: answer.body) } catch {
            throw CLIError("unexpected answer from the API: \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
        }
    }

    static func check(_ answer: Answer) throws {
        if answer.status == 401 {
            throw CLIError("HTTP 401: the gateway needs an API token: create one in the dashboard (admin → API tokens) and set CCTVOUT_API_TOKEN")
        }
        guard (200..<300).contains(answer.status) else {
            struct Failure: Decodable { var error: ContractError }
            if let failure = try? ContractCodec.decodeValue(Failure.self, from: answer.body) {
                throw CLIError("HTTP \(answer.status): \(failure.error.description)" + (failure.error.existingID.map { " (existing camera: \($0))" } ?? ""))
            }
            throw CLIError("HTTP \(answer.status): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
        }
    }
}

/// A failure the CLI prints as one sentence and exits non-zero.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Percent-encodes a query value or path segment.
func urlEncoded(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
}
