import AsyncHTTPClient
import CCTVContract
import Foundation
import Gateway
import Logging
import MQTTBus
import NIOCore
import ServiceRuntime
import Testing
import TestSupport

/// A bulk import the way an operator does it: upload over REST, the gateway checks the file and hands
/// the rows to the registry over the broker, the registry applies them at once and publishes every
/// camera's retained config; then export → import changes nothing.
@Suite("bulk import end to end through a real mosquitto", .serialized, .runsAlone)
struct ImportEndToEndTests {
    @Test("an uploaded CSV becomes retained configs; a bad file changes nothing; export → import is a no-op")
    func importThroughTheBroker() async throws {
        var logger = Logger(label: "e2e-import")
        logger.logLevel = .warning
        let running = try TestInstallation([.registry, .gateway], logger: logger)
        let broker = running.broker

        let observer = MQTTClient(configuration: .init(port: broker.port, clientID: "observer-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
        let configs = try await Collector.subscribing(observer, to: "cctv/+/config")
        observer.start()
        try await observer.waitUntilConnected()

        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let api = running.baseURL + "/api"
        let token = try TestAccounts.adminToken(dataDir: running.dataDir)
        @Sendable func call(_ http: HTTPClient, post: Bool = false, patch: Bool = false, _ url: String, body: Data? = nil) async throws -> (status: Int, data: Data, body: String) {
            try await ImportEndToEndTests.call(http, post: post, patch: patch, url, body: body, token: token)
        }
        @Sendable func runImport(_ http: HTTPClient, _ api: String, _ file: Data, query: String) async throws -> ImportJob {
            try await ImportEndToEndTests.runImport(http, api, file, query: query, token: token)
        }
        #expect(await eventually(timeout: .seconds(20)) { (try? await call(http, "\(api)/summary").status) == 200 }, "gateway did not come up")

        let count = 1_200 // more than one batch
        var csv = "자산번호,카메라명,IP주소,HLS주소,설치장소,계정,비밀번호\r\n"
        for i in 0..<count { csv += "CAM-\(i),카메라 \(i),127.10.\(i / 250).\(i % 250 + 1),http://127.10.\(i / 250).\(i % 250 + 1)/live.m3u8,본관,viewer,pw-\(i)\r\n" }

        // A file with one bad row is refused as a whole: nothing reaches the broker.
        let bad = csv + "CAM-X,bad,127.10.0.1,,,,\r\n"
        let refused = try await runImport(http, api, Data(bad.utf8), query: "mode=apply&format=csv")
        #expect(refused.state == .done && !refused.report.applied)
        #expect(refused.problems?.map(\.row) == [count + 2])
        #expect(refused.problems?.first?.reason == "duplicate_address")
        #expect(try await call(http, "\(api)/cameras?limit=1").body.contains("\"total\":0"))

        let job = try await runImport(http, api, Data(csv.utf8), query: "mode=apply&format=csv")
        #expect(job.state == .done, "\(String(describing: job.error))")
        #expect(job.report.applied && job.report.created == count)
        let ids = Set((0..<count).map { "cctv/CAM-\($0)/config" })
        #expect(await eventually(timeout: .seconds(60)) { Set(configs.all.map(\.topic)).isSuperset(of: ids) }, "every camera's retained config is published")
        #expect(!configs.all.contains { String(decoding: $0.payload, as: UTF8.self).contains("pw-") }, "credentials never reach the broker")
        #expect(await eventually(timeout: .seconds(30)) { (try? await call(http, "\(api)/cameras?limit=1").body.contains("\"total\":\(count)")) ?? false })

        // Export is the same columns without credentials; importing it back changes nothing.
        for format in ["csv", "xlsx"] {
            let exported = try await call(http, "\(api)/cameras/export?format=\(format)&lang=ko")
            #expect(exported.status == 200)
            #expect(!exported.data.isEmpty)
            if format == "csv" { #expect(!String(decoding: exported.data, as: UTF8.self).contains("pw-")) }
            let again = try await runImport(http, api, exported.data, query: "mode=apply")
            #expect(again.report.unchanged == count && again.report.created + again.report.updated == 0, "\(format): \(again.report)")
        }
        let template = try await call(http, "\(api)/cameras/template?format=xlsx&lang=en")
        #expect(template.status == 200 && template.data.starts(with: [0x50, 0x4B]))
        #expect(try await call(http, "\(api)/cameras/export?format=pdf").status == 400)
        #expect(try await call(http, "\(api)/imports/imp-unknown").status == 404)

        // Partial update and bulk delete through REST; the tombstones reach the broker.
        let patched = try await call(http, patch: true, "\(api)/cameras/CAM-0", body: Data(#"{"name":"새 이름","site":null}"#.utf8))
        #expect(patched.status == 200 && patched.body.contains("\"name\":\"새 이름\"") && !patched.body.contains("\"site\""), "\(patched.body)")
        let typo = try await call(http, patch: true, "\(api)/cameras/CAM-0", body: Data(#"{"nmae":"x"}"#.utf8))
        #expect(typo.status == 400 && typo.body.contains("nmae"))
        let removed = try await call(http, post: true, "\(api)/cameras/bulk-delete", body: Data(#"{"ids":["CAM-1","CAM-2","NOPE"]}"#.utf8))
        #expect(removed.body.contains(#""deleted":["CAM-1","CAM-2"]"#) && removed.body.contains(#""missing":["NOPE"]"#), "\(removed.body)")
        #expect(await eventually(timeout: .seconds(10)) { configs.all.contains { $0.topic == "cctv/CAM-2/config" && $0.payload.isEmpty } })

        // A prober asks for credentials on its credentials topic; they come back only to it, with their origin.
        let ask = Envelope(type: .registryCommand, source: "prober", data: CCTVContract.RegistryCommand(.credentials(id: "CAM-3")))
        let account = observer.configuration.clientID
        let answer = try await observer.request("registry/credentials/\(account)", payload: ContractCodec.encode(ask), replyPrefix: "replies", timeout: .seconds(10))
        let credentials = try ContractCodec.decode(answer.payload, as: RegistryReply.self, expecting: [.registryReply]).data.credentials
        #expect(credentials == CameraCredentials(id: "CAM-3", username: "viewer", password: "pw-3", origin: "http://127.10.0.4:80"))
        // Asked on the commands topic (where integrations may publish), they are refused.
        let refusedAsk = try await observer.request("registry/commands/\(account)", payload: ContractCodec.encode(ask), replyPrefix: "replies", timeout: .seconds(10))
        let refusal = try ContractCodec.decode(refusedAsk.payload, as: RegistryReply.self, expecting: [.registryReply]).data
        #expect(!refusal.ok && refusal.credentials == nil && refusal.error?.code == "forbidden")

        await observer.shutdown()
        await running.stop()
        try? await http.shutdown()
    }

    @Test("an import reaches every subscriber exactly once: one retained definition and one camera.created event per camera, the definition first")
    func importPublishedOnce() async throws {
        var logger = Logger(label: "e2e-import-once")
        logger.logLevel = .warning
        let running = try TestInstallation([.registry, .gateway], logger: logger)
        let observer = MQTTClient(configuration: .init(port: running.broker.port, clientID: "once-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
        let seen = try await Collector.subscribing(observer, to: "cctv/+/config", "registry/events")
        observer.start()
        try await observer.waitUntilConnected()
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let api = running.baseURL + "/api"
        let token = try TestAccounts.adminToken(dataDir: running.dataDir)
        #expect(await eventually(timeout: .seconds(20)) { (try? await Self.call(http, "\(api)/summary", token: token).status) == 200 }, "gateway did not come up")

        let count = 2_600 // several pages of the registry's bulk publishing, two of them in flight at once
        var csv = "자산번호,카메라명,IP주소,설치장소\r\n"
        for i in 0..<count { csv += "ONCE-\(i),카메라 \(i),127.11.\(i / 250).\(i % 250 + 1),본관\r\n" }
        let job = try await Self.runImport(http, api, Data(csv.utf8), query: "mode=apply&format=csv", token: token)
        #expect(job.report.applied && job.report.created == count, "\(job.report)")
        #expect(await seen.wait(forCount: 2 * count, timeout: .seconds(60)).count >= 2 * count)
        // The gateway's read store, one of the consumers, lists each camera once.
        #expect(await eventually(timeout: .seconds(30)) { (try? await Self.call(http, "\(api)/cameras?limit=1", token: token).body.contains("\"total\":\(count)")) ?? false })

        let messages = seen.all
        let configs = messages.filter { $0.topic.hasSuffix("/config") }
        let events = messages.compactMap { try? ContractCodec.decode($0.payload, as: CameraDefinition.self, expecting: [.cameraCreated]) }
        #expect(configs.count == count && Set(configs.map(\.topic)).count == count, "one retained definition per camera: \(configs.count)")
        #expect(events.count == count && Set(events.map(\.data.id)).count == count, "one camera.created per camera: \(events.count)")
        #expect(Set(events.map(\.id)).count == count, "every event has its own id")
        let definitions = configs.compactMap { try? ContractCodec.decode($0.payload, as: CameraDefinition.self, expecting: [.cameraConfig]).data }
        #expect(definitions.count == count && Set(definitions.map(\.id)) == Set(events.map(\.data.id)), "every definition decodes and matches an event")
        // A camera's event carries the same definition as its retained config, and comes after it.
        var configIndex: [String: Int] = [:]
        for (index, message) in messages.enumerated() where message.topic.hasSuffix("/config") { configIndex[message.topic] = index }
        for (index, message) in messages.enumerated() where message.topic == "registry/events" {
            guard let event = try? ContractCodec.decode(message.payload, as: CameraDefinition.self, expecting: [.cameraCreated]).data else { continue }
            let before = configIndex["cctv/\(event.id)/config"]
            #expect(before.map { $0 < index } == true, "\(event.id): its definition comes before its event")
            if before.map({ $0 < index }) != true { break }
        }
        #expect(Dictionary(uniqueKeysWithValues: definitions.map { ($0.id, $0) }) == Dictionary(uniqueKeysWithValues: events.map { ($0.data.id, $0.data) }),
                "the event carries the published definition")

        await observer.shutdown()
        await running.stop()
        try? await http.shutdown()
    }
}

extension ImportEndToEndTests {
static func runImport(_ http: HTTPClient, _ api: String, _ file: Data, query: String, token: String) async throws -> ImportJob {
    @Sendable func call(_ http: HTTPClient, post: Bool = false, _ url: String, body: Data? = nil) async throws -> (status: Int, data: Data, body: String) {
        try await ImportEndToEndTests.call(http, post: post, url, body: body, token: token)
    }
    let started = try await call(http, post: true, "\(api)/imports?\(query)", body: file)
    #expect(started.status == 202, "\(String(decoding: started.data, as: UTF8.self))")
    let job = try ContractCodec.decodeValue(ImportJob.self, from: started.data)
    var latest = job
    _ = await eventually(timeout: .seconds(120)) {
        guard let answer = try? await call(http, "\(api)/imports/\(job.id)"),
              let current = try? ContractCodec.decodeValue(ImportJob.self, from: answer.data) else { return false }
        return current.isFinished
    }
    latest = try ContractCodec.decodeValue(ImportJob.self, from: try await call(http, "\(api)/imports/\(job.id)").data)
    return latest
}

static func call(_ http: HTTPClient, post: Bool = false, patch: Bool = false, _ url: String, body: Data? = nil, token: String) async throws -> (status: Int, data: Data, body: String) {
    var request = HTTPClientRequest(url: url)
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    if post { request.method = .POST }
    if patch { request.method = .PATCH }
    if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
    let response = try await http.execute(request, timeout: .seconds(60))
    let bytes = try await response.body.collect(upTo: 64 << 20)
    let data = Data(bytes.readableBytesView)
    return (Int(response.status.code), data, String(decoding: data, as: UTF8.self))
}
}
