import Crypto
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Encrypts secrets kept at rest (camera stream credentials, second-factor keys) with AES-256-GCM.
///
/// The keys live in `{data-dir}/secrets.key` (JSON, mode 0600), created with one random key on
/// first start. A sealed value names the key that sealed it (`v1.<key id>.<base64 nonce|ciphertext|tag>`),
/// so `cctv-out secrets rotate` can add a new key, re-seal every stored value with it and drop the
/// old one while services run: a service that meets an unknown key id, or sees the file changed
/// before sealing, reads the file again.
package final class SecretBox: Sendable {
    /// The key file's content.
    struct KeyRing: Codable, Equatable {
        var current: String
        var keys: [String: String]
    }

    struct Loaded {
        var ring: KeyRing
        var modified: Date?
    }

    /// The key file.
    package let path: String
    private let state: Mutex<Loaded>

    /// Opens the key file in `dataDir`, creating it (and the folder) with one new key when missing.
    /// - Throws: ``SecretBoxError`` when the file exists but cannot be read or is not a key ring.
    package init(dataDir: String) throws {
        path = URL(fileURLWithPath: dataDir).appendingPathComponent("secrets.key").path
        try DataFolder.prepare(dataDir)
        if !FileManager.default.fileExists(atPath: path) {
            try Self.write(KeyRing(current: Self.newKeyID(), keys: [:]).adding(key: nil), to: path)
        }
        state = Mutex(try Self.load(path))
    }

    /// Seals `plaintext` with the current key.
    package func seal(_ plaintext: some DataProtocol) throws -> String {
        let (id, key) = try currentKey()
        let box = try AES.GCM.seal(plaintext, using: key)
        guard let combined = box.combined else { throw SecretBoxError.corrupt("AES-GCM produced no combined form") }
        return "v1.\(id).\(combined.base64EncodedString())"
    }

    /// Seals a text.
    package func seal(text: String) throws -> String { try seal(Data(text.utf8)) }

    /// Opens a value sealed by ``seal(_:)`` with any key of the ring.
    /// - Throws: ``SecretBoxError`` when the key is gone or the value was tampered with.
    package func open(_ sealed: String) throws -> Data {
        let parts = sealed.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let combined = Data(base64Encoded: String(parts[2])) else {
            throw SecretBoxError.corrupt("not a sealed value")
        }
        let id = String(parts[1])
        var key = state.withLock { $0.ring.keys[id] }
        if key == nil {
            try reload()
            key = state.withLock { $0.ring.keys[id] }
        }
        guard let key, let keyData = Data(base64Encoded: key) else { throw SecretBoxError.unknownKey(id, path: path) }
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: SymmetricKey(data: keyData))
        } catch {
            throw SecretBoxError.corrupt("the value does not open with key \(id) (changed or damaged)")
        }
    }

    /// Opens a sealed text.
    package func open(text sealed: String) throws -> String {
        String(decoding: try open(sealed), as: UTF8.self)
    }

    /// Whether `sealed` was sealed with the current key (rotation re-seals the others).
    package func isCurrent(_ sealed: String) throws -> Bool {
        let (id, _) = try currentKey()
        return sealed.hasPrefix("v1.\(id).")
    }

    /// Starts a rotation: adds a new key and makes it current (old keys stay readable).
    /// - Returns: the new key's id.
    @discardableResult
    package func beginRotation() throws -> String {
        try reload()
        let ring = state.withLock { $0.ring }
        let id = Self.newKeyID()
        var next = ring.adding(key: nil, id: id)
        next.current = id
        try Self.write(next, to: path)
        try reload()
        return id
    }

    /// Ends a rotation: drops every key but the current one. Call after every value was re-sealed.
    package func finishRotation() throws {
        try reload()
        let ring = state.withLock { $0.ring }
        guard let key = ring.keys[ring.current] else { throw SecretBoxError.unknownKey(ring.current, path: path) }
        try Self.write(KeyRing(current: ring.current, keys: [ring.current: key]), to: path)
        try reload()
    }

    /// Number of keys in the ring (1 outside a rotation).
    package var keyCount: Int { state.withLock { $0.ring.keys.count } }

    private func currentKey() throws -> (String, SymmetricKey) {
        // Another process may have rotated: never seal with a key the file no longer holds.
        if DataFolder.modificationDate(of: path) != state.withLock({ $0.modified }) { try reload() }
        let ring = state.withLock { $0.ring }
        guard let text = ring.keys[ring.current], let data = Data(base64Encoded: text), data.count == 32 else {
            throw SecretBoxError.unknownKey(ring.current, path: path)
        }
        return (ring.current, SymmetricKey(data: data))
    }

    private func reload() throws {
        let loaded = try Self.load(path)
        state.withLock { $0 = loaded }
    }

    static func load(_ path: String) throws -> Loaded {
        guard let data = FileManager.default.contents(atPath: path) else { throw SecretBoxError.unreadable(path) }
        guard let ring = try? JSONDecoder().decode(KeyRing.self, from: data), ring.keys[ring.current] != nil else {
            throw SecretBoxError.corrupt("\(path) is not a key file written by cctv-out")
        }
        return Loaded(ring: ring, modified: DataFolder.modificationDate(of: path))
    }

    static func write(_ ring: KeyRing, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try PrivateFile.write(try encoder.encode(ring), to: path)
    }

    static func newKeyID() -> String {
        (0..<4).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}

extension SecretBox.KeyRing {
    /// The ring with one more random 256-bit key under `id` (the current id when nil).
    func adding(key: Data?, id: String? = nil) -> Self {
        var next = self
        let bytes = key ?? SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        next.keys[id ?? current] = bytes.base64EncodedString()
        return next
    }
}

/// Why a secret could not be sealed or opened.
package enum SecretBoxError: Error, CustomStringConvertible, Sendable {
    case unreadable(String)
    case unknownKey(String, path: String)
    case corrupt(String)

    package var description: String {
        switch self {
        case let .unreadable(path): "cannot read the secrets key file \(path) (it must belong to the user running cctv-out, mode 0600)"
        case let .unknownKey(id, path): "key \(id) is not in \(path): the value was sealed with a key that was removed or the file was replaced"
        case let .corrupt(why): "secret store: \(why)"
        }
    }
}
