import CCTVContract
import Foundation
import Logging
import ServiceRuntime
import Testing
import TestSupport
@testable import Registry

/// The store features beyond the camera table (command log, sealing of old plain credentials, key
/// rotation, retention), on both engines: PostgreSQL must keep everything SQLite keeps.
@Suite("registry store features on SQLite and PostgreSQL")
struct StoreFeatureTests {
    static func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("store-keys-\(UUID().uuidString)").path
    }

    @Test("a repeated command gets its first reply from the command log; the same id with other content does not; a day later it has expired",
          arguments: StoreEngine.allCases)
    func commandLog(engine: StoreEngine) async throws {
        let store = try CameraStore(testing: try engine.freshLocation())
        let log = CommandLog(database: store.database)
        let create = RegistryCommand(.create(CameraInput(id: "L-1", address: "10.60.0.1")))
        let reply = RegistryReply(ok: true, commandID: "cmd-1", camera: try store.create(CameraInput(id: "L-1", address: "10.60.0.1")))
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        try log.record(reply, to: create, id: "cmd-1", now: at)
        // Compared as sent on the wire (the contract's dates carry milliseconds, PostgreSQL's microseconds).
        let sent = try ContractCodec.decodeValue(RegistryReply.self, from: try ContractCodec.encodeValue(reply))
        #expect(try log.reply(to: create, id: "cmd-1") == sent)
        let other = RegistryCommand(.create(CameraInput(id: "L-2", address: "10.60.0.2")))
        #expect(try log.reply(to: other, id: "cmd-1") == nil, "an id reused for other content is applied, not answered from the log")
        try log.record(reply, to: create, id: "cmd-1", now: at)   // recorded twice: replaced, not a duplicate key
        #expect(try log.reply(to: RegistryCommand(.list(CameraListQuery())), id: "cmd-1") == nil, "reads are never remembered")

        let sweeper = RetentionSweeper(database: store.database, logger: Logger(label: "test"), rules: [CommandLog.retention])
        #expect(try await sweeper.sweep(now: at.addingTimeInterval(3_600))["registry command log"] == 0)
        #expect(try await sweeper.sweep(now: at.addingTimeInterval(86_401))["registry command log"] == 1)
        #expect(try log.reply(to: create, id: "cmd-1") == nil)
    }

    @Test("plain credentials an older version stored are sealed and bound to the stream's origin on open", arguments: StoreEngine.allCases)
    func sealsLegacyCredentials(engine: StoreEngine) throws {
        let location = try engine.freshLocation()
        let keys = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let first = try CameraStore(testing: location, secretsDir: keys)
        _ = try first.create(CameraInput(id: "OLD", address: "10.61.0.1", hlsURL: "http://10.61.0.1/live.m3u8"))
        _ = try first.create(CameraInput(id: "NOURL", address: "10.61.0.2"))
        try first.database.write { db in
            try db.execute("UPDATE camera SET username = ?, password = ? WHERE id IN ('OLD', 'NOURL')", "admin", "plain-pw")
        }

        let reopened = try CameraStore(testing: location, secretsDir: keys)
        #expect(try reopened.credentials(id: "OLD") == CameraCredentials(id: "OLD", username: "admin", password: "plain-pw", origin: "http://10.61.0.1:80"))
        #expect(try reopened.credentials(id: "NOURL") == nil, "no stream to bind them to: dropped")
        let plain = try reopened.database.read { db in try db.rows("SELECT id FROM camera WHERE username IS NOT NULL OR password IS NOT NULL") }
        #expect(plain.isEmpty, "no plain copy left in the table")
        let sealed = try reopened.database.read { db in try db.row("SELECT credentials FROM camera WHERE id = 'OLD'")?.string("credentials") }
        #expect(sealed?.contains("plain-pw") == false)
    }

    @Test("a key rotation re-seals every credential with the new key and they still open after the old key is dropped", arguments: StoreEngine.allCases)
    func rotation(engine: StoreEngine) throws {
        let keys = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let store = try CameraStore(testing: try engine.freshLocation(), secretsDir: keys)
        for i in 1...3 {
            _ = try store.create(CameraInput(id: "K\(i)", address: "10.62.0.\(i)", hlsURL: "http://10.62.0.\(i)/a.m3u8", username: "u\(i)", password: "pw\(i)"))
        }
        _ = try store.create(CameraInput(id: "K4", address: "10.62.0.4"))
        try store.secrets.beginRotation()
        #expect(try store.resealCredentials() == 3)
        #expect(try store.resealCredentials() == 0, "already current: nothing to do")
        try store.secrets.finishRotation()
        for i in 1...3 { #expect(try store.credentials(id: "K\(i)")?.password == "pw\(i)") }
    }
}
