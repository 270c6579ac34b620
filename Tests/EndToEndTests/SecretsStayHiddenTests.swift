import CCTVContract
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import ServiceRuntime
import Testing
import TestSupport

/// A camera registered with stream credentials through REST: the prober gets them (the camera
/// sees them), and the plain password appears nowhere else — not in any REST answer, retained
/// MQTT message, log line, export, nor in the bytes of any file of the data folder.
@Suite("secrets stay secret", .serialized, .runsAlone)
struct SecretsStayHiddenTests {
    /// A camera on loopback that wants Basic credentials for its playlist and records what it got.
    final class AuthCamera: Sendable {
        let port: Int
        let seen = Recorder<String>()
        let task: Task<Void, any Error>
        let group: ServiceGroup

        init() async throws {
            let port = try FreePort.find()
            self.port = port
            let seen = seen
            let router = Router()
            router.get("/live.m3u8") { request, _ -> Response in
                let authorization = request.headers[.authorization] ?? ""
                seen.append(authorization)
                guard authorization.hasPrefix("Basic ") else {
                    return Response(status: .unauthorized, headers: [.wwwAuthenticate: #"Basic realm="cam""#])
                }
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nseg1.ts\n")))
            }
            var logger = Logger(label: "auth-camera")
            logger.logLevel = .error
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
            group = ServiceGroup(configuration: .init(services: [app], logger: logger))
            let group = group
            task = Task { try await group.run() }
            guard await eventually(timeout: .seconds(10), { FreePort.isListening(port) }) else { throw FixtureError("camera server did not start") }
        }

        func stop() async {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
        }
    }

    @Test("credentials reach the camera and nothing else: REST, retained MQTT, logs, exports, data files")
    func searchEverywhere() async throws {
        let camera = try await AuthCamera()
        let harness = try await GatewayHarness(prober: true)
        let admin = try TestAccounts.adminToken(dataDir: harness.dataDir)
        let rest = harness.rest
        let password = "Zq7-secret-\(UUID().uuidString.prefix(8))"
        let basic = Data("admin:\(password)".utf8).base64EncodedString()
        let body = #"{"id":"CAM-SEC","address":"127.0.0.1","hlsURL":"http://127.0.0.1:\#(camera.port)/live.m3u8","username":"admin","password":"\#(password)","name":"=HYPERLINK(\"http://evil.example\")"}"#
        let created = try await rest.call(.POST, "/api/cameras", body: body, token: admin)
        #expect(created.status == 201, "\(created.body)")
        #expect(await eventually(timeout: .seconds(30)) { camera.seen.all.contains("Basic \(basic)") },
                "the prober answered the camera's challenge with the stored credentials")

        // Moving the stream to another host without entering the credentials again is refused.
        let moved = try await rest.call(.PATCH, "/api/cameras/CAM-SEC", body: #"{"hlsURL":"http://127.0.0.2:\#(camera.port)/live.m3u8"}"#, token: admin)
        #expect(moved.status == 400 && moved.body.contains("credentials_origin_changed"), "\(moved.body)")

        var texts: [(String, String)] = []
        for path in ["/api/cameras/CAM-SEC", "/api/cameras?limit=100", "/api/issues?state=all", "/api/notifications", "/api/audit?limit=1000",
                     "/api/cameras/export?format=csv", "/api/summary"] {
            let answer = try await rest.call(.GET, path, token: admin)
            #expect(answer.status == 200, "\(path)")
            texts.append((path, answer.body))
        }
        let csv = texts.first { $0.0.contains("export") }?.1 ?? ""
        #expect(csv.contains("'=HYPERLINK"), "a formula in a camera name is exported as text: \(csv.prefix(300))")
        let xlsx = try await rest.call(.GET, "/api/cameras/export?format=xlsx", token: admin)
        texts.append(("export.xlsx", try await Self.unzipText(xlsx.data)))

        let sub = try RequiredTool.path("mosquitto_sub", package: "mosquitto-clients")
        texts.append(("retained MQTT", try await ToolProcess.run(sub, ["-h", "127.0.0.1", "-p", "\(harness.broker.port)", "-t", "#", "--retained-only", "-v", "-W", "3"]).output))
        texts.append(("logs", harness.logs.all.joined(separator: "\n")))
        #expect(harness.logs.all.count > 20, "the services did log")

        for (place, text) in texts {
            #expect(!text.contains(password), "the password appears in \(place)")
            #expect(!text.contains(basic), "the Basic credentials appear in \(place)")
        }

        // Every byte of every file the services keep: SQLite databases, their WAL, the key file.
        await harness.stop(keepData: true)
        let files = FileManager.default.enumerator(atPath: harness.dataDir)?.compactMap { $0 as? String } ?? []
        #expect(files.contains("registry.sqlite"))
        for file in files {
            let path = "\(harness.dataDir)/\(file)"
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            #expect(data.range(of: Data(password.utf8)) == nil, "the password is in the bytes of \(file)")
            if file.hasSuffix(".sqlite") || file == "secrets.key" {
                #expect(DataFolder.mode(of: path) == 0o600, "\(file) is mode \(String(DataFolder.mode(of: path) ?? 0, radix: 8))")
            }
        }
        #expect(DataFolder.mode(of: harness.dataDir) == 0o700)
        try? FileManager.default.removeItem(atPath: harness.dataDir)
        await camera.stop()
    }

    /// Every entry of a zip (an .xlsx) as text.
    static func unzipText(_ data: Data) async throws -> String {
        let python = try RequiredTool.path("python3", package: "python3")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString).xlsx")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(''.join(z.read(n).decode('utf-8','replace') for n in z.namelist()))"
        return try await ToolProcess.run(python, ["-c", script, file.path]).output
    }
}
