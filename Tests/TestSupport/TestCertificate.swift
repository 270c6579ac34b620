import Foundation
import ServiceRuntime

/// A self-signed certificate for 127.0.0.1 made with openssl (Debian package `openssl`): it is its
/// own CA, so a client given `certificate` as its CA file trusts a server presenting it, and a
/// client given another one's refuses it.
package struct TestCertificate: Sendable {
    package let certificate: String
    package let key: String

    /// Writes `{name}-cert.pem` and `{name}-key.pem` into `directory`.
    package init(in directory: String, name: String = "server") throws {
        certificate = "\(directory)/\(name)-cert.pem"
        key = "\(directory)/\(name)-key.pem"
        let openssl = try ChildProcess(executable: try RequiredTool.path("openssl", package: "openssl"), arguments: [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", certificate,
        ])
        guard openssl.waitForExit(timeout: 60), FileManager.default.fileExists(atPath: certificate) else {
            throw FixtureError("openssl did not make a test certificate in \(directory)")
        }
    }
}
