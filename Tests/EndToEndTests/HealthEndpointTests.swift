import Foundation
import ServiceRuntime
import Testing
import TestSupport

/// The health signal every service process gives its container engine, systemd or load balancer:
/// the real `cctv-out registry` process with `--health-port`, asked by `cctv-out health`.
@Suite("health endpoint of a service process", .runsAlone)
struct HealthEndpointTests {
    struct Answer { var status: Int32; var output: String }

    /// Runs `cctv-out health` as a container healthcheck does.
    func health(port: Int) throws -> Answer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProductBinary.path)
        process.arguments = ["health", "--health-port", "\(port)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Answer(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
    }

    @Test("healthy while connected to the broker, unhealthy (exit 1, naming the check) while the broker is down, healthy again after")
    func followsTheBroker() async throws {
        try #require(ProductBinary.isBuilt, "build cctv-out first (swift build --build-tests)")
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("health-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try FreePort.find()
        let registry = try ChildProcess.dyingWithTests(executable: ProductBinary.path, arguments: [
            "registry", "--broker-url", "mqtt://127.0.0.1:\(broker.port)", "--data-dir", dir, "--instance", "health-\(UUID().uuidString.prefix(6))",
            "--health-port", "\(port)", "--log-level", "warning"], logFile: dir + "/registry.log")
        defer { registry.stop() }

        #expect(await eventually(timeout: .seconds(30)) { (try? health(port: port).status) == 0 }, "healthy once connected")
        let healthy = try health(port: port)
        #expect(healthy.output.contains(#""status":"ok""#))
        #expect(healthy.output.contains(#""registry broker":true"#))

        broker.kill()
        #expect(await eventually(timeout: .seconds(30)) { (try? health(port: port).status) == 1 }, "unhealthy while the broker is down")
        #expect(try health(port: port).output.contains(#""registry broker":false"#))

        try broker.startAgain()
        #expect(await eventually(timeout: .seconds(60)) { (try? health(port: port).status) == 0 }, "healthy again after the broker is back")
        #expect(registry.isRunning, "the process itself stayed up")
    }

    @Test("cctv-out health without a health port says so and fails")
    func noPort() throws {
        let answer = try health(port: 0)
        #expect(answer.status != 0)
        #expect(answer.output.contains("health.port is 0"))
    }
}
