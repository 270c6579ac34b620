import Foundation
import Hummingbird
import Logging
import NIOCore
@testable import Prober
import TestSupport
import Testing

@Suite("HLS fetch adapter over AsyncHTTPClient")
struct HTTPClientHLSFetcherTests {
    /// A camera on loopback that wants digest (or basic, at /basic) credentials admin/secret.
    final class ProtectedCamera: Sendable {
        let port: Int
        private let task: Task<Void, any Error>

        init() async throws {
            let port = try FreePort.find()
            self.port = port
            let router = Router()
            router.get("/digest/index.m3u8") { request, _ -> Response in
                let authorization = request.headers[.authorization] ?? ""
                let params = HTTPAuthentication.parameters(String(authorization.dropFirst("Digest ".count)))
                guard authorization.hasPrefix("Digest "), params["username"] == "admin", let cnonce = params["cnonce"],
                      let expected = HTTPAuthentication.authorization(
                          for: #"Digest realm="cam", nonce="n0nce", qop="auth""#, credentials: .init(username: "admin", password: "secret"),
                          method: "GET", url: URL(string: "http://127.0.0.1:\(port)/digest/index.m3u8")!, cnonce: cnonce),
                      HTTPAuthentication.parameters(String(expected.dropFirst("Digest ".count)))["response"] == params["response"] else {
                    return Response(status: .unauthorized, headers: [.wwwAuthenticate: #"Digest realm="cam", nonce="n0nce", qop="auth""#])
                }
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "#EXTM3U\n")))
            }
            router.get("/basic/index.m3u8") { request, _ -> Response in
                guard request.headers[.authorization] == "Basic YWRtaW46c2VjcmV0" else {
                    return Response(status: .unauthorized, headers: [.wwwAuthenticate: #"Basic realm="cam""#])
                }
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "#EXTM3U\n")))
            }
            var logger = Logger(label: "protected-camera")
            logger.logLevel = .critical
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
            task = Task { try await app.runService() }
            for _ in 0..<200 where !FreePort.isListening(port) { try await Task.sleep(for: .milliseconds(20)) }
        }

        deinit { task.cancel() }
    }

    static func status(_ fetcher: HTTPClientHLSFetcher, _ url: String, credentials: StreamCredentials?) async -> Int? {
        let request = HLSFetchRequest(url: URL(string: url)!, maxBytes: 1024, overflow: .fail,
                                      deadline: .now + .seconds(5), credentials: credentials)
        guard case let .response(response) = await fetcher.fetch(request) else { return nil }
        return response.status
    }

    @Test("digest and basic credentials are answered when the camera asks; without them it is 401", arguments: ["digest", "basic"])
    func credentials(scheme: String) async throws {
        let camera = try await ProtectedCamera()
        let fetcher = HTTPClientHLSFetcher()
        let url = "http://127.0.0.1:\(camera.port)/\(scheme)/index.m3u8"
        #expect(await Self.status(fetcher, url, credentials: nil) == 401)
        #expect(await Self.status(fetcher, url, credentials: .init(username: "admin", password: "wrong")) == 401)
        #expect(await Self.status(fetcher, url, credentials: .init(username: "admin", password: "secret")) == 200)
        await fetcher.shutdown()
    }

    @Test("a deadline already passed is a timeout without any request")
    func pastDeadline() async {
        let fetcher = HTTPClientHLSFetcher()
        let request = HLSFetchRequest(url: URL(string: "http://127.0.0.1:9/x")!, maxBytes: 10, overflow: .fail, deadline: .now - .seconds(1))
        guard case .failure(.timeout) = await fetcher.fetch(request) else { Issue.record("expected a timeout"); return }
        await fetcher.shutdown()
    }
}
