import ArgumentParser
import Foundation

/// `cctv-out`: one binary, a subcommand per service plus `serve` (all in one process).
@main
struct CCTVOut: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cctv-out",
        abstract: "Watches a fleet of IP cameras (ICMP + HLS) and tells the right people when one goes dark.",
        discussion: "Every option can also come from a CCTVOUT_* environment variable or a JSON file (--config). `cctv-out config` lists them.",
        subcommands: [Serve.self, RegistryCommand.self, ProberCommand.self, IssuesCommand.self, NotifierCommand.self, GatewayCommand.self, HealthCommand.self, ConfigCommand.self, CheckCommand.self, CamerasCommand.self, NotifyCommand.self, UsersCommand.self, MQTTUsersCommand.self, SecretsCommand.self, TokensCommand.self],
        defaultSubcommand: Serve.self)
}
