import ArgumentParser
import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceRuntime
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `cctv-out-bench bus --messages 100000 --delay-us 100`: a burst of camera definitions (retained,
/// QoS 1, 64 in flight, as the registry publishes an import or its start-up republish) into a
/// deliberately slow consumer process that uses the services' own MQTT configuration. Reports
/// what the consumer lost, its peak resident memory and the throughput. (Order is not checked
/// here: the 64 publishing tasks hand their messages to the client in no fixed order; the
/// back-pressure tests check it.) The broker is the
/// private mosquitto with `mosquitto/private.conf`, on a free loopback port.
struct BenchBus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bus", abstract: "A burst of N camera definitions into a slow consumer: lost messages, consumer peak RSS, throughput.")

    @Option(help: "Messages in the burst.") var messages = 100_000
    @Option(name: .customLong("delay-us"), help: "Work per message in the consumer, microseconds (it sleeps, like a blocking SQLite write).")
    var delayMicroseconds = 100

    func validate() throws {
        guard (1...5_000_000).contains(messages) else { throw ValidationError("--messages must be 1…5000000") }
        guard (0...1_000_000).contains(delayMicroseconds) else { throw ValidationError("--delay-us must be 0…1000000") }
    }

    func run() async throws {
        var logger = Logger(label: "bench-bus")
        logger.logLevel = .warning
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("bench-bus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var brokerConfiguration = BrokerConfiguration()
        brokerConfiguration.port = try LoopbackPort.free()
        // The locked-down private broker with the shipped config: the publisher acts as the
        // registry's publishing account, the consumer as the prober's subscribing account.
        let accounts = BrokerAccount.service("registry", role: .registry, instance: "bench") + BrokerAccount.service("prober", role: .prober, instance: "bench")
        let broker = try await PrivateBroker.start(configuration: brokerConfiguration, dataDir: work.path, topics: Topics(), services: accounts, logger: logger)
        defer { broker.stop() }
        let endpoint = BrokerEndpoint(host: "127.0.0.1", port: broker.port, servicePasswords: broker.servicePasswords)
        let consumerAccount = ServiceConnection.inbox.clientID(instance: "bench", service: "prober")

        let publisher = MQTTClient(configuration: endpoint.clientConfiguration(clientID: ServiceConnection.outbox.clientID(instance: "bench", service: "registry"), will: nil),
                                   logger: logger)
        publisher.start()
        try await publisher.waitUntilConnected()
        let resultFile = work.appendingPathComponent("result.json").path
        let consumer = try await startConsumer(account: consumerAccount, password: broker.servicePasswords[consumerAccount] ?? "", port: broker.port,
                                               work: work, resultFile: resultFile)
        defer { consumer.stop() }

        let started = ContinuousClock.now
        try await publishBurst(through: publisher)
        let published = BenchMeasure.seconds(ContinuousClock.now - started)
        while consumer.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        let total = BenchMeasure.seconds(ContinuousClock.now - started)
        await publisher.shutdown()
        guard let data = FileManager.default.contents(atPath: resultFile),
              let result = try? JSONDecoder().decode(BusConsumerResult.self, from: data) else {
            throw ValidationError("the consumer wrote no result; see its log")
        }
        print("""
            burst of \(messages) camera definitions (QoS 1, retained, 64 in flight) into a consumer doing \(delayMicroseconds) µs per message
              published (broker acknowledged) in \(BenchMeasure.format(published)) s = \(Int(Double(messages) / published)) msg/s
              consumer received \(result.received), distinct \(result.distinct), lost \(messages - result.distinct)
              consumer throughput \(Int(Double(result.distinct) / max(result.seconds, 0.001))) msg/s (\(BenchMeasure.format(result.seconds)) s from its first message to its last); burst done in \(BenchMeasure.format(total)) s
              consumer peak RSS \(result.peakRSSkB / 1024) MiB
            """)
    }

    /// Starts the consumer process (this executable's `bus-consumer`, its password passed by
    /// environment, never on a command line) and waits at most a minute until it is subscribed.
    private func startConsumer(account: String, password: String, port: Int, work: URL, resultFile: String) async throws -> ChildProcess {
        let readyFile = work.appendingPathComponent("ready").path
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        setenv(BenchBusConsumer.passwordVariable, password, 1)
        let consumer = try ChildProcess(executable: executable, arguments: [
            "bus-consumer", "--port", "\(port)", "--account", account, "--messages", "\(messages)",
            "--delay-us", "\(delayMicroseconds)", "--result", resultFile, "--ready", readyFile,
        ], logFile: work.appendingPathComponent("consumer.log").path)
        unsetenv(BenchBusConsumer.passwordVariable)
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while !FileManager.default.fileExists(atPath: readyFile) {
            guard consumer.isRunning, ContinuousClock.now < deadline else {
                consumer.stop()
                throw ValidationError("the consumer did not come up; see its log")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return consumer
    }

    /// Publishes `messages` camera definitions (retained, QoS 1) with at most 64 in flight, as the
    /// registry publishes an import; returns once the broker acknowledged them all.
    private func publishBurst(through publisher: MQTTClient) async throws {
        let now = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for index in 0..<messages {
                if inFlight >= 64 { try await group.next(); inFlight -= 1 }
                let id = String(format: "CAM-%07d", index)
                let camera = CameraDefinition(id: id, name: "카메라 \(index)", address: "127.\(100 + index >> 16 & 63).\(index >> 8 & 255).\(index & 255)",
                                              hlsURL: "http://127.0.0.1/live/\(id)/index.m3u8", site: "현장\(index % 50)", group: "구역\(index % 20)",
                                              tags: ["cctv"], lineTeam: "KT", vendor: "Hanwha", intervalSeconds: 60, createdAt: now, updatedAt: now, version: 1)
                let payload = ContractCodec.encode(Envelope(type: .cameraConfig, source: "bench", data: camera))
                group.addTask { try await publisher.publish("cctv/\(id)/config", payload: payload, retain: true, timeout: .seconds(120)) }
                inFlight += 1
            }
            try await group.waitForAll()
        }
    }
}

/// What the consumer process measured.
struct BusConsumerResult: Codable {
    var received: Int
    var distinct: Int
    var seconds: Double
    var peakRSSkB: Int
}

/// The consumer side of ``BenchBus``, run as its own process so its memory is its own.
struct BenchBusConsumer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bus-consumer", abstract: "The slow consumer of `bench bus` (started by it).",
                                                    shouldDisplay: false)

    /// Where ``BenchBus`` puts the consumer account's password.
    static let passwordVariable = "CCTVOUT_BENCH_BUS_PASSWORD"

    @Option var port: Int
    @Option var account: String
    @Option var messages: Int
    @Option(name: .customLong("delay-us")) var delayMicroseconds: Int
    @Option var result: String
    @Option var ready: String

    func run() async throws {
        var logger = Logger(label: "bench-bus-consumer")
        logger.logLevel = .warning
        // The services' own client configuration (buffers, in-flight window, session).
        let password = ProcessInfo.processInfo.environment[Self.passwordVariable] ?? ""
        let endpoint = BrokerEndpoint(host: "127.0.0.1", port: port, servicePasswords: [account: password])
        let client = MQTTClient(configuration: endpoint.clientConfiguration(clientID: account, will: nil), logger: logger)
        client.start()
        try await client.waitUntilConnected()
        let outcome = try await client.withSubscription(to: "cctv/+/config") { configs in
            FileManager.default.createFile(atPath: ready, contents: Data())
            return await consume(configs)
        }
        await client.shutdown()
        try JSONEncoder().encode(outcome).write(to: URL(fileURLWithPath: result))
    }

    /// Takes messages until all arrived or none came for 20 s; each costs `delayMicroseconds`.
    func consume<Messages: AsyncSequence & Sendable>(_ configs: Messages) async -> BusConsumerResult where Messages.Element == MQTTMessage {
        let tally = ConsumerTally(expected: messages, delayMicroseconds: delayMicroseconds)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await message in configs where tally.take(message) { break }
                } catch {}
            }
            group.addTask {
                // A run that lost messages ends after 20 s without one.
                while !Task.isCancelled && tally.idle < .seconds(20) { try? await Task.sleep(for: .seconds(1)) }
            }
            await group.next()
            group.cancelAll()
        }
        return tally.result(peakRSSkB: Self.peakRSSkB())
    }

    /// VmHWM (peak resident set) from /proc/self/status, in kB.
    static func peakRSSkB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
        }
        return -1
    }
}

/// The consumer's count of what arrived (one consumer task; the lock is for the idle watchdog).
private final class ConsumerTally: Sendable {
    private struct State {
        var seen: [Bool]
        var received = 0, distinct = 0
        var first: ContinuousClock.Instant?
        var last = ContinuousClock.now
    }

    private let state: Mutex<State>
    private let delayMicroseconds: Int

    init(expected: Int, delayMicroseconds: Int) {
        state = Mutex(State(seen: [Bool](repeating: false, count: expected)))
        self.delayMicroseconds = delayMicroseconds
    }

    /// Counts one message and does its work; returns whether every message has arrived.
    func take(_ message: MQTTMessage) -> Bool {
        let parts = message.topic.split(separator: "/")
        let index = parts.count == 3 ? Int(parts[1].dropFirst("CAM-".count)) : nil
        let complete = state.withLock { state -> Bool in
            state.received += 1
            state.first = state.first ?? .now
            state.last = .now
            guard let index, index >= 0, index < state.seen.count else { return false }
            if !state.seen[index] { state.seen[index] = true; state.distinct += 1 }
            return state.distinct == state.seen.count
        }
        if delayMicroseconds > 0 { usleep(useconds_t(delayMicroseconds)) }
        return complete
    }

    var idle: Duration { state.withLock { ContinuousClock.now - $0.last } }

    func result(peakRSSkB: Int) -> BusConsumerResult {
        state.withLock { state in
            BusConsumerResult(received: state.received, distinct: state.distinct,
                              seconds: state.first.map { BenchMeasure.seconds(state.last - $0) } ?? 0, peakRSSkB: peakRSSkB)
        }
    }
}
