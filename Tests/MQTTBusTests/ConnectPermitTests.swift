import Foundation
import Logging
import Synchronization
import Testing
import TestSupport
@testable import MQTTBus

/// The connect permit an active/standby service gives its bus (its lease still confirmed): a
/// client that is not permitted never connects, so it cannot take a shared session from another.
@Suite("MQTT client connect permit", .serialized, .runsAlone)
struct ConnectPermitTests {
    @Test("a client refused by its permit never connects and leaves the session's holder connected; once permitted it connects (and takes the session over)")
    func permit() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let id = "shared-\(UUID().uuidString.prefix(8))"
        let holder = MQTTClient(configuration: .init(port: broker.port, clientID: id, reconnectDelay: (5, 5)), logger: logger)
        holder.start()
        try await holder.waitUntilConnected()

        let permitted = Atomic<Bool>(false)
        let asked = Atomic<Int>(0)
        var configuration = MQTTConfiguration(port: broker.port, clientID: id, reconnectDelay: (0.1, 0.5))
        configuration.connectPermit = {
            asked.add(1, ordering: .relaxed)
            return permitted.load(ordering: .relaxed)
        }
        let resumed = MQTTClient(configuration: configuration, logger: logger)
        resumed.start()
        #expect(await eventually(timeout: .seconds(10)) { asked.load(ordering: .relaxed) >= 3 }, "the permit is asked again while refused")
        #expect(!resumed.isConnected, "refused: not connected")
        #expect(holder.isConnected, "the session's holder was not disturbed")

        permitted.store(true, ordering: .relaxed)
        try await resumed.waitUntilConnected(timeout: .seconds(10))
        #expect(await eventually(timeout: .seconds(10)) { !holder.isConnected }, "permitted, it takes the session over (the broker drops the other)")
        await resumed.shutdown()
        await holder.shutdown()
    }
}
