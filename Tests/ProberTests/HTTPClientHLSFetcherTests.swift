import CCTVContract
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceRuntime
@testable import Prober
import TestSupport
import Testing

@Suite("HLS fetch adapter over AsyncHTTPClient", .runsAlone)
struct HTTPClientHLSFetcherTests {
    /// A camera on loopback that wants digest (or basic, at /basic) credentials admin/secret.
    final class ProtectedCamera: Sendable {
        let port: Int
        /// Every Authorization header the camera received.
        let authorizations = Recorder<String>()
        private let task: Task<Void, any Error>

        init() async throws {
            let port = try FreePort.find()
            self.port = port
            let router = Router()
            let authorizations = authorizations
            router.get("/redirect") { request, _ -> Response in
                Response(status: .found, headers: [.location: request.uri.queryParameters.get("to") ?? "/"])
            }
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
                if let authorization = request.headers[.authorization] { authorizations.append(authorization) }
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

    @Test("credentials go only to the origin they were entered for: not after a redirect elsewhere, not to another server's challenge")
    func credentialsBoundToOrigin() async throws {
        let home = try await ProtectedCamera()
        let elsewhere = try await ProtectedCamera()
        let fetcher = HTTPClientHLSFetcher()
        let credentials = StreamCredentials(username: "admin", password: "secret", origin: "http://127.0.0.1:\(home.port)")
        #expect(await Self.status(fetcher, "http://127.0.0.1:\(home.port)/basic/index.m3u8", credentials: credentials) == 200)
        let target = "http://127.0.0.1:\(elsewhere.port)/basic/index.m3u8"
        let redirected = "http://127.0.0.1:\(home.port)/redirect?to=\(target.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
        #expect(await Self.status(fetcher, redirected, credentials: credentials) == 401, "followed without credentials, as browsers do")
        #expect(await Self.status(fetcher, target, credentials: credentials) == 401, "another origin's challenge is not answered")
        #expect(elsewhere.authorizations.all.isEmpty, "the other server never saw the credentials")
        await fetcher.shutdown()
    }

    @Test("a link-local or cloud-metadata URL, first or after a redirect, is refused before any packet leaves")
    func metadataAddressRefused() async throws {
        let chain = try IptablesChain()
        defer { chain.removeAll() }
        try chain.captureOutgoing(to: "169.254.0.0/16")
        try chain.append(["-j", "DROP"])
        let camera = try await ProtectedCamera()
        let fetcher = HTTPClientHLSFetcher()
        for url in ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:\(camera.port)/redirect?to=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F"] {
            let request = HLSFetchRequest(url: URL(string: url)!, maxBytes: 1024, overflow: .fail, deadline: .now + .seconds(5))
            guard case let .failure(failure) = await fetcher.fetch(request), case .blockedAddress = failure else {
                Issue.record("\(url) was not refused as a blocked address"); continue
            }
            #expect(failure.reason == "blocked_address")
        }
        #expect(try chain.packetCount() == 0, "nothing was sent towards 169.254.0.0/16")
        #expect(DestinationPolicy().refusal(address: "fd00:ec2::254") != nil)
        #expect(DestinationPolicy().refusal(address: "fe80::1") != nil)
        #expect(DestinationPolicy().refusal(address: "::ffff:169.254.169.254") != nil)
        #expect(DestinationPolicy().refusal(address: "127.0.0.1") == nil)
        #expect(DestinationPolicy(allowLinkLocal: true).refusal(address: "169.254.169.254") == nil)
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
