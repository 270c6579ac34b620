import Foundation
import ServiceRuntime
import Testing
import TestSupport
@testable import Notifier

@Suite("HMAC-SHA256 webhook signing", .runsAlone)
struct SigningTests {
    @Test("SHA-256 matches the FIPS 180 examples")
    func sha256Vectors() {
        #expect(hexString(sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hexString(sha256([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hexString(sha256(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hexString(sha256([UInt8](repeating: 0x61, count: 1_000_000))) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("HMAC-SHA256 matches RFC 4231 test cases 1, 2, 6 and 7")
    func rfc4231() {
        #expect(hexString(hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(hexString(hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(hexString(hmacSHA256(key: [UInt8](repeating: 0xaa, count: 131), message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        let long = "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
        #expect(hexString(hmacSHA256(key: [UInt8](repeating: 0xaa, count: 131), message: Array(long.utf8)))
                == "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
    }

    @Test("the webhook signature covers the timestamp and the body")
    func signature() {
        let body = Data("{\"a\":1}".utf8)
        let signed = WebhookChannel.signature(secret: "s3cret", timestamp: "1800000000", body: body)
        #expect(signed == "sha256=" + hexString(hmacSHA256(key: Array("s3cret".utf8), message: Array("1800000000.{\"a\":1}".utf8))))
        #expect(signed != WebhookChannel.signature(secret: "s3cret", timestamp: "1800000001", body: body), "a replayed body with a new timestamp does not verify")
    }

    @Test("the --notifier-webhook-* shorthand webhooks are signed when notifier.webhook-secret is set")
    func shorthandSigned() throws {
        let settings = try Settings(arguments: ["--notifier-webhook-line-team", "https://hooks.example/line", "--notifier-webhook-operators", "https://hooks.example/ops"],
                                    environment: ["CCTVOUT_NOTIFIER_WEBHOOK_SECRET": "shared-s3cret"], keys: NotifierConfiguration.keys)
        let configuration = try NotifierConfiguration(settings: settings, runtime: RuntimeConfiguration())
        #expect(settings.keys.filter { settings.display($0) == "******" }.map(\.name) == ["notifier.webhook-secret"], "the secret is masked by cctv-out config")
        let book = try configuration.contactBook()
        let webhooks = book.teams.flatMap(\.channels).filter { $0.type == .webhook }
        #expect(webhooks.count == 2 && webhooks.allSatisfy { $0.secret == "shared-s3cret" })
        #expect(!"\(webhooks)".contains("shared-s3cret"), "printing a channel never shows its secret")
    }

    @Test("the README's receiver (docs/webhook_receiver.py) accepts our signature and refuses a wrong secret or an old timestamp")
    func receiverVerifies() async throws {
        let python = try RequiredTool.path("python3", package: "python3")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/webhook_receiver.py").path
        let body = Data(#"{"event":"opened","title":"회선 장애"}"#.utf8)
        let now = String(Int(Date().timeIntervalSince1970))
        func check(_ secret: String, _ timestamp: String, _ signature: String) async throws -> Int32 {
            try await ToolProcess.run(python, [script, "--check", secret, timestamp, signature], input: body).status
        }
        let signature = WebhookChannel.signature(secret: "s3cret", timestamp: now, body: body)
        #expect(try await check("s3cret", now, signature) == 0)
        #expect(try await check("wrong", now, signature) == 1)
        let old = String(Int(Date().timeIntervalSince1970) - 3600)
        #expect(try await check("s3cret", old, WebhookChannel.signature(secret: "s3cret", timestamp: old, body: body)) == 1, "a replay an hour later is refused")
    }
}
