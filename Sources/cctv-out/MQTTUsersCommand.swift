import ArgumentParser
import CCTVContract
import Foundation
import ServiceRuntime

/// `cctv-out mqtt-users add|list|rm`: MQTT accounts for other tools on the private broker
/// (`integration`: registry commands, alerts and status; `reader`: alerts and status only;
/// `prober`: a remote prober). A running `serve` picks a change up within seconds.
struct MQTTUsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mqtt-users",
        abstract: "MQTT accounts of other tools on the private broker (integration, reader, prober).",
        subcommands: [Add.self, List.self, Remove.self, ACL.self])

    static func store(_ settings: SettingsOptions) throws -> (MQTTUserStore, Set<String>) {
        let runtime = try settings.resolve().runtime
        DataFolder.restrictNewFiles()
        let reserved = Set(BrokerAccount.services(instance: runtime.instance).map(\.name))
        return (MQTTUserStore(dataDir: runtime.dataDir), reserved)
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or replace an account; asks for its password (or reads one line from standard input).")
        @Argument(help: "Account name (letters, digits, . _ -); it is also the tool's client id.") var name: String
        @Option(help: "integration, reader or prober.") var role: String
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            guard let role = BrokerRole(rawValue: role), BrokerRole.forTools.contains(role) else {
                throw ValidationError("--role must be integration, reader or prober")
            }
            let (store, reserved) = try MQTTUsersCommand.store(settings)
            let password = try PasswordPrompt.read(for: name)
            do { try store.put(name: name, role: role, password: password, reserved: reserved) } catch let error as MQTTUserError {
                throw CLIError(error.description)
            }
            print("MQTT account \(name) (\(role.rawValue)) saved; a running serve applies it within seconds")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tools' MQTT accounts.")
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            let entries = try MQTTUsersCommand.store(settings).0.entries()
            if entries.isEmpty { print("no tool accounts (the services' own accounts are made by serve on every start)") }
            for entry in entries { print("\(entry.name)\t\(entry.role.rawValue)") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a tool's MQTT account.")
        @Argument var name: String
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            guard try MQTTUsersCommand.store(settings).0.remove(name: name) else { throw CLIError("no MQTT account named \(name)") }
            print("removed \(name)")
        }
    }

    struct ACL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "acl",
            abstract: "Print the mosquitto acl_file for this instance's services and the tool accounts (for an external broker).")
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            let runtime = try settings.resolve().runtime
            let tools = try MQTTUserStore(dataDir: runtime.dataDir).entries().map { BrokerAccount(name: $0.name, role: $0.role) }
            print(BrokerACL.render(BrokerAccount.services(instance: runtime.instance) + tools, topics: Topics(root: runtime.topicRoot)), terminator: "")
        }
    }
}
