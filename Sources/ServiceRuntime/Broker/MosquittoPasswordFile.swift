import _CryptoExtras
import Crypto
import Foundation

/// Lines of a mosquitto `password_file`, written by us instead of `mosquitto_passwd` so no
/// password ever becomes a command-line argument (visible in `ps`): `name:$7$<rounds>$<salt>$<hash>`,
/// PBKDF2-SHA512 with a 12-byte salt and a 64-byte hash, base64 — mosquitto 2's own format.
package enum MosquittoPasswordFile {
    /// PBKDF2 rounds. mosquitto_passwd uses 101; more makes a stolen file slower to attack and costs
    /// the broker one derivation per connect: 20,000 rounds took 18.5 ms on the (loaded, 2-core)
    /// development machine, 101 rounds 0.07 ms (OpenSSL's PBKDF2-SHA512 through Python's hashlib,
    /// the library mosquitto uses). Connects are rare; guesses against a stolen file are not.
    package static let rounds = 20_000

    /// The hash part (`$7$…`) for `password`.
    package static func hash(_ password: String, salt: [UInt8]? = nil, rounds: Int = rounds) throws -> String {
        let salt = salt ?? (0..<12).map { _ in UInt8.random(in: 0...255) }
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: .sha512, outputByteCount: 64,
                                                    unsafeUncheckedRounds: rounds)
        let digest = key.withUnsafeBytes { Data($0) }
        return "$7$\(rounds)$\(Data(salt).base64EncodedString())$\(digest.base64EncodedString())"
    }

    /// Whether `password` matches a `$7$` hash (for tests and `mqtt-users`).
    package static func verify(_ password: String, hash: String) -> Bool {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[1] == "7", let rounds = Int(parts[2]), let salt = Data(base64Encoded: String(parts[3])),
              let again = try? Self.hash(password, salt: Array(salt), rounds: rounds) else { return false }
        return again == hash
    }

    /// The whole file: one `name:hash` line per account.
    package static func render(_ hashes: [(name: String, hash: String)]) -> String {
        hashes.map { "\($0.name):\($0.hash)\n" }.joined()
    }

    /// A random password for a service account: 32 characters, about 190 bits.
    package static func randomPassword() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
