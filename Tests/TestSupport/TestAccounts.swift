import Foundation
import Gateway

/// Accounts and API tokens for tests that call the gateway's REST API: written into the gateway's
/// `accounts.sqlite` in the data folder before the gateway starts (or while it runs: the same file).
package enum TestAccounts {
    /// The password every test account gets.
    package static let password = "correct horse battery"

    /// Creates (once per data folder) an `admin` account and returns a new admin API token for
    /// `Authorization: Bearer …`.
    package static func adminToken(dataDir: String) throws -> String {
        try token(dataDir: dataDir, role: .admin)
    }

    /// A new API token with `role`, optionally limited to `sites`; the first call also creates the
    /// `admin` account (so the gateway leaves its first-start setup mode).
    package static func token(dataDir: String, role: Role, sites: [String]? = nil, name: String? = nil) throws -> String {
        let store = try AccountStore(dataDir: dataDir, bcryptCost: 4)
        if try store.account("admin") == nil { try store.addAccount(name: "admin", password: password, role: .admin) }
        return try store.createToken(name: name ?? "test-\(role.rawValue)", role: role, sites: sites, createdBy: "test").secret
    }

    /// Creates a person's account (bcrypt cost 4: tests sign in many times).
    package static func account(dataDir: String, name: String, role: Role, sites: [String]? = nil, password: String = password) throws {
        try AccountStore(dataDir: dataDir, bcryptCost: 4).addAccount(name: name, password: password, role: role, sites: sites)
    }
}
