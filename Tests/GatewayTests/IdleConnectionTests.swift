import AsyncHTTPClient
import Foundation
import Installation
@testable import Gateway
import ServiceRuntime
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Connections that send nothing, never finish their request head, or half-close cannot pile up.
@Suite("gateway: idle and half-open connections", .serialized, .runsAlone)
struct IdleConnectionTests {
    /// Opens a TCP connection to 127.0.0.1:`port`; returns the descriptor.
    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw FixtureError("connect: \(String(cString: strerror(errno)))") }
        return fd
    }

    /// Whether the server has closed `fd` (EOF or reset), without blocking.
    static func closedByServer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK))
        if n == 0 { return true }
        if n < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        return false
    }

    @Test("3,000 idle, half-sent and half-closed connections do not exhaust the gateway and are closed after the idle timeout")
    func halfOpenConnectionsClosed() async throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        try #require(limit.rlim_cur >= 8_000, "the test needs ~7,000 descriptors (client and server side); the hard limit is \(limit.rlim_max)")

        let running = try TestInstallation([.gateway]) { $0.gateway.idleTimeout = 3 }
        let port = running.configuration.gateway.port
        let client = HTTPClient.shared
        let token = try TestAccounts.adminToken(dataDir: running.dataDir)
        #expect(await eventually(timeout: .seconds(20)) { (try? await http(client, .GET, "http://127.0.0.1:\(port)/healthz").status) == 200 })

        var descriptors: [Int32] = []
        defer { descriptors.forEach { close($0) } }
        let opened = ContinuousClock.now
        for n in 0..<3_000 {
            let fd = try Self.connect(port)
            descriptors.append(fd)
            switch n % 3 {
            case 0: break // says nothing (a client that vanished)
            case 1: _ = "GET /api/summary HTTP/1.1\r\nHost: x\r\n".withCString { send(fd, $0, strlen($0), 0) } // a head that never ends
            default: shutdown(fd, Int32(SHUT_WR)) // half-closed
            }
        }
        let allOpen = ContinuousClock.now - opened
        // Not exhausted: a real request is served while all of them hang on.
        let served = try await http(client, .GET, "http://127.0.0.1:\(port)/api/summary", token: token)
        #expect(served.status == 200)
        #expect(descriptors.filter(Self.closedByServer).count < 3_000, "not all closed before the timeout")

        let open = descriptors
        let allClosed = await eventually(timeout: .seconds(60), every: .milliseconds(200)) {
            open.allSatisfy(Self.closedByServer)
        }
        let closedAfter = ContinuousClock.now - opened
        #expect(allClosed, "still open: \(descriptors.filter { !Self.closedByServer($0) }.count) of 3,000")
        print("IDLE: 3,000 connections opened in \(String(format: "%.2f", allOpen.seconds)) s; all closed by the gateway \(String(format: "%.2f", closedAfter.seconds)) s after the first (idle timeout 3 s)")
        let after = try await http(client, .GET, "http://127.0.0.1:\(port)/healthz")
        #expect(after.status == 200)

        await running.stop()
    }
}
