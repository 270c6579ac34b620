import AsyncHTTPClient
import CCTVContract
import Foundation
import MQTTBus
import ServiceLifecycle
import ServiceRuntime

/// The notifier's commands (contacts, test sends, health), its published team directory and
/// channel health, and the page to the operators when a channel keeps failing.
extension NotifierService {
    /// Answers one `notifier.command` on its response topic.
    func handleCommand(_ message: MQTTMessage, bus: ServiceBus, http: HTTPClient, dispatcher: DeliveryDispatcher) async {
        await bus.answer(message, as: NotifierCommand.self, expecting: .notifierCommand, reply: .notifierReply,
                         refusing: { error, _ in NotifierReply(ok: false, error: error) }) { envelope in
            let reply = await execute(envelope.data, bus: bus, http: http)
            logger.info("notifier command", metadata: ["action": "\(envelope.data.action.rawValue)", "ok": "\(reply.ok)", "actor": "\(envelope.data.actor ?? "-")"])
            return reply
        }
    }

    func execute(_ command: NotifierCommand, bus: ServiceBus, http: HTTPClient) async -> NotifierReply {
        switch command.action {
        case .getContacts:
            return NotifierReply(ok: true, contactsJSON: contacts.current.redacted().json())
        case .putContacts:
            guard let json = command.contactsJSON else {
                return NotifierReply(ok: false, error: ContractError(code: "bad_request", field: "contactsJSON", message: "contactsJSON (the contacts file's JSON) is required"))
            }
            do {
                let book = try ContactBook.decode(Data(json.utf8)).restoringSecrets(from: contacts.current)
                try book.validate()
                // Keep the source hash: the file, unchanged, must not overwrite this edit at the next start.
                let sourceHash = try store.storedContacts()?.sourceHash ?? ""
                try store.saveContacts(book, sourceHash: sourceHash, by: command.actor)
                contacts.replace(book)
                logger.notice("contacts changed", metadata: ["by": "\(command.actor ?? "-")", "teams": "\(book.teams.count)"])
                await publishDirectory(bus)
                return NotifierReply(ok: true, contactsJSON: book.redacted().json())
            } catch let error as ContactsError {
                guard case let .invalid(_, entry, problem) = error else { return NotifierReply(ok: false, error: ContractError(code: "invalid_field", message: error.description)) }
                return NotifierReply(ok: false, error: ContractError(code: "invalid_field", field: entry, message: "\(entry): \(problem)"))
            } catch {
                return NotifierReply(ok: false, error: ContractError(code: "internal", message: "could not store the contacts: \(error)"))
            }
        case .testChannel:
            guard let channelID = command.channelID else {
                return NotifierReply(ok: false, error: ContractError(code: "bad_request", field: "channelID", message: "channelID is required"))
            }
            guard let event = NotificationEvent(rawValue: command.event ?? "opened"), event != .channelFailing else {
                return NotifierReply(ok: false, error: ContractError(code: "invalid_field", field: "event", message: "event must be opened, updated, resolved, escalated or reminder"))
            }
            do {
                let result = try await TestSend.run(book: contacts.current, channelID: channelID, event: event, policy: policy, http: http, timeoutSeconds: configuration.timeoutSeconds)
                return NotifierReply(ok: true, test: result)
            } catch {
                return NotifierReply(ok: false, error: error)
            }
        case .health:
            return NotifierReply(ok: true, health: health.snapshot(book: contacts.current, breakers: breakers, alarmAfter: configuration.channelAlarmAfter))
        }
    }

    /// Publishes the team directory (retained): what cameras may name, and the registry's check.
    func publishDirectory(_ bus: ServiceBus) async {
        do {
            try await bus.publish(context.topics.notifierDirectory, type: .notifierDirectory, data: contacts.current.directory, retain: true,
                                  timeout: .seconds(5))
        } catch {
            logger.error("could not publish the team directory", metadata: ["error": "\(error)"])
        }
    }

    /// Every 5 s: publishes the channels' health when it changed (retained) and pages the operators
    /// through their other channels about a channel failing longer than `notifier.channel-alarm-after`.
    /// Publishes the team directory first (here, inside the service's task group, so a broker that
    /// is down at start cannot hold up a shutdown).
    func watchChannels(bus: ServiceBus, dispatcher: DeliveryDispatcher) async {
        await publishDirectory(bus)
        var published: [NotifierHealth.Channel]?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let now = Date()
            let book = contacts.current
            let due = health.dueAlarms(after: configuration.channelAlarmAfter, now: now)
            let failing = Set(health.snapshot(book: book, breakers: breakers, alarmAfter: configuration.channelAlarmAfter, now: now).channels.filter { $0.failingSince != nil }.map(\.id))
            for alarm in due where book.channel(alarm.channelID) != nil {
                let recipients = ChannelAlarm.recipients(for: alarm.channelID, book: book, alsoFailing: failing)
                let notice = ChannelAlarm.notice(channelID: alarm.channelID, book: book, since: alarm.since, error: alarm.error, now: now)
                do {
                    let queued = try store.queueChannelAlarm(notice, recipients: recipients, policy: policy, now: now)
                    health.markAlarmed(alarm.channelID, at: now)
                    if recipients.isEmpty {
                        logger.error("a notification channel keeps failing and no other operators' channel can say so", metadata: ["channel": "\(alarm.channelID)"])
                    } else {
                        logger.warning("paged the operators about a failing channel", metadata: ["channel": "\(alarm.channelID)", "deliveries": "\(queued)"])
                        dispatcher.kick()
                    }
                } catch {
                    logger.error("could not queue the channel alarm", metadata: ["channel": "\(alarm.channelID)", "error": "\(error)"])
                }
            }
            let snapshot = health.snapshot(book: book, breakers: breakers, alarmAfter: configuration.channelAlarmAfter, now: now)
            if snapshot.channels != published {
                do {
                    try await bus.publish(context.topics.notifierHealth, type: .notifierHealth, data: snapshot, retain: true, timeout: .seconds(5))
                    published = snapshot.channels
                } catch {
                    logger.warning("could not publish channel health", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: .seconds(5))
        }
    }
}
