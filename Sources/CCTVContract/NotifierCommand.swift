import Foundation

/// A command to the notifier (`notifier.command` on `commands/notifier`, MQTT v5 request/response),
/// answered with `notifier.reply`: read or replace the contacts (teams, channels, routing defaults,
/// escalation) without a restart, send a test through one channel, read the channels' health.
public struct NotifierCommand: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable, CaseIterable {
        /// The contacts as JSON, secrets replaced by ``NotifierCommand/storedSecret``.
        case getContacts
        /// Replaces the contacts with `contactsJSON` (validated; a secret given as
        /// ``NotifierCommand/storedSecret`` keeps the stored one). Applied at once.
        case putContacts
        /// Sends a sample notice through `channelID` now and answers with the endpoint's reply.
        case testChannel
        /// Every channel's health.
        case health
    }

    public var action: Action
    /// The contacts file's JSON (the same format as `--notifier-contacts`).
    public var contactsJSON: String?
    public var channelID: String?
    /// For `testChannel`: `opened` (default), `resolved`, `escalated` or `reminder`.
    public var event: String?
    public var actor: String?

    /// Stands for a secret (webhook secret, bot token, SMTP password) that is stored but never sent out.
    public static let storedSecret = "__stored__"

    public init(action: Action, contactsJSON: String? = nil, channelID: String? = nil, event: String? = nil, actor: String? = nil) {
        self.action = action; self.contactsJSON = contactsJSON; self.channelID = channelID; self.event = event; self.actor = actor
    }
}

/// The answer to a ``NotifierCommand``.
public struct NotifierReply: Codable, Sendable, Equatable {
    public var ok: Bool
    public var contactsJSON: String?
    public var test: ChannelTestResult?
    public var health: NotifierHealth?
    public var error: ContractError?

    public init(ok: Bool, contactsJSON: String? = nil, test: ChannelTestResult? = nil, health: NotifierHealth? = nil, error: ContractError? = nil) {
        self.ok = ok; self.contactsJSON = contactsJSON; self.test = test; self.health = health; self.error = error
    }
}

/// What a test send through one channel got back.
public struct ChannelTestResult: Codable, Sendable, Equatable {
    public var channelID: String
    /// Where it pointed, without secrets.
    public var target: String
    public var delivered: Bool
    /// HTTP status or SMTP reply code.
    public var status: Int?
    /// The start of the endpoint's answer (at most 500 characters), or the error.
    public var answer: String?
    public var permanent: Bool?
    public var durationMs: Double

    public init(channelID: String, target: String, delivered: Bool, status: Int? = nil, answer: String? = nil, permanent: Bool? = nil, durationMs: Double) {
        self.channelID = channelID; self.target = target; self.delivered = delivered; self.status = status; self.answer = answer
        self.permanent = permanent; self.durationMs = durationMs
    }
}

/// The teams the notifier knows (`notifier.directory`, retained on `notifier/directory`): what a
/// camera's `lineTeam` / `vendor` may name, and how many channels reach each team.
public struct TeamDirectory: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        /// `line-team`, `vendor` or `operators`.
        public var role: String
        public var channels: Int
        public init(id: String, name: String, role: String, channels: Int) { self.id = id; self.name = name; self.role = role; self.channels = channels }
    }

    public var teams: [Entry]
    /// Default team id per role.
    public var defaults: [String: String]
    /// Default team id per role per site.
    public var siteDefaults: [String: [String: String]]
    public var updatedAt: Date

    public init(teams: [Entry], defaults: [String: String] = [:], siteDefaults: [String: [String: String]] = [:], updatedAt: Date = Date()) {
        self.teams = teams; self.defaults = defaults; self.siteDefaults = siteDefaults; self.updatedAt = updatedAt
    }

    /// Ids of the teams of `role`.
    public func ids(role: String) -> [String] { teams.filter { $0.role == role }.map(\.id) }

    /// Refuses a camera whose `lineTeam` or `vendor` names no team of that role.
    /// - Throws: ``ContractError`` `unknown_team` naming the field and the known ids.
    public func check(lineTeam: String?, vendor: String?) throws(ContractError) {
        for (field, role, value) in [("lineTeam", "line-team", lineTeam), ("vendor", "vendor", vendor)] {
            guard let value, !value.isEmpty else { continue }
            let known = ids(role: role)
            guard known.contains(value) else {
                let list = known.isEmpty ? "none are set up (Notifications → Teams)" : known.sorted().prefix(20).joined(separator: ", ")
                throw ContractError(code: "unknown_team", field: field, message: "\(field) \(value.prefix(80).debugDescription) is not a \(role) team of the notifier; known: \(list)")
            }
        }
    }
}

/// Every channel's health (`notifier.health`, retained on `notifier/health`, and in `notifier.reply`).
public struct NotifierHealth: Codable, Sendable, Equatable {
    public struct Channel: Codable, Sendable, Equatable {
        public var id: String
        public var team: String
        public var type: String
        public var target: String
        public var lastSuccessAt: Date?
        /// Since when every attempt failed (nil while it works).
        public var failingSince: Date?
        public var lastError: String?
        public var consecutiveFailures: Int
        /// The circuit breaker holds deliveries until then.
        public var breakerOpenUntil: Date?
        /// When the operators were paged about this channel (this failing streak).
        public var alarmedAt: Date?

        public init(id: String, team: String, type: String, target: String, lastSuccessAt: Date? = nil, failingSince: Date? = nil, lastError: String? = nil,
                    consecutiveFailures: Int = 0, breakerOpenUntil: Date? = nil, alarmedAt: Date? = nil) {
            self.id = id; self.team = team; self.type = type; self.target = target; self.lastSuccessAt = lastSuccessAt; self.failingSince = failingSince
            self.lastError = lastError; self.consecutiveFailures = consecutiveFailures; self.breakerOpenUntil = breakerOpenUntil; self.alarmedAt = alarmedAt
        }
    }

    public var channels: [Channel]
    /// A channel failing longer than this pages the operators through another channel.
    public var alarmAfterSeconds: Int
    public var generatedAt: Date

    public init(channels: [Channel], alarmAfterSeconds: Int, generatedAt: Date = Date()) {
        self.channels = channels; self.alarmAfterSeconds = alarmAfterSeconds; self.generatedAt = generatedAt
    }
}
