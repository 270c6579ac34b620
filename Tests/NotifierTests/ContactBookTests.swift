import CCTVContract
import Foundation
import ServiceRuntime
import Testing
@testable import Notifier

@Suite("contacts file")
struct ContactBookTests {
    func load(_ json: String) throws -> ContactBook {
        let path = temporaryDirectory() + ".json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ContactBook.load(path: path)
    }

    func problem(_ json: String) -> String {
        do { _ = try load(json); return "" } catch { return "\(error)" }
    }

    @Test("a full file loads: every channel kind, defaults, escalation")
    func loads() throws {
        let book = try load("""
            {"defaults": {"line-team": "KT-1"},
             "teams": [
              {"id": "KT-1", "name": "KT 회선팀", "role": "line-team", "language": "ko", "escalateTo": "LEAD",
               "channels": [{"id": "kt-hook", "type": "webhook", "url": "https://hooks.example/kt", "secret": "s"},
                            {"id": "kt-slack", "type": "slack", "url": "https://hooks.slack.com/services/T/B/X"},
                            {"id": "kt-mail", "type": "email", "url": "smtp://mail.example:587", "from": "cctv@example.kr", "to": ["noc@example.kr"],
                             "username": "u", "password": "p", "requireTLS": true}]},
              {"id": "LEAD", "name": "팀장", "role": "operators", "language": "en",
               "channels": [{"id": "lead-tg", "type": "telegram", "token": "123:ABC-def", "chatID": "-100123"},
                            {"id": "lead-teams", "type": "teams", "url": "https://example.webhook.office.com/x", "format": "messagecard"},
                            {"id": "lead-discord", "type": "discord", "url": "https://discord.com/api/webhooks/1/abc", "kinds": ["LINE"]}]}]}
            """)
        #expect(book.teams.count == 2)
        #expect(book.defaultTeam(.lineTeam)?.id == "KT-1")
        #expect(book.defaultTeam(.operators)?.id == "LEAD", "first team of the role when no default is named")
        #expect(book.channel("kt-mail")?.channel.displayTarget == "kt-mail (mail example.kr)")
        #expect(book.channel("lead-tg")?.channel.displayTarget == "lead-tg (telegram chat)", "the bot token is never shown")
    }

    @Test("the example in docs/contacts.example.json is valid")
    func example() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/contacts.example.json").path
        let book = try ContactBook.load(path: path)
        #expect(book.teams.count == 5)
        #expect(NotificationRouting(book: book).responsibleTeam(for: sampleIssue(kind: .line, team: "LGU-BUSAN"))?.id == "LGU-BUSAN")
        #expect(NotificationRouting(book: book).responsibleTeam(for: sampleIssue(kind: .camera))?.id == "HANWHA")
    }

    @Test("errors name the entry and the problem")
    func errors() {
        #expect(problem(#"{"teams": [{"id": "A", "name": "a", "role": "boss", "language": "ko", "channels": []}]}"#).contains("teams[0].role"))
        #expect(problem(#"{"teams": [{"id": "A", "name": "a", "role": "vendor", "language": "ko", "channels": [{"id": "c", "type": "slack"}]}]}"#)
                .contains(#"teams[0] (id "A").channels[0] (id "c"): url must be"#))
        #expect(problem(#"{"teams": [{"id": "A", "name": "a", "role": "vendor", "language": "ko", "channels": [{"id": "c", "type": "email", "url": "smtp://h", "from": "x@y", "to": ["bad address"]}]}]}"#)
                .contains("is not a mail address"))
        #expect(problem(#"{"teams": [{"id": "A", "name": "a", "role": "vendor", "language": "ko", "channels": []}, {"id": "A", "name": "b", "role": "vendor", "language": "ko", "channels": []}]}"#)
                .contains(#"teams[1] (id "A"): duplicate team id"#))
        #expect(problem(#"{"teams": [{"id": "A", "name": "a", "role": "vendor", "language": "ko", "channels": [], "escalateTo": "B"}]}"#)
                .contains(#"escalateTo: no team with id "B""#))
        #expect(problem(#"{"defaults": {"vendor": "A"}, "teams": [{"id": "A", "name": "a", "role": "line-team", "language": "ko", "channels": []}]}"#)
                .contains("defaults.vendor"))
        #expect(problem(#"{"teams": [{"id": "A", "name": "a", "role": "vendor", "language": "jp", "channels": []}]}"#).contains("teams[0].language"))
        #expect(problem(#"{"teams": [{"id": "A", "name": "a", "role": "vendor", "language": "ko", "channels": [{"id": "c", "type": "webhook", "url": "http://h:70000/x"}]}]}"#)
                .contains("port from 1 to 65535"), "a webhook port above 65535 is refused when the contacts load")
        #expect(problem("not json").contains("contacts file"))
        #expect(problem(#"{"teams": [{"id": "A", "name": "a", "role": "vendor", "language": "ko", "channels": [{"id": "t", "type": "telegram", "token": "a b", "chatID": "1"}]}]}"#)
                .contains("token"))
    }

    @Test("the webhook settings are a shorthand that still works, alone or beside a file")
    func shorthand() throws {
        let arguments = ["--notifier-webhook-line-team", "http://127.0.0.1:1/line", "--notifier-webhook-operators", "http://127.0.0.1:1/ops"]
        let settings = try Settings(arguments: arguments, environment: [:], keys: NotifierConfiguration.keys)
        let book = try NotifierConfiguration(settings: settings, runtime: RuntimeConfiguration()).contactBook()
        let routing = NotificationRouting(book: book)
        let targets = NotificationDecision.decide(.opened, issue: sampleIssue(kind: .line, team: "KT-9"), history: .init(), routing: routing, now: Date())
            .recipients.map(\.channel.url)
        #expect(targets == ["http://127.0.0.1:1/line", "http://127.0.0.1:1/ops"])
        let wrong = try Settings(arguments: arguments + ["--notifier-webhook-vendor", "ftp://nope"], environment: [:], keys: NotifierConfiguration.keys)
        #expect(throws: SettingsError.self) { try NotifierConfiguration(settings: wrong, runtime: RuntimeConfiguration()) }
    }
}

@Suite("site default teams")
struct SiteDefaultTests {
    @Test("a camera without its own team goes to its site's default team, then to the role's default")
    func siteDefault() throws {
        var book = sampleBook
        book.siteDefaults = ["별관": ["line-team": "KT-2"]]
        try book.validate()
        let routing = NotificationRouting(book: book)
        var annex = sampleIssue(kind: .line)
        annex.site = "별관"
        #expect(routing.responsibleTeam(for: annex)?.id == "KT-2")
        var main = sampleIssue(kind: .line)
        main.site = "본관"
        #expect(routing.responsibleTeam(for: main)?.id == "KT-1")
        var named = sampleIssue(kind: .line, team: "KT-1")
        named.site = "별관"
        #expect(routing.responsibleTeam(for: named)?.id == "KT-1", "a team named on the camera wins over the site's default")
    }

    @Test("a site default naming a team of another role is refused with its entry")
    func wrongRole() {
        var book = sampleBook
        book.siteDefaults = ["별관": ["line-team": "HANWHA"]]
        do {
            try book.validate()
            Issue.record("accepted a vendor as a line team")
        } catch {
            #expect("\(error)".contains("siteDefaults.별관.line-team"))
        }
    }
}

@Suite("stream server owners")
struct StreamServerOwnerTests {
    @Test("the contacts name who owns a stream server, by its URL (any path), and a wrong entry is refused by name")
    func owners() throws {
        var book = sampleBook
        book.streamServers = ["http://10.0.0.5:8080/live": "HANWHA"]
        try book.validate()
        #expect(book.streamServerOwner("http://10.0.0.5:8080")?.id == "HANWHA")
        #expect(book.streamServerOwner("http://10.0.0.6:8080") == nil)
        book.streamServers = ["rtsp://10.0.0.5": "HANWHA"]
        #expect(throws: ContactsError.self) { try book.validate() }
        book.streamServers = ["http://10.0.0.5": "NOBODY"]
        do { try book.validate(); Issue.record("accepted an unknown team") } catch { #expect("\(error)".contains("streamServers.http://10.0.0.5")) }
    }

    @Test("a stream server's URL is its scheme, host and port, without credentials or path", arguments: [
        ("http://user:pw@Cam.Example:8080/a/b.m3u8", "http://cam.example:8080"),
        ("https://10.0.0.5/live.m3u8", "https://10.0.0.5:443"),
        ("http://10.0.0.5/x", "http://10.0.0.5:80"),
        ("rtsp://10.0.0.5/x", nil),
        ("http://10.0.0.5:70000/x", nil),
    ] as [(String, String?)])
    func origin(_ url: String, _ expected: String?) {
        #expect(StreamServer.origin(of: url) == expected)
    }
}
