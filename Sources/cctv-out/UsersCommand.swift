import ArgumentParser
import Foundation
import Gateway
import ServiceRuntime

/// `cctv-out users add|list|passwd|rm|totp-off`: the gateway's accounts, edited in the data folder
/// directly (works while the gateway runs; a changed or removed account is signed out at its next request).
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "People who may sign in to the dashboard and REST API (viewer, operator, admin).",
        subcommands: [Add.self, List.self, Passwd.self, Remove.self, SecondFactorOff.self])

    static func store(_ settings: SettingsOptions) throws -> AccountStore {
        let runtime = try settings.resolve().runtime
        DataFolder.restrictNewFiles()
        return try AccountStore(dataDir: runtime.dataDir)
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account; asks for its password (or reads one line from standard input).")
        @Argument(help: "Account name (letters, digits, . _ @ -).") var name: String
        @Option(help: "viewer, operator or admin.") var role: String
        @Option(help: "Comma-separated sites the account is limited to (default: every site).") var sites: String?
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be viewer, operator or admin") }
            let store = try UsersCommand.store(settings)
            let password = try PasswordPrompt.read(for: name)
            let sites = sites.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            do {
                try store.addAccount(name: name, password: password, role: role, sites: sites)
                try store.record(.init(actor: "cli:\(NSUserName())", action: "user.create", target: name, outcome: 201, address: "local"))
            } catch let error as AccountError { throw CLIError(error.description) }
            print("created \(role.rawValue) \(name)" + (sites.map { " limited to \($0.joined(separator: ", "))" } ?? ""))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts.")
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            let accounts = try UsersCommand.store(settings).accounts()
            if accounts.isEmpty { print("no accounts: the gateway serves only its setup page"); return }
            for account in accounts {
                let sites = account.sites.map { $0.joined(separator: ",") } ?? "every site"
                print("\(account.name)\t\(account.role.rawValue)\t\(sites)\t\(account.secondFactor ? "2FA" : "-")")
            }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set an account's password (ends its sessions).")
        @Argument var name: String
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            try UsersCommand.change(name, settings, action: "user.password", done: "password of \(name) changed; its sessions have ended") { store in
                guard try store.account(name) != nil else { throw AccountError.notFound(name) }
                try store.setPassword(name: name, password: try PasswordPrompt.read(for: name))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove an account (ends its sessions).")
        @Argument var name: String
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            try UsersCommand.change(name, settings, action: "user.delete", done: "removed \(name)") { try $0.removeAccount(name: name) }
        }
    }

    struct SecondFactorOff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "totp-off", abstract: "Remove an account's second factor (a lost phone).")
        @Argument var name: String
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            try UsersCommand.change(name, settings, action: "user.totp-off", done: "second factor of \(name) removed") { try $0.removeSecondFactor(name: name) }
        }
    }

    /// Runs one change of account `name`, writes it to the audit log as done by the local user, says `done`.
    static func change(_ name: String, _ settings: SettingsOptions, action: String, done: String, _ body: (AccountStore) throws -> Void) throws {
        let store = try store(settings)
        do { try body(store) } catch let error as AccountError { throw CLIError(error.description) }
        try store.record(.init(actor: "cli:\(NSUserName())", action: action, target: name, outcome: 204, address: "local"))
        print(done)
    }
}
