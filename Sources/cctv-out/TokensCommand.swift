import ArgumentParser
import Foundation
import Gateway
import ServiceRuntime

/// `cctv-out tokens create|list|revoke`: API tokens for tools and scripts, made on the command line
/// by whoever may read the data folder (as an admin makes them on the admin page). The secret is
/// printed once, alone on standard output, so a script can capture it.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "API tokens for tools (Authorization: Bearer …): create, list, revoke.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print its secret (shown once; only a digest is kept).")
        @Argument(help: "What the token is for (shown in lists and the audit log).") var name: String
        @Option(help: "viewer, operator or admin.") var role: String
        @Option(help: "Comma-separated sites the token is limited to (default: every site).") var sites: String?
        @Option(help: "Days until it expires (default: never).") var days: Int?
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be viewer, operator or admin") }
            let store = try UsersCommand.store(settings)
            let expiry = try days.map { days -> Date in
                guard (1...3650).contains(days) else { throw ValidationError("--days must be 1–3650") }
                return Date().addingTimeInterval(Double(days) * 86_400)
            }
            let sites = sites.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            do {
                let (token, secret) = try store.createToken(name: name, role: role, sites: sites, expiresAt: expiry, createdBy: "cli:\(NSUserName())")
                try store.record(.init(actor: "cli:\(NSUserName())", action: "token.create", target: token.id, outcome: 201, address: "local"))
                print(secret)
            } catch let error as AccountError { throw CLIError(error.description) } catch let error as TokenError { throw CLIError(error.description) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens (never their secrets).")
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            for token in try UsersCommand.store(settings).tokens() {
                let state = token.revokedAt != nil ? "revoked" : token.expiresAt.map { "expires \($0)" } ?? "no expiry"
                print("\(token.id)\t\(token.name)\t\(token.role.rawValue)\t\(token.sites?.joined(separator: ",") ?? "every site")\t\(state)\tlast used \(token.lastUsedAt.map { "\($0)" } ?? "never")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token at once.")
        @Argument(help: "The token's id (the part after cctv_).") var id: String
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            let store = try UsersCommand.store(settings)
            do { try store.revokeToken(id: id) } catch let error as TokenError { throw CLIError(error.description) }
            try store.record(.init(actor: "cli:\(NSUserName())", action: "token.revoke", target: id, outcome: 204, address: "local"))
            print("revoked \(id)")
        }
    }
}
