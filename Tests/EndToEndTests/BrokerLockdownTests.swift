import CCTVContract
import Foundation
import Installation
import Issues
import Logging
import MQTTBus
import Notifier
import ServiceRuntime
import Testing
import TestSupport

/// The private broker `serve` starts, locked down, against foreign clients: mosquitto_pub and
/// mosquitto_sub as other tools would use them, and MQTT clients with each service's account.
@Suite("the private broker is locked down", .serialized, .runsAlone)
struct BrokerLockdownTests {
    /// A locked-down private broker with a registry and an issues service connected by their own
    /// accounts, and two tool accounts (`integ`: integration, `reader`: reader).
    final class Locked: @unchecked Sendable {
        let broker: PrivateBroker
        let dataDir: String
        let instance: String
        let installation: Installation
        let running: Task<Void, any Error>
        let toolPassword = "tool-password-\(UUID().uuidString.prefix(6))"
        let logger: Logger
        var issues: IssuesService { installation.issues! }

        init(tls: TestCertificate? = nil, tlsPort: Int = 0, services: [ServiceKind] = [.registry, .issues],
             configure: (inout InstallationConfiguration) -> Void = { _ in }) async throws {
            dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString)").path
            instance = "lock-\(UUID().uuidString.prefix(6).lowercased())"
            var configuration = InstallationConfiguration()
            configuration.runtime.dataDir = dataDir
            configuration.runtime.instance = instance
            configuration.runtime.broker.port = try FreePort.find()
            configuration.issues.policy.openAfter = 1
            if let tls {
                configuration.runtime.broker.tlsPort = tlsPort
                configuration.runtime.broker.tlsHost = "127.0.0.1"
                configuration.runtime.broker.tlsCertificate = tls.certificate
                configuration.runtime.broker.tlsKey = tls.key
            }
            configure(&configuration)
            let tools = MQTTUserStore(dataDir: dataDir)
            try tools.put(name: "integ", role: .integration, password: toolPassword, reserved: [])
            try tools.put(name: "reader", role: .reader, password: toolPassword, reserved: [])
            var logger = Logger(label: "lockdown")
            logger.logLevel = .warning
            self.logger = logger
            broker = try await PrivateBroker.start(configuration: configuration.runtime.broker, dataDir: dataDir, topics: Topics(),
                                                   services: BrokerAccount.services(instance: instance), logger: logger)
            // The services (default: the registry and the issues service) as serve runs them: each on its own account.
            installation = try Installation(services, configuration: configuration,
                                            endpoint: BrokerEndpoint(host: "127.0.0.1", port: broker.port, servicePasswords: broker.servicePasswords),
                                            logger: logger)
            let installation = installation
            running = Task { try await installation.run() }
        }

        /// An MQTT client logged in as `account` (a service's or a tool's), connected.
        func client(_ account: String, password: String? = nil, clientID: String? = nil, tls: MQTTConfiguration.TLS? = nil, port: Int? = nil) -> MQTTClient {
            let client = MQTTClient(configuration: .init(port: port ?? broker.port, clientID: clientID ?? account, cleanStart: true, username: account,
                                                         password: password ?? broker.servicePasswords[account] ?? toolPassword, tls: tls), logger: logger)
            client.start()
            return client
        }

        /// Runs mosquitto_pub or mosquitto_sub as `account` (nil = anonymous). The password goes in
        /// the clients' options file, never on their command line.
        func tool(_ name: String, account: String?, _ arguments: [String]) async throws -> (status: Int32, output: String) {
            let executable = try RequiredTool.path(name, package: "mosquitto-clients")
            let config = "\(dataDir)/tool-config-\(UUID().uuidString.prefix(6))"
            try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
            try (account.map { "-u \($0)\n-P \(toolPassword)\n" } ?? "").write(toFile: "\(config)/\(name)", atomically: true, encoding: .utf8)
            let run = try await ToolProcess.run(executable, ["-h", "127.0.0.1", "-p", "\(broker.port)", "-V", "5"] + arguments,
                                                environment: ["XDG_CONFIG_HOME": config, "PATH": "/usr/bin:/bin"])
            return (run.status, run.output)
        }

        func stop() async {
            await installation.shutdown()
            _ = try? await running.value
            broker.stop()
            try? FileManager.default.removeItem(atPath: dataDir)
        }
    }

    static func icmp(_ camera: String, _ status: ICMPStatus) -> [UInt8] {
        ContractCodec.encode(Envelope(type: .probeICMP, source: "prober", data: ICMPResult(
            cameraID: camera, address: "127.0.0.1", status: status, reason: "no_reply", sent: 1, received: 0, lossPercent: 100,
            startedAt: Date(), durationMs: 1, prober: "test")))
    }

    @Test("anonymous clients are refused; a reader cannot publish at all")
    func anonymousAndReader() async throws {
        let locked = try await Locked()
        let anonymous = try await locked.tool("mosquitto_pub", account: nil, ["-q", "1", "-t", "registry/commands/x", "-m", "{}"])
        #expect(anonymous.status != 0 && anonymous.output.lowercased().contains("not authori"), "anonymous: \(anonymous.output)")
        let anonymousRead = try await locked.tool("mosquitto_sub", account: nil, ["-t", "#", "-W", "2"])
        #expect(anonymousRead.status != 0 && anonymousRead.output.lowercased().contains("not authori"), "anonymous read: \(anonymousRead.output)")
        for topic in ["registry/commands/reader", "cctv/CAM-1/icmp", "issues/opened", "services/registry/availability"] {
            let denied = try await locked.tool("mosquitto_pub", account: "reader", ["-q", "1", "-t", topic, "-m", "{}"])
            #expect(denied.output.lowercased().contains("not authori"), "reader publishing \(topic): \(denied.output)")
        }
        await locked.stop()
    }

    @Test("an integration cannot publish probe results or ask for credentials; a fake result never reaches the issues service")
    func integrationLimits() async throws {
        let locked = try await Locked()
        let denied = try await locked.tool("mosquitto_pub", account: "integ", ["-q", "1", "-t", "cctv/CAM-FAKE/icmp", "-m", "x"])
        #expect(denied.output.lowercased().contains("not authori"), "\(denied.output)")
        let asked = try await locked.tool("mosquitto_pub", account: "integ", ["-q", "1", "-t", "registry/credentials/integ", "-m", "x"])
        #expect(asked.output.lowercased().contains("not authori"), "\(asked.output)")

        let integ = locked.client("integ")
        try await integ.waitUntilConnected()
        // A fake FAIL for a camera that does not exist, and the credentials asked the other way.
        await #expect(throws: MQTTError.self) { try await integ.publish("cctv/CAM-FAKE/icmp", payload: Self.icmp("CAM-FAKE", .fail), timeout: .seconds(5)) }
        let ask = ContractCodec.encode(Envelope(type: .registryCommand, source: "integ", data: CCTVContract.RegistryCommand(.credentials(id: "CAM-1"))))
        let refused = try await integ.request("registry/commands/integ", payload: ask, timeout: .seconds(10))
        let reply = try ContractCodec.decode(refused.payload, as: RegistryReply.self, expecting: [.registryReply]).data
        #expect(!reply.ok && reply.error?.code == "forbidden" && reply.credentials == nil)
        // It may register cameras, and is recorded as itself.
        let create = ContractCodec.encode(Envelope(type: .registryCommand, source: "integ", data: CCTVContract.RegistryCommand(
            .create(CameraInput(id: "CAM-INTEG", address: "integ.cams.test")), actor: "the boss")))
        let made = try ContractCodec.decode(try await integ.request("registry/commands/integ", payload: create, timeout: .seconds(10)).payload,
                                            as: RegistryReply.self, expecting: [.registryReply]).data
        #expect(made.ok, "\(String(describing: made.error))")

        // The real prober's publishing account's result arrives; the fake one never did.
        let prober = locked.client(ServiceConnection.outbox.clientID(instance: locked.instance, service: "prober"))
        try await prober.waitUntilConnected()
        try await prober.publish("cctv/CAM-REAL/icmp", payload: Self.icmp("CAM-REAL", .fail), timeout: .seconds(5))
        let issues = locked.issues
        #expect(await eventually(timeout: .seconds(10)) { (try? issues.store.issues(openOnly: false).contains { $0.cameraID == "CAM-REAL" }) ?? false })
        #expect(try issues.store.issues(openOnly: false).allSatisfy { $0.cameraID != "CAM-FAKE" }, "a tool's fake result opened an incident")

        // Taking over a service's client id does not work: the client id is the account's name.
        let registry = locked.client("\(locked.instance)-gateway")
        try await registry.waitUntilConnected()
        let thief = locked.client("integ", clientID: "\(locked.instance)-gateway")
        try await thief.waitUntilConnected()
        try await Task.sleep(for: .milliseconds(500))
        #expect(registry.isConnected, "a tool using the gateway's client id kicked the gateway off")
        for client in [integ, prober, registry, thief] { await client.shutdown() }
        await locked.stop()
    }

    @Test("the notifier's self-watch hears the pulse and every availability on its own account: an empty fleet is live, not stalled; a service offline is told")
    func selfWatchOnOwnAccount() async throws {
        let sink = try await HTTPSink()
        defer { sink.stop() }
        // Found on `serve` with no camera: 2 intervals after start operators were told "checks
        // stalled" while the gateway said live. The notifier's account could not read
        // `monitor/pulse` nor `services/+/availability`: mosquitto granted the subscriptions and
        // delivered nothing.
        let locked = try await Locked(services: [.registry, .issues, .notifier]) {
            $0.notifier.operatorsWebhook = sink.url("/ops")
            $0.runtime.selfWatch = SelfWatchConfiguration(stallAfter: 2, offlineAfter: 1)
        }
        let notifier = try #require(locked.installation.notifier)
        #expect(await eventually(timeout: .seconds(20)) { notifier.selfWatch.health().state == .live }, "\(notifier.selfWatch.health())")
        #expect(notifier.selfWatch.health().cameras == 0, "the pulse of an empty fleet")

        // The prober's own account says it went offline (as its last will would).
        let prober = locked.client(ServiceConnection.outbox.clientID(instance: locked.instance, service: "prober"))
        try await prober.waitUntilConnected()
        try await prober.publish("services/prober/availability", payload: Array("offline".utf8), retain: true, timeout: .seconds(5))
        let down = await sink.first(timeout: .seconds(20)) { $0.path == "/ops" && $0.json?["event"] as? String == "monitor_down" }
        #expect(down?.json?["condition"] as? String == "service_offline:prober")
        try await prober.publish("services/prober/availability", payload: Array("online".utf8), retain: true, timeout: .seconds(5))
        let back = await sink.first(timeout: .seconds(20)) { $0.path == "/ops" && $0.json?["event"] as? String == "monitor_back" }
        #expect(back?.json?["condition"] as? String == "service_offline:prober")
        #expect(notifier.selfWatch.health().state == .live)
        #expect(!sink.all.contains { $0.json?["condition"] as? String == "results_stalled" }, "an empty fleet is not a stall")
        await prober.shutdown()
        await locked.stop()
    }

    @Test("the TLS listener takes a client that trusts the test CA and refuses one with another CA")
    func tlsListener() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try TestCertificate(in: dir, name: "broker")
        let other = try TestCertificate(in: dir, name: "other")
        let tlsPort = try FreePort.find()
        let locked = try await Locked(tls: server, tlsPort: tlsPort)
        #expect(await eventually(timeout: .seconds(10)) { FreePort.isListening(tlsPort) })

        // The services' own TLS options (BrokerEndpoint from mqtts:// with a CA file), as a remote prober would use them.
        var endpoint = try BrokerEndpoint.parse("mqtts://127.0.0.1:\(tlsPort)")
        endpoint.caFile = server.certificate
        endpoint.username = "reader"
        endpoint.password = locked.toolPassword
        let trusted = MQTTClient(configuration: endpoint.clientConfiguration(clientID: "reader", will: nil), logger: locked.logger)
        trusted.start()
        try await trusted.waitUntilConnected(timeout: .seconds(15))
        #expect(trusted.isConnected)

        endpoint.caFile = other.certificate
        let untrusted = MQTTClient(configuration: endpoint.clientConfiguration(clientID: "reader-2", will: nil), logger: locked.logger)
        untrusted.start()
        await #expect(throws: MQTTError.self) { try await untrusted.waitUntilConnected(timeout: .seconds(4)) }
        await trusted.shutdown()
        await untrusted.shutdown()
        await locked.stop()
    }
}
