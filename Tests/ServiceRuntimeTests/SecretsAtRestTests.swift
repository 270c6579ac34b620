import Foundation
import Testing
import TestSupport
@testable import ServiceRuntime

@Suite("secrets at rest, masked settings, private data files", .runsAlone)
struct SecretsAtRestTests {
    static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("box-\(UUID().uuidString)").path
    }

    @Test("a sealed value opens, names no plain text, and fails when tampered with; the key file is 0600 in a 0700 folder")
    func sealOpen() throws {
        let dir = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let box = try SecretBox(dataDir: dir)
        let sealed = try box.seal(text: "camera-password-1")
        #expect(!sealed.contains("camera-password-1"))
        #expect(try box.open(text: sealed) == "camera-password-1")
        #expect(try box.seal(text: "camera-password-1") != sealed, "a fresh nonce every time")
        var tampered = Array(sealed)
        tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
        #expect(throws: SecretBoxError.self) { try box.open(String(tampered)) }
        #expect(DataFolder.mode(of: box.path) == 0o600)
        #expect(DataFolder.mode(of: dir) == 0o700)
        #expect(try SecretBox(dataDir: dir).open(text: sealed) == "camera-password-1", "the key file is reused, not replaced")
    }

    @Test("rotation: a new key seals, old values still open until re-sealed, then the old key is gone")
    func rotation() throws {
        let dir = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let running = try SecretBox(dataDir: dir)     // a service that keeps running during the rotation
        let old = try running.seal(text: "s1")
        let cli = try SecretBox(dataDir: dir)
        let newID = try cli.beginRotation()
        #expect(cli.keyCount == 2)
        #expect(try cli.open(text: old) == "s1")
        #expect(try !cli.isCurrent(old))
        let resealed = try cli.seal(cli.open(old))
        #expect(resealed.hasPrefix("v1.\(newID)."))
        try cli.finishRotation()
        #expect(cli.keyCount == 1)
        #expect(throws: SecretBoxError.self) { try cli.open(old) }
        // The running service sees the new file by itself: it opens the new value and seals with the new key.
        #expect(try running.open(text: resealed) == "s1")
        #expect(try running.seal(text: "s2").hasPrefix("v1.\(newID)."))
    }

    @Test("cctv-out config masks secrets, a password in --broker-url included")
    func masked() throws {
        let settings = try Settings(arguments: ["--broker-url", "mqtt://svc:hunter2@broker.example:1883", "--broker-password", "p4ss"],
                                    environment: [:], keys: RuntimeConfiguration.keys)
        let shown = settings.keys.map { settings.display($0) }
        #expect(shown.contains("mqtt://svc:******@broker.example:1883"))
        #expect(shown.contains("******"))
        #expect(shown.allSatisfy { !$0.contains("hunter2") && !$0.contains("p4ss") })
    }

    @Test("our mosquitto password hashes are the format mosquitto_passwd writes and checks")
    func mosquittoPasswords() throws {
        let hash = try MosquittoPasswordFile.hash("service-password")
        #expect(hash.hasPrefix("$7$\(MosquittoPasswordFile.rounds)$"))
        #expect(MosquittoPasswordFile.verify("service-password", hash: hash))
        #expect(!MosquittoPasswordFile.verify("other", hash: hash))
        // A line mosquitto_passwd wrote itself (password given on stdin-less -b only here, in a test).
        let dir = Self.folder()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = "\(dir)/passwd"
        FileManager.default.createFile(atPath: file, contents: nil)
        let tool = try ChildProcess(executable: try RequiredTool.path("mosquitto_passwd", package: "mosquitto"), arguments: ["-b", file, "alice", "secretpass"])
        #expect(tool.waitForExit(timeout: 10))
        let line = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(MosquittoPasswordFile.verify("secretpass", hash: String(line.dropFirst("alice:".count))), "\(line)")
    }
}
