import Foundation
import ServiceRuntime

/// Everything the notifier is told: where the contacts come from, how deliveries are retried and
/// broken off, escalation and reminder timers, and how times and links are shown.
package struct NotifierConfiguration: Sendable, Equatable {
    /// The contacts file (JSON: teams, roles, channels); `nil` = only the webhook shorthand.
    package var contactsFile: String?
    /// Shorthand: one webhook per party, used where the contacts file has no team of that role.
    package var lineTeamWebhook: String?
    package var vendorWebhook: String?
    package var operatorsWebhook: String?
    /// HMAC-SHA256 key signing the shorthand webhooks (as a contacts file's `secret` does its own).
    package var webhookSecret: String?
    /// Delivery attempts before a notification is marked failed.
    package var maxAttempts = 12
    /// Seconds per delivery attempt.
    package var timeoutSeconds = 10
    /// Seconds an incident may stay unacknowledged before the escalation contact is told; 0 = off.
    package var escalateAfter: TimeInterval = 0
    /// Seconds between reminders while an incident stays open and unacknowledged; 0 = off.
    package var remindEvery: TimeInterval = 0
    /// Consecutive failures that open a channel's circuit breaker.
    package var breakerFailures = 5
    /// Seconds an open breaker waits before one probe delivery.
    package var breakerCooldown: TimeInterval = 30
    /// Seconds a channel may keep failing before the operators are paged through their other channels.
    package var channelAlarmAfter: TimeInterval = 900
    /// The zone times are shown in.
    package var timeZone = TimeZone(identifier: "Asia/Seoul") ?? .gmt
    /// The dashboard's public address, linked from every message.
    package var dashboardURL = "http://localhost:8080"

    package init() {}

    /// How notices are rendered and timed.
    package var policy: NotificationPolicy {
        NotificationPolicy(dashboard: dashboardURL, timeZone: timeZone, escalateAfter: escalateAfter, remindEvery: remindEvery)
    }

    /// The contacts: the file, plus the webhook shorthand (one team per party with one webhook
    /// each, filling only a role the file lacks), validated together.
    /// - Throws: ``ContactsError`` naming the entry at fault.
    package func contactBook() throws -> ContactBook {
        var book = try contactsFile.map { try ContactBook.load(path: $0) } ?? ContactBook(teams: [])
        let shorthand = ContactBook.fromWebhookSettings(lineTeam: lineTeamWebhook, vendor: vendorWebhook, operators: operatorsWebhook,
                                                        secret: webhookSecret)
        for team in shorthand.teams {
            // The file's own team stays its role's default; the shorthand only fills a role the file lacks.
            if book.defaults?[team.role.rawValue] == nil, let fileTeam = book.teams.first(where: { $0.role == team.role }) {
                book.defaults = (book.defaults ?? [:]).merging([team.role.rawValue: fileTeam.id]) { old, _ in old }
            }
            book.teams.append(team)
        }
        do {
            try book.validate()
        } catch {
            guard case let .invalid(_, entry, problem) = error else { throw error }
            throw ContactsError.invalid(path: contactsFile ?? "", entry: entry, problem: problem + " (with the notifier.webhook.* settings)")
        }
        return book
    }
}

extension NotifierConfiguration {
    enum Key {
        static let d = NotifierConfiguration()
        static let lineTeam = SettingKey.text("notifier.webhook.line-team", "webhook URL for the network line team")
        static let vendor = SettingKey.text("notifier.webhook.vendor", "webhook URL for the camera vendor")
        static let operators = SettingKey.text("notifier.webhook.operators", "webhook URL for control-room operators (told of every opening and recovery)")
        static let webhookSecret = SettingKey.text("notifier.webhook-secret", secret: true,
                                                   "HMAC-SHA256 key signing the notifier.webhook.* webhooks (X-CCTVOut-Signature); give it in the environment or config file")
        static let maxAttempts = SettingKey.integer("notifier.max-attempts", default: d.maxAttempts, in: 1...1000, "delivery attempts before a notification is marked failed")
        static let timeout = SettingKey.integer("notifier.timeout", default: d.timeoutSeconds, in: 1...300, "seconds per delivery attempt")
        static let contacts = SettingKey.text("notifier.contacts",
                                              "contacts file (JSON): teams with role, language and channels (webhook, slack, teams, telegram, discord, email); see README")
        static let escalateAfter = SettingKey.integer("notifier.escalate-after", default: Int(d.escalateAfter), in: 0...31_536_000,
                                                      "seconds an incident may stay unacknowledged before the team's escalation contact is told; 0 = off")
        static let remindEvery = SettingKey.integer("notifier.remind-every", default: Int(d.remindEvery), in: 0...31_536_000,
                                                    "seconds between reminders while an incident stays open and unacknowledged; 0 = off")
        static let breakerFailures = SettingKey.integer("notifier.breaker-failures", default: d.breakerFailures, in: 1...1000,
                                                        "consecutive failures that open a channel's circuit breaker")
        static let breakerCooldown = SettingKey.integer("notifier.breaker-cooldown", default: Int(d.breakerCooldown), in: 1...86_400,
                                                        "seconds an open breaker waits before one probe delivery")
        static let timeZone = SettingKey.text("notifier.time-zone", default: d.timeZone.identifier, "time zone of the times shown in notifications")
        static let channelAlarmAfter = SettingKey.integer("notifier.channel-alarm-after", default: Int(d.channelAlarmAfter), in: 10...604_800,
                                                          "seconds a notification channel may keep failing before the operators are paged through their other channels")
    }

    /// The `notifier.*` keys.
    package static let keys: [SettingKey] = [
        Key.lineTeam, Key.vendor, Key.operators, Key.webhookSecret, Key.maxAttempts, Key.timeout, Key.contacts, Key.escalateAfter, Key.remindEvery,
        Key.breakerFailures, Key.breakerCooldown, Key.timeZone, Key.channelAlarmAfter,
    ]

    /// Reads the `notifier.*` keys once; the dashboard link comes from the shared configuration.
    /// - Throws: ``SettingsError`` naming the key and what it accepts.
    package init(settings: Settings, runtime: RuntimeConfiguration) throws(SettingsError) {
        self.init()
        for key in [Key.lineTeam, Key.vendor, Key.operators] {
            if let url = settings.text(key), !ContactBook.isHTTPURL(url) {
                throw .invalid(key: key.name, value: url, expected: "an http:// or https:// URL")
            }
        }
        lineTeamWebhook = settings.text(Key.lineTeam)
        vendorWebhook = settings.text(Key.vendor)
        operatorsWebhook = settings.text(Key.operators)
        webhookSecret = settings.text(Key.webhookSecret)
        contactsFile = settings.text(Key.contacts)
        maxAttempts = try settings.integer(Key.maxAttempts)
        timeoutSeconds = try settings.integer(Key.timeout)
        escalateAfter = TimeInterval(try settings.integer(Key.escalateAfter))
        remindEvery = TimeInterval(try settings.integer(Key.remindEvery))
        breakerFailures = try settings.integer(Key.breakerFailures)
        breakerCooldown = TimeInterval(try settings.integer(Key.breakerCooldown))
        channelAlarmAfter = TimeInterval(try settings.integer(Key.channelAlarmAfter))
        guard let zone = TimeZone(identifier: settings.raw(Key.timeZone)) else {
            throw .invalid(key: Key.timeZone.name, value: settings.raw(Key.timeZone), expected: "a time zone name such as Asia/Seoul or UTC")
        }
        timeZone = zone
        if !runtime.publicURL.isEmpty { dashboardURL = runtime.publicURL }
    }
}
