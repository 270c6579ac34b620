import Crypto
import Foundation
import GRDB

/// API tokens for other tools: `Authorization: Bearer cctv_<id>_<secret>`. Only a SHA-256 digest of
/// the secret is kept (a token is 256 random bits, so a slow hash would add nothing but latency to
/// every request); the full token is shown once, when it is created.
extension AccountStore {
    /// A token as listed to admins.
    package struct Token: Codable, Sendable, Equatable {
        /// Public id, the first part of the token (`cctv_<id>_…`): how it is named in lists and revoked.
        package var id: String
        package var name: String
        package var role: Role
        /// `nil` = every site.
        package var sites: [String]?
        package var createdBy: String
        package var createdAt: Date
        package var expiresAt: Date?
        /// Updated at most once a minute.
        package var lastUsedAt: Date?
        package var revokedAt: Date?
    }

    /// Creates a token. - Returns: the token as listed, and the secret text to show once.
    package func createToken(name: String, role: Role, sites: [String]? = nil, expiresAt: Date? = nil, createdBy: String,
                            now: Date = Date()) throws -> (token: Token, secret: String) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(trimmed.count) else { throw AccountError.invalidName(name) }
        let sites = try AccountRules.check(sites: sites)
        if let expiresAt, expiresAt <= now { throw TokenError.expiryInPast }
        let id = Self.randomText(count: 12, alphabet: Self.hexDigits)
        let secret = Self.randomText(count: 43, alphabet: Self.urlSafe)
        let text = "cctv_\(id)_\(secret)"
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO token (id, name, hash, role, sites, createdBy, createdAt, expiresAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, trimmed, Self.digest(secret), role.rawValue, Self.encode(sites), createdBy, now, expiresAt])
        }
        guard let token = try tokens().first(where: { $0.id == id }) else { throw TokenError.notFound(id) }
        return (token, text)
    }

    /// Every token, newest first (revoked ones too, for the record).
    package func tokens() throws -> [Token] {
        try database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM token ORDER BY createdAt DESC").map(Self.token) }
    }

    /// Revokes a token at once.
    package func revokeToken(id: String, now: Date = Date()) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE token SET revokedAt = COALESCE(revokedAt, ?) WHERE id = ?", arguments: [now, id])
            guard db.changesCount == 1 else { throw TokenError.notFound(id) }
        }
    }

    /// The principal for a bearer token, or nil when it is unknown, revoked or expired.
    func authenticate(bearer text: String, now: Date = Date()) throws -> Principal? {
        let parts = text.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "cctv", parts[1].count == 12, parts[2].count <= 100 else { return nil }
        let id = String(parts[1])
        guard let row = try database.read({ db in try Row.fetchOne(db, sql: "SELECT * FROM token WHERE id = ?", arguments: [id]) }) else { return nil }
        let stored: String = row["hash"]
        guard Self.constantTimeEqual(stored, Self.digest(String(parts[2]))) else { return nil }
        let token = Self.token(row)
        guard token.revokedAt == nil, token.expiresAt.map({ $0 > now }) ?? true else { return nil }
        if token.lastUsedAt.map({ now.timeIntervalSince($0) >= 60 }) ?? true {
            try database.write { db in try db.execute(sql: "UPDATE token SET lastUsedAt = ? WHERE id = ?", arguments: [now, id]) }
        }
        return Principal(kind: .token, name: token.name + " (\(token.id))", role: token.role, sites: token.sites)
    }

    static func token(_ row: Row) -> Token {
        Token(id: row["id"], name: row["name"], role: Role(rawValue: row["role"]) ?? .viewer, sites: decodeSites(row["sites"]),
              createdBy: row["createdBy"], createdAt: row["createdAt"], expiresAt: row["expiresAt"],
              lastUsedAt: row["lastUsedAt"], revokedAt: row["revokedAt"])
    }

    static let hexDigits = Array("0123456789abcdef")
    static let urlSafe = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    /// `count` symbols from `alphabet`, drawn from the system's cryptographic generator. The
    /// alphabet's size must be a power of two so every symbol is equally likely (43 of 64 = 258 bits).
    static func randomText(count: Int, alphabet: [Character]) -> String {
        precondition(alphabet.count.nonzeroBitCount == 1, "alphabet size must be a power of two")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    static func digest(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

/// Why a token operation was refused.
package enum TokenError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(String)
    case expiryInPast

    package var description: String {
        switch self {
        case let .notFound(id): "no API token with id \(id)"
        case .expiryInPast: "the expiry must be in the future"
        }
    }
}
