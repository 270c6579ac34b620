import CCTVContract
import Foundation
import Logging
import MQTTBus
import Registry
import ServiceRuntime
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Registry replicas with real parts: two `cctv-out registry --registry-replica` processes on one
/// PostgreSQL and a mosquitto. Commands are shared (MQTT shared subscriptions): each is answered
/// once and applied once, concurrent changes of one camera from both replicas lose nothing and the
/// broker keeps the newest definition; after a SIGKILL of one the other answers every command.
@Suite("registry replicas on PostgreSQL: shared commands, one answer each, SIGKILL of one", .serialized, .runsAlone)
struct RegistryReplicaTests {
    static func start(_ replica: String, instance: String, database: String, brokerPort: Int) throws -> (CCTVOutProcess, String) {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("replica-\(UUID().uuidString)").path
        let process = try CCTVOutProcess(["registry", "--data-dir", dataDir, "--broker-url", "mqtt://127.0.0.1:\(brokerPort)", "--database", database,
                                          "--instance", instance, "--registry-replica", replica, "--log-level", "info"])
        return (process, dataDir)
    }

    /// A requester: sends commands on `registry/commands/{its id}` and waits for the reply, re-sending
    /// the same command (same envelope id) after a timeout, as the gateway does.
    struct Requester: Sendable {
        let client: MQTTClient
        let account: String

        /// The reply, and how many times the command was sent.
        func send(_ command: RegistryCommand, id: String = UUID().uuidString, tries: Int = 3) async throws -> (RegistryReply, Int) {
            let payload = try ContractCodec.encode(Envelope(type: .registryCommand, id: id, source: "replica-test", data: command))
            for attempt in 1...tries {
                do {
                    let answer = try await client.request("registry/commands/\(account)", payload: payload, timeout: .seconds(5))
                    return (try ContractCodec.decode(answer.payload, as: RegistryReply.self, expecting: [.registryReply]).data, attempt)
                } catch where attempt < tries {
                    continue
                }
            }
            throw FixtureError("unreachable")
        }
    }

    static func create(_ n: Int) -> RegistryCommand {
        RegistryCommand(.create(CameraInput(id: "RP-\(n)", name: "replica \(n)", address: "10.91.\(n / 250).\(n % 250 + 1)")))
    }

    /// Lines a replica logged for commands it applied (one per command, never for a repeat).
    static func applied(_ process: CCTVOutProcess) -> Int { process.lines(containing: "] command").filter { $0.hasSuffix("] command") }.count }

    @Test("40 creates from 8 requesters at once: 40 replies, 40 applied, both replicas share them; 20 concurrent renames of one camera on both replicas: version 21 in the store and on the broker; after a SIGKILL of one, the other answers the next 20")
    func sharedCommands() async throws {
        let url = try PostgresFixture.shared().database()
        let location = DatabaseLocation.postgres(try #require(try PostgresAddress.parse(url)))
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let instance = "rp-\(UUID().uuidString.prefix(6))"
        var logger = Logger(label: "replica-test")
        logger.logLevel = .critical
        let account = "tool-\(UUID().uuidString.prefix(6))"
        let client = MQTTClient(configuration: .init(port: broker.port, clientID: account, cleanStart: true), logger: logger)
        client.start()
        try await client.waitUntilConnected()
        defer { Task { await client.shutdown() } }
        // Every reply on the broker, to count them per request (correlation data).
        let spy = MQTTClient(configuration: .init(port: broker.port, clientID: "spy-\(account)", cleanStart: true), logger: logger)
        let replies = try await Collector.subscribing(spy, to: "replies/#")
        spy.start()
        try await spy.waitUntilConnected()
        defer { Task { await spy.shutdown() } }
        let requester = Requester(client: client, account: account)

        let (a, aDir) = try Self.start("a", instance: instance, database: url, brokerPort: broker.port)
        defer { try? FileManager.default.removeItem(atPath: aDir) }
        let (b, bDir) = try Self.start("b", instance: instance, database: url, brokerPort: broker.port)
        defer { try? FileManager.default.removeItem(atPath: bDir) }
        defer { for process in [a, b] where process.process.isRunning { process.process.send(SIGKILL) } }
        for replica in [a, b] {
            try #require(await replica.waitForLog("camera definitions published"), "\(replica.log.suffix(3000))")
        }

        // 1. Creates from several requesters at once.
        let created = try await withThrowingTaskGroup(of: (RegistryReply, Int).self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var last: (RegistryReply, Int)?
                    for n in stride(from: worker, to: 40, by: 8) {
                        let outcome = try await requester.send(Self.create(n))
                        #expect(outcome.0.ok, "create RP-\(n): \(String(describing: outcome.0.error))")
                        last = outcome
                    }
                    return last!
                }
            }
            var count = 0
            for try await _ in group { count += 1 }
            return count
        }
        #expect(created == 8)
        let store = try CameraStore(location: location, secretsDir: aDir + "-keys")
        defer { try? FileManager.default.removeItem(atPath: aDir + "-keys") }
        #expect(try store.list(limit: 1000).total == 40)
        let (byA, byB) = (Self.applied(a), Self.applied(b))
        #expect(byA + byB == 40, "each create applied once: a \(byA) + b \(byB)")
        #expect(byA > 0 && byB > 0, "both replicas take commands: a \(byA), b \(byB)")

        // 2. One camera renamed 20 times at once: every change applied (version 1 + 20), and the
        //    retained definition on the broker is the store's newest.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 1...20 {
                group.addTask {
                    var patch = CameraPatch()
                    patch.name = .some("renamed \(n)")
                    let rename = RegistryCommand(.patch(id: "RP-0", patch: patch, expectedVersion: nil))
                    let (reply, _) = try await requester.send(rename)
                    #expect(reply.ok, "rename \(n): \(String(describing: reply.error))")
                }
            }
            try await group.waitForAll()
        }
        let stored = try #require(try store.get(id: "RP-0"))
        #expect(stored.version == 21, "20 concurrent renames on two replicas: version \(stored.version), not 21")
        let reader = MQTTClient(configuration: .init(port: broker.port, clientID: "reader-\(account)", cleanStart: true), logger: logger)
        let retained = try await Collector.subscribing(reader, to: "cctv/RP-0/config")
        reader.start()
        defer { Task { await reader.shutdown() } }
        let onBroker = await retained.first(timeout: .seconds(10)) { _ in true }
        let definition = try onBroker.map { try ContractCodec.decode($0.payload, as: CameraDefinition.self, expecting: [.cameraConfig]).data }
        // (dates travel as whole seconds in JSON: version and name say which change it is)
        #expect(definition?.version == stored.version && definition?.name == stored.name, "the broker keeps the newest definition: version \(definition?.version ?? -1), store \(stored.version)")

        // 3. SIGKILL of one replica: the other answers every command sent afterwards.
        let bBefore = Self.applied(b)
        a.process.send(SIGKILL)
        var resent = 0
        for n in 40..<60 {
            let (reply, attempts) = try await requester.send(Self.create(n))
            #expect(reply.ok, "create RP-\(n) after the kill: \(String(describing: reply.error))")
            resent += attempts - 1
        }
        #expect(try store.list(limit: 1000).total == 60)
        #expect(Self.applied(b) - bBefore == 20, "the survivor applied \(Self.applied(b) - bBefore) of 20")
        let settled = (a.lines(containing: "a newer camera state was stored meanwhile") + b.lines(containing: "a newer camera state was stored meanwhile")).count
        print("REGISTRY REPLICAS: 40 creates shared a \(byA) / b \(byB); 20 concurrent renames → version \(stored.version), \(settled) stale publishes corrected; after SIGKILL of a: 20 of 20 answered by b, \(resent) re-sent after a 5 s timeout")

        // Exactly one reply per request (a re-sent command has its own correlation data).
        try await Task.sleep(for: .milliseconds(300))
        var perRequest: [[UInt8]: Int] = [:]
        for message in replies.all { perRequest[message.properties.correlationData ?? [], default: 0] += 1 }
        #expect(perRequest.values.allSatisfy { $0 == 1 }, "a request answered twice: \(perRequest.values.filter { $0 > 1 }.count)")
        #expect(perRequest.count >= 80, "\(perRequest.count) replies for 80 requests")
        _ = await b.stop(timeout: .seconds(10))
    }
}
