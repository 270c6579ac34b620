import CCTVContract
import Foundation

/// What a team is for: who gets which incidents.
package enum TeamRole: String, Codable, Sendable, CaseIterable {
    /// Network line team: `LINE` and `LINE_DEGRADED` incidents.
    case lineTeam = "line-team"
    /// Camera vendor: `CAMERA` incidents.
    case vendor
    /// Control-room operators: told of every opening and recovery.
    case operators
}

/// The language a team's messages are written in.
package enum MessageLanguage: String, Codable, Sendable, CaseIterable {
    case ko, en
}

/// The kinds of channel the notifier can deliver through.
package enum ChannelKind: String, Codable, Sendable, CaseIterable {
    case webhook, slack, teams, telegram, discord, email
}

/// One way to reach a team, as written in the contacts file. Which fields apply depends on `type`;
/// ``ContactBook/validate()`` checks them. Printing one shows its ``displayTarget`` only: the
/// secret, the bot token, the SMTP password and the URL's path (which often holds a token) never
/// reach a log line or an error message.
package struct ChannelConfig: Codable, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Unique over the whole file; deliveries, dedup, breakers and history are keyed by it.
    package var id: String
    package var type: ChannelKind
    /// webhook / slack / teams / discord: the POST URL. email: the server, `smtp://host:port`
    /// (STARTTLS when offered; required with `requireTLS`) or `smtps://host:port` (implicit TLS).
    package var url: String?
    /// webhook: the HMAC-SHA256 key for the `X-CCTVOut-Signature` header.
    package var secret: String?
    /// teams: `adaptive` (Workflows, the default) or `messagecard` (legacy connectors).
    package var format: String?
    /// telegram: bot token, chat id, and the API base (default `https://api.telegram.org`).
    package var token: String?
    package var chatID: String?
    package var apiBase: String?
    /// email: envelope sender and recipients, optional AUTH credentials, TLS options.
    package var from: String?
    package var to: [String]?
    package var username: String?
    package var password: String?
    package var requireTLS: Bool?
    package var caFile: String?
    /// Only incidents of these kinds go to this channel (all kinds when absent). Recoveries always
    /// reach a channel that was told, whatever its filter.
    package var kinds: [IssueKind]?

    package init(id: String, type: ChannelKind, url: String? = nil, secret: String? = nil, format: String? = nil, token: String? = nil,
                chatID: String? = nil, apiBase: String? = nil, from: String? = nil, to: [String]? = nil, username: String? = nil,
                password: String? = nil, requireTLS: Bool? = nil, caFile: String? = nil, kinds: [IssueKind]? = nil) {
        self.id = id; self.type = type; self.url = url; self.secret = secret; self.format = format; self.token = token
        self.chatID = chatID; self.apiBase = apiBase; self.from = from; self.to = to; self.username = username
        self.password = password; self.requireTLS = requireTLS; self.caFile = caFile; self.kinds = kinds
    }

    package var description: String { "ChannelConfig(\(type.rawValue) \(displayTarget))" }
    package var debugDescription: String { description }

    /// Where this channel points, safe to publish and show: never a token, secret, path or query.
    package var displayTarget: String {
        switch type {
        case .email:
            let domains = Set((to ?? []).compactMap { $0.split(separator: "@").last.map(String.init) }).sorted()
            return "\(id) (mail \(domains.joined(separator: ",")))"
        case .telegram:
            return "\(id) (telegram chat)"
        default:
            let host = url.flatMap { URLComponents(string: $0)?.host } ?? "?"
            return "\(id) (\(host))"
        }
    }
}

/// A team from the contacts file: a line team, a vendor or the operators, with its channels.
package struct Team: Codable, Sendable, Equatable {
    /// The id cameras name in `lineTeam` / `vendor` (their definition), e.g. `KT-1`.
    package var id: String
    package var name: String
    package var role: TeamRole
    package var language: MessageLanguage
    package var channels: [ChannelConfig]
    /// The team told when an incident of this team is not acknowledged in time.
    package var escalateTo: String?

    package init(id: String, name: String, role: TeamRole, language: MessageLanguage = .ko, channels: [ChannelConfig], escalateTo: String? = nil) {
        self.id = id; self.name = name; self.role = role; self.language = language; self.channels = channels; self.escalateTo = escalateTo
    }

    /// `language` may be left out (Korean), as may `channels` (a team set up before its channels).
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        role = try c.decode(TeamRole.self, forKey: .role)
        language = try c.decodeIfPresent(MessageLanguage.self, forKey: .language) ?? .ko
        channels = try c.decodeIfPresent([ChannelConfig].self, forKey: .channels) ?? []
        escalateTo = try c.decodeIfPresent(String.self, forKey: .escalateTo)
    }
}

/// Every team and which team of each role takes incidents whose camera names no (known) team.
///
/// ```json
/// {"defaults": {"line-team": "KT-1", "vendor": "HANWHA"},
///  "siteDefaults": {"별관": {"line-team": "KT-2"}},
///  "streamServers": {"http://10.0.0.5:8080": "NVR-TEAM"},
///  "teams": [{"id": "KT-1", "name": "KT 회선팀", "role": "line-team", "language": "ko", "escalateTo": "NOC-LEAD",
///             "channels": [{"id": "kt-slack", "type": "slack", "url": "https://hooks.slack.com/services/…"}]}]}
/// ```
package struct ContactBook: Codable, Sendable, Equatable {
    /// Default team id per role (key: `line-team`, `vendor`, `operators`). A role without an entry
    /// defaults to its first team in the file.
    package var defaults: [String: String]?
    /// Default team id per role for the cameras of one site (key: the camera's `site`), used
    /// before `defaults` when a camera names no team of its own.
    package var siteDefaults: [String: [String: String]]?
    /// Every team, in file order (which decides the default team of a role without `defaults`).
    package var teams: [Team]
    /// Who owns a stream server (an NVR, a media gateway): its URL (`http://10.0.0.5:8080`, any
    /// path ignored) → team id. That team is told when several cameras of the server fail
    /// together (a STREAM_SERVER incident); without an entry, the operators' default team.
    package var streamServers: [String: String]?

    package init(teams: [Team], defaults: [String: String]? = nil, siteDefaults: [String: [String: String]]? = nil, streamServers: [String: String]? = nil) {
        self.teams = teams
        self.defaults = defaults
        self.siteDefaults = siteDefaults
        self.streamServers = streamServers
    }

    /// Upper bounds that keep a mistaken or hostile file from exhausting memory or sending storms.
    package static let maxFileBytes = 1 << 20
    package static let maxTeams = 2000
    package static let maxChannelsPerTeam = 32
    package static let maxRecipientsPerEmail = 50

    /// The team with `id`.
    package func team(_ id: String?) -> Team? {
        guard let id else { return nil }
        return teams.first { $0.id == id }
    }

    /// The team that takes incidents of `role` when the camera names none: its site's default
    /// for the role, else the role's default, else the role's first team.
    package func defaultTeam(_ role: TeamRole, site: String? = nil) -> Team? {
        if let site, let id = siteDefaults?[site]?[role.rawValue], let team = team(id) { return team }
        if let id = defaults?[role.rawValue], let team = team(id) { return team }
        return teams.first { $0.role == role }
    }

    /// The team the contacts name as the owner of stream server `origin` (`scheme://host:port`).
    package func streamServerOwner(_ origin: String?) -> Team? {
        guard let origin, let servers = streamServers else { return nil }
        for (url, teamID) in servers where StreamServer.origin(of: url) == origin { return team(teamID) }
        return nil
    }

    /// The channel with `id` and the team that owns it.
    package func channel(_ id: String) -> (team: Team, channel: ChannelConfig)? {
        for team in teams {
            if let channel = team.channels.first(where: { $0.id == id }) { return (team, channel) }
        }
        return nil
    }

    /// The shorthand of the `notifier.webhook.*` settings: one team per party with one webhook each,
    /// signed with `secret` (`notifier.webhook-secret`) when one is set, like any contacts-file webhook.
    package static func fromWebhookSettings(lineTeam: String?, vendor: String?, operators: String?, secret: String? = nil) -> ContactBook {
        var teams: [Team] = []
        if let lineTeam {
            teams.append(Team(id: "line-team", name: "Network line team", role: .lineTeam, channels: [.init(id: "line-team-webhook", type: .webhook, url: lineTeam, secret: secret)]))
        }
        if let vendor {
            teams.append(Team(id: "vendor", name: "Camera vendor", role: .vendor, channels: [.init(id: "vendor-webhook", type: .webhook, url: vendor, secret: secret)]))
        }
        if let operators {
            teams.append(Team(id: "operators", name: "Operators", role: .operators, channels: [.init(id: "operators-webhook", type: .webhook, url: operators, secret: secret)]))
        }
        return ContactBook(teams: teams)
    }

    /// Reads and validates a contacts file (JSON).
    /// - Throws: ``ContactsError`` naming the file and the entry at fault.
    package static func load(path: String) throws(ContactsError) -> ContactBook {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path)
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? data.count
        guard size <= maxFileBytes else { throw .invalid(path: path, entry: "file", problem: "larger than \(maxFileBytes) bytes") }
        return try decode(data, source: path)
    }

    /// Checks ids, roles, references and each channel's required fields.
    /// - Throws: ``ContactsError/invalid(path:entry:problem:)`` with the entry's position and id.
    package func validate() throws(ContactsError) {
        func fail(_ entry: String, _ problem: String) -> ContactsError { .invalid(path: "", entry: entry, problem: problem) }
        guard teams.count <= Self.maxTeams else { throw fail("teams", "more than \(Self.maxTeams) teams") }
        var teamIDs = Set<String>()
        var channelIDs = Set<String>()
        for (index, team) in teams.enumerated() {
            let entry = "teams[\(index)] (id \(team.id.debugDescription))"
            guard Self.isValidID(team.id) else { throw fail(entry, "id must be 1–64 of A-Z a-z 0-9 . _ -") }
            guard teamIDs.insert(team.id).inserted else { throw fail(entry, "duplicate team id") }
            guard !team.name.isEmpty, team.name.count <= 200 else { throw fail(entry, "name must be 1–200 characters") }
            guard team.channels.count <= Self.maxChannelsPerTeam else { throw fail(entry, "more than \(Self.maxChannelsPerTeam) channels") }
            for (channelIndex, channel) in team.channels.enumerated() {
                let channelEntry = "\(entry).channels[\(channelIndex)] (id \(channel.id.debugDescription))"
                guard Self.isValidID(channel.id) else { throw fail(channelEntry, "id must be 1–64 of A-Z a-z 0-9 . _ -") }
                guard channelIDs.insert(channel.id).inserted else { throw fail(channelEntry, "duplicate channel id (channel ids are unique over the whole file)") }
                if let problem = Self.problem(with: channel) { throw fail(channelEntry, problem) }
            }
        }
        for (index, team) in teams.enumerated() {
            if let target = team.escalateTo, self.team(target) == nil {
                throw fail("teams[\(index)] (id \(team.id.debugDescription)).escalateTo", "no team with id \(target.debugDescription)")
            }
        }
        var roleDefaults: [(entry: String, role: String, id: String)] = (defaults ?? [:]).map { ("defaults.\($0.key)", $0.key, $0.value) }
        for (site, entries) in siteDefaults ?? [:] {
            roleDefaults += entries.map { ("siteDefaults.\(site).\($0.key)", $0.key, $0.value) }
        }
        guard (streamServers?.count ?? 0) <= Self.maxTeams * 10 else { throw fail("streamServers", "more than \(Self.maxTeams * 10) entries") }
        for (url, id) in streamServers ?? [:] {
            guard StreamServer.origin(of: url) != nil else { throw fail("streamServers.\(url)", "must be an http:// or https:// URL of the stream server") }
            guard team(id) != nil else { throw fail("streamServers.\(url)", "no team with id \(id.debugDescription)") }
        }
        for (entry, role, id) in roleDefaults {
            guard let teamRole = TeamRole(rawValue: role) else { throw fail(entry, "unknown role (line-team, vendor, operators)") }
            guard let team = team(id) else { throw fail(entry, "no team with id \(id.debugDescription)") }
            guard team.role == teamRole else { throw fail(entry, "team \(id.debugDescription) has role \(team.role.rawValue)") }
        }
    }

    static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    static func isHTTPURL(_ text: String?) -> Bool {
        guard let text else { return false }
        return (try? EndpointURL(validating: text, schemes: EndpointURL.web)) != nil
    }

    /// What is wrong with a channel's fields, or `nil`.
    static func problem(with channel: ChannelConfig) -> String? {
        switch channel.type {
        case .webhook, .slack, .discord:
            guard isHTTPURL(channel.url) else { return "url must be an http:// or https:// URL with a port from 1 to 65535" }
            if let secret = channel.secret, secret.isEmpty || secret.utf8.count > 1024 { return "secret must be 1–1024 bytes" }
        case .teams:
            guard isHTTPURL(channel.url) else { return "url must be an http:// or https:// URL with a port from 1 to 65535" }
            if let format = channel.format, !["adaptive", "messagecard"].contains(format) { return "format must be adaptive or messagecard" }
        case .telegram:
            guard let token = channel.token, !token.isEmpty, token.utf8.count <= 256,
                  token.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || ":_-".unicodeScalars.contains($0)) })
            else { return "token must be the bot token from BotFather (letters, digits, : _ -)" }
            guard let chat = channel.chatID, !chat.isEmpty, chat.utf8.count <= 128 else { return "chatID is required (a chat id or @channelname)" }
            if channel.apiBase != nil && !isHTTPURL(channel.apiBase) { return "apiBase must be an http:// or https:// URL with a port from 1 to 65535" }
        case .email:
            guard let url = channel.url, (try? EndpointURL(validating: url, schemes: ["smtp", "smtps"])) != nil
            else { return "url must be smtp://host:port or smtps://host:port (port 1–65535)" }
            guard let from = channel.from, isMailAddress(from) else { return "from must be a mail address" }
            guard let to = channel.to, !to.isEmpty, to.count <= maxRecipientsPerEmail else { return "to must list 1–\(maxRecipientsPerEmail) mail addresses" }
            if let bad = to.first(where: { !isMailAddress($0) }) { return "to: \(bad.debugDescription) is not a mail address" }
            if (channel.username == nil) != (channel.password == nil) { return "username and password go together" }
        }
        if let kinds = channel.kinds, kinds.isEmpty {
            return "kinds, when given, must list at least one of \(IssueKind.allCases.map(\.rawValue).joined(separator: ", "))"
        }
        return nil
    }

    /// A plain `local@domain` address without spaces or angle brackets (they would let a value
    /// smuggle extra SMTP commands or headers).
    static func isMailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && text.utf8.count <= 254
            && !text.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7F || "<>(),;:\\\"[]".unicodeScalars.contains($0) }
    }

    static func describe(_ error: DecodingError) -> (entry: String, problem: String) {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "file" : text
        }
        switch error {
        case let .keyNotFound(key, context): return (path(context.codingPath + [key]), "is required")
        case let .typeMismatch(_, context): return (path(context.codingPath), context.debugDescription)
        case let .valueNotFound(_, context): return (path(context.codingPath), "is required")
        case let .dataCorrupted(context): return (path(context.codingPath), context.debugDescription)
        @unknown default: return ("file", "\(error)")
        }
    }
}

/// A contacts file problem, naming the file and the entry so it can be fixed.
package enum ContactsError: Error, Sendable, CustomStringConvertible {
    case unreadable(path: String)
    case invalid(path: String, entry: String, problem: String)

    package var description: String {
        switch self {
        case let .unreadable(path): "contacts file \(path): cannot be read"
        case let .invalid(path, entry, problem): "contacts file \(path.isEmpty ? "(settings)" : path): \(entry): \(problem)"
        }
    }
}
