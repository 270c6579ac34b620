import Foundation
import GRDB
import HummingbirdBcrypt
import ServiceRuntime

/// People who may sign in to the gateway, the API tokens of tools, browser sessions and the audit
/// log, in the gateway's own `{data-dir}/accounts.sqlite` (mode 0600). `cctv-out users …` works on
/// the same file while the gateway runs (SQLite WAL): a removed account or a changed password ends
/// that person's sessions at their next request.
///
/// Passwords are bcrypt hashes (hummingbird-auth); tokens and session ids are random and kept only
/// as SHA-256 digests; second-factor keys are sealed with the data folder's ``SecretBox``.
/// bcrypt is deliberately slow (cost 12: one hash took 0.4–0.9 s in a debug build on the loaded
/// 2-core development machine, measured as `users passwd` minus `users list`): call the password
/// methods off the cooperative pool.
package final class AccountStore: Sendable {
    let database: DatabasePool
    let secrets: SecretBox
    let bcryptCost: UInt8
    /// A hash of a random password, checked when the account does not exist, so a wrong name takes
    /// as long as a wrong password.
    let decoyHash: String

    /// One person's account as shown to admins (never the hash or the second-factor key).
    package struct Account: Codable, Sendable, Equatable {
        package var name: String
        package var role: Role
        /// `nil` = every site.
        package var sites: [String]?
        /// Whether a second factor (TOTP) is required at sign-in.
        package var secondFactor: Bool
        package var createdAt: Date
        package var updatedAt: Date
    }

    /// Opens (creating) `{dataDir}/accounts.sqlite`.
    /// - Parameter bcryptCost: log2 rounds; 12 is slow on purpose (see above); tests pass 4.
    package init(dataDir: String, bcryptCost: UInt8 = 12) throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("accounts v1") { db in
            try db.create(table: "account") { t in
                t.primaryKey("name", .text)
                t.column("role", .text).notNull()
                t.column("sites", .text)
                t.column("passwordHash", .text).notNull()
                // Bumped by every change that must end existing sessions (password, role, sites).
                t.column("epoch", .integer).notNull().defaults(to: 1)
                t.column("totp", .text)
                t.column("totpPending", .text)
                t.column("totpLastStep", .integer)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "token") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("hash", .text).notNull()
                t.column("role", .text).notNull()
                t.column("sites", .text)
                t.column("createdBy", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("expiresAt", .datetime)
                t.column("lastUsedAt", .datetime)
                t.column("revokedAt", .datetime)
            }
            try db.create(table: "session") { t in
                t.primaryKey("key", .text)
                t.column("value", .blob).notNull()
                t.column("expiresAt", .datetime)
            }
            try db.create(table: "audit") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("at", .datetime).notNull().indexed()
                t.column("actor", .text).notNull().indexed()
                t.column("action", .text).notNull()
                t.column("target", .text)
                t.column("outcome", .integer).notNull()
                t.column("address", .text)
                t.column("detail", .text)
            }
        }
        database = try ServiceDatabase.open(dataDir: dataDir, service: "accounts", migrator: migrator)
        secrets = try SecretBox(dataDir: dataDir)
        self.bcryptCost = bcryptCost
        decoyHash = Bcrypt.hash(UUID().uuidString, cost: bcryptCost)
    }

    // MARK: - Accounts

    /// How many accounts exist (0 = the gateway serves only its setup page).
    package func accountCount() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account") ?? 0 }
    }

    /// Every account, by name.
    package func accounts() throws -> [Account] {
        try database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM account ORDER BY name").map(Self.account) }
    }

    /// One account, or nil.
    package func account(_ name: String) throws -> Account? {
        try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM account WHERE name = ?", arguments: [name]).map(Self.account) }
    }

    /// Creates an account. Slow (bcrypt).
    /// - Throws: ``AccountError`` for a bad name, a weak password, bad sites or a taken name.
    @discardableResult
    package func addAccount(name: String, password: String, role: Role, sites: [String]? = nil, now: Date = Date()) throws -> Account {
        try AccountRules.check(name: name)
        try AccountRules.check(password: password, name: name)
        let sites = try AccountRules.check(sites: sites)
        let hash = Bcrypt.hash(password, cost: bcryptCost)
        return try database.write { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM account WHERE name = ?", arguments: [name]) != nil { throw AccountError.exists(name) }
            try db.execute(sql: "INSERT INTO account (name, role, sites, passwordHash, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [name, role.rawValue, Self.encode(sites), hash, now, now])
            return try Row.fetchOne(db, sql: "SELECT * FROM account WHERE name = ?", arguments: [name]).map(Self.account)!
        }
    }

    /// Replaces a password and ends the account's sessions. Slow (bcrypt).
    package func setPassword(name: String, password: String, now: Date = Date()) throws {
        try AccountRules.check(password: password, name: name)
        let hash = Bcrypt.hash(password, cost: bcryptCost)
        try database.write { db in
            try db.execute(sql: "UPDATE account SET passwordHash = ?, epoch = epoch + 1, updatedAt = ? WHERE name = ?", arguments: [hash, now, name])
            guard db.changesCount == 1 else { throw AccountError.notFound(name) }
        }
    }

    /// Changes role and/or sites (ending the account's sessions). Refuses to demote the last admin.
    /// - Parameter sites: `.some(nil)` = every site, `nil` = unchanged.
    package func update(name: String, role: Role? = nil, sites: [String]?? = nil, now: Date = Date()) throws -> Account {
        let checkedSites: [String]?? = try sites.map { try AccountRules.check(sites: $0) }
        return try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM account WHERE name = ?", arguments: [name]) else { throw AccountError.notFound(name) }
            let current = Self.account(row)
            let nextRole = role ?? current.role
            let nextSites = checkedSites ?? current.sites
            if current.role == .admin, current.sites == nil, nextRole != .admin || nextSites != nil, try Self.unlimitedAdmins(db) <= 1 {
                throw AccountError.lastAdmin
            }
            try db.execute(sql: "UPDATE account SET role = ?, sites = ?, epoch = epoch + 1, updatedAt = ? WHERE name = ?",
                           arguments: [nextRole.rawValue, Self.encode(nextSites), now, name])
            return try Row.fetchOne(db, sql: "SELECT * FROM account WHERE name = ?", arguments: [name]).map(Self.account)!
        }
    }

    /// Removes an account and its sessions. Refuses to remove the last admin with every site.
    package func removeAccount(name: String) throws {
        try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM account WHERE name = ?", arguments: [name]) else { throw AccountError.notFound(name) }
            let account = Self.account(row)
            if account.role == .admin, account.sites == nil, try Self.unlimitedAdmins(db) <= 1 { throw AccountError.lastAdmin }
            try db.execute(sql: "DELETE FROM account WHERE name = ?", arguments: [name])
        }
    }

    /// A signed-in account's state: what a session is checked against on every request.
    struct Standing: Sendable, Equatable {
        var account: Account
        var epoch: Int
    }

    /// The account and its session epoch, or nil when it no longer exists.
    func standing(_ name: String) throws -> Standing? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM account WHERE name = ?", arguments: [name]).map { Standing(account: Self.account($0), epoch: $0["epoch"]) }
        }
    }

    /// Checks a name and password. Takes the same time whether the name exists or not. Slow (bcrypt).
    /// - Returns: the account's standing, or nil for a wrong name or password (indistinguishable).
    func verify(name: String, password: String) throws -> Standing? {
        let row = try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM account WHERE name = ?", arguments: [name]) }
        guard password.utf8.count <= AccountRules.maxPasswordBytes else { _ = Bcrypt.verify("", hash: decoyHash); return nil }
        guard let row else {
            _ = Bcrypt.verify(password, hash: decoyHash)
            return nil
        }
        guard Bcrypt.verify(password, hash: row["passwordHash"]) else { return nil }
        return Standing(account: Self.account(row), epoch: row["epoch"])
    }

    static func unlimitedAdmins(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account WHERE role = 'admin' AND sites IS NULL") ?? 0
    }

    static func account(_ row: Row) -> Account {
        Account(name: row["name"], role: Role(rawValue: row["role"]) ?? .viewer, sites: decodeSites(row["sites"]),
                secondFactor: (row["totp"] as String?) != nil, createdAt: row["createdAt"], updatedAt: row["updatedAt"])
    }

    static func encode(_ sites: [String]?) -> String? {
        sites.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    static func decodeSites(_ text: String?) -> [String]? {
        text.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
    }
}

/// The rules for names, passwords and site lists, shared by the CLI and the REST API.
package enum AccountRules {
    /// bcrypt reads at most 72 bytes; a longer password would silently match its prefix.
    package static let maxPasswordBytes = 72
    package static let minPasswordLength = 10

    /// 1–64 of `A-Z a-z 0-9 . _ @ -`, starting with a letter or digit.
    package static func check(name: String) throws {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), let first = bytes.first, isAlphanumeric(first),
              bytes.allSatisfy({ isAlphanumeric($0) || $0 == 46 || $0 == 95 || $0 == 64 || $0 == 45 }) else {
            throw AccountError.invalidName(name)
        }
    }

    package static func check(password: String, name: String) throws {
        guard password.count >= minPasswordLength else { throw AccountError.weakPassword("at least \(minPasswordLength) characters") }
        guard password.utf8.count <= maxPasswordBytes else { throw AccountError.weakPassword("at most \(maxPasswordBytes) bytes (bcrypt ignores the rest)") }
        guard password.lowercased() != name.lowercased() else { throw AccountError.weakPassword("not the account name") }
    }

    /// Trims, drops empty entries and duplicates; `nil` (every site) stays nil; an empty list is refused.
    package static func check(sites: [String]?) throws -> [String]? {
        guard let sites else { return nil }
        var seen = Set<String>()
        let cleaned = sites.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && seen.insert($0).inserted }
        guard !cleaned.isEmpty, cleaned.count <= 200, cleaned.allSatisfy({ $0.count <= 200 }) else {
            throw AccountError.invalidSites
        }
        return cleaned
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }
}

/// Why an account change was refused; the message says what to do.
package enum AccountError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidName(String)
    case weakPassword(String)
    case invalidSites
    case exists(String)
    case notFound(String)
    case lastAdmin

    package var description: String {
        switch self {
        case let .invalidName(name): "account name \(name.prefix(80).debugDescription) is invalid: 1–64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
        case let .weakPassword(rule): "the password must be \(rule)"
        case .invalidSites: "sites must be a list of 1–200 site names of at most 200 characters (leave it out for every site)"
        case let .exists(name): "an account named \(name) already exists"
        case let .notFound(name): "no account named \(name)"
        case .lastAdmin: "this is the last admin with every site: create another admin first"
        }
    }

    /// The REST error code (and so the status).
    var code: APIErrorCode {
        switch self {
        case .invalidName, .weakPassword, .invalidSites: .invalidField
        case .exists: .duplicateAccount
        case .notFound: .notFound
        case .lastAdmin: .lastAdmin
        }
    }

    /// The REST refusal.
    func apiError(field: String? = nil) -> APIError { APIError(code, field: field, description) }
}
