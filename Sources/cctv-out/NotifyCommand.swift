import ArgumentParser
import Foundation
import Notifier
import ServiceRuntime

/// `cctv-out notify test --channel <id>`: sends a sample incident through one channel of the
/// contacts, right away, without the broker or the outbox, and says what the endpoint answered.
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Notification tools.", subcommands: [NotifyTestCommand.self, NotifyChannelsCommand.self])
}

struct NotifyTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Send a sample incident notice through one channel (from --notifier-contacts or --notifier-webhook-*).")
    @Option(help: "Channel id from the contacts file (the shorthand webhooks are line-team-webhook, vendor-webhook, operators-webhook).")
    var channel: String
    @Option(help: "Which notice to send: opened, resolved, escalated or reminder.")
    var event: String = "opened"
    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        guard let notice = NotificationEvent(rawValue: event) else { throw ValidationError("--event must be opened, updated, resolved, escalated or reminder") }
        do {
            print(try await TestSend.send(configuration: settings.resolve().notifier, channelID: channel, event: notice))
        } catch let error as ValidationError {
            throw error
        } catch {
            // Not a usage mistake: say what the endpoint or the contacts said, without the usage text.
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

struct NotifyChannelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "channels", abstract: "Validate the contacts and list every team and channel.")
    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let book: ContactBook
        do { book = try settings.resolve().notifier.contactBook() } catch { throw ValidationError("\(error)") }
        for team in book.teams {
            let isDefault = book.defaultTeam(team.role)?.id == team.id ? " (default \(team.role.rawValue))" : ""
            print("\(team.id)  \(team.name)  \(team.role.rawValue)  \(team.language.rawValue)\(isDefault)" + (team.escalateTo.map { "  escalates to \($0)" } ?? ""))
            for channel in team.channels { print("  \(channel.type.rawValue)  \(channel.displayTarget)") }
        }
    }
}
