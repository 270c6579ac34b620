import AsyncHTTPClient
import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime
import Testing
import TestSupport
@testable import Notifier

/// Who is told, set up while the notifier runs: contacts saved over `commands/notifier` apply at
/// once (no restart), secrets never come back, a bad entry is refused by name, a test send shows
/// the endpoint's answer, the team directory is published for the registry, and a channel failing
/// too long pages the operators through another channel.
@Suite("notification setup without a restart", .serialized, .runsAlone)
struct NotificationSetupTests {
    /// A running notifier on a real broker, a tool client, and a webhook sink.
    struct Harness {
        let broker: MosquittoFixture
        let sink: HTTPSink
        let dir: String
        let group: ServiceGroup
        let running: Task<Void, any Error>
        let tool: MQTTClient
        let directory: Collector<MQTTMessage>
        let service: NotifierService

        init(contactsFile: String? = nil, dir: String? = nil) async throws {
            broker = try MosquittoFixture()
            sink = try await HTTPSink()
            self.dir = dir ?? temporaryDirectory()
            var runtime = RuntimeConfiguration()
            runtime.dataDir = self.dir
            runtime.instance = "setup-\(UUID().uuidString.prefix(6))"
            var configuration = NotifierConfiguration()
            configuration.contactsFile = contactsFile
            var logger = Logger(label: "setup")
            logger.logLevel = .warning
            let context = RuntimeContext(configuration: runtime, endpoint: BrokerEndpoint(host: "127.0.0.1", port: broker.port), logger: logger)
            let service = try NotifierService(context: context, configuration: configuration)
            self.service = service
            group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: logger))
            let group = group
            running = Task { try await group.run() }
            tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
            directory = try await Collector.subscribing(tool, to: "notifier/directory")
            let availability = try await Collector.subscribing(tool, to: "services/notifier/availability")
            tool.start()
            try await tool.waitUntilConnected()
            // A command sent before the notifier subscribed would be lost: it says online once it has.
            guard await eventually(timeout: .seconds(20), { availability.all.contains { $0.text == "online" } }) else {
                throw FixtureError("the notifier did not come online")
            }
        }

        func command(_ command: NotifierCommand) async throws -> NotifierReply {
            let answer = try await tool.request(Topics().notifierCommands(from: "test-tool"), payload: ContractCodec.encode(Envelope(type: .notifierCommand, source: "test", data: command)), timeout: .seconds(30))
            return try ContractCodec.decode(answer.payload, as: NotifierReply.self, expecting: [.notifierReply]).data
        }

        func stop() async {
            await tool.shutdown()
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            sink.stop()
            broker.stop()
        }
    }

    static func contacts(_ sink: HTTPSink, lineTeam: String = "LT-1", secret: String = "s3cret") -> String {
        """
        {"teams": [
          {"id": "\(lineTeam)", "name": "회선 1팀", "role": "line-team", "language": "ko",
           "channels": [{"id": "lt-hook", "type": "webhook", "url": "\(sink.url("/line"))", "secret": "\(secret)"}]},
          {"id": "OPS", "name": "관제실", "role": "operators", "channels": [{"id": "ops-hook", "type": "webhook", "url": "\(sink.url("/ops"))"}]}
        ]}
        """
    }

    @Test("contacts saved over MQTT apply at once, come back without secrets, and the directory names the new team")
    func savedContactsApply() async throws {
        let h = try await Harness()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let saved = try await h.command(NotifierCommand(action: .putContacts, contactsJSON: Self.contacts(h.sink), actor: "admin"))
        #expect(saved.ok, "\(String(describing: saved.error))")
        #expect(saved.contactsJSON?.contains("s3cret") == false && saved.contactsJSON?.contains(NotifierCommand.storedSecret) == true, "secrets never come back")
        // Saved again as shown (secret "__stored__"): the stored secret is kept and still signs.
        let again = try await h.command(NotifierCommand(action: .putContacts, contactsJSON: saved.contactsJSON))
        #expect(again.ok)
        #expect(h.service.contacts.current.channel("lt-hook")?.channel.secret == "s3cret")
        #expect(await h.directory.first(timeout: .seconds(10)) { message in
            (try? ContractCodec.decode(message.payload, as: TeamDirectory.self, expecting: [.notifierDirectory]).data.ids(role: "line-team")) == ["LT-1"]
        } != nil, "the registry learns the new team")

        // The next incident for that team reaches the new channel: no restart.
        let issue = IssueRecord(id: "I-NEW", cameraID: "CAM-9", cameraName: "정문", site: "본관", kind: .line, state: .open, responsible: .lineTeam,
                                responsibleTeam: "LT-1", reason: "no_reply", openedAt: Date(), updatedAt: Date(), version: 1)
        try await h.tool.publish("issues/opened", payload: ContractCodec.encode(Envelope(type: .issueOpened, source: "test", data: issue)))
        let arrived = await h.sink.first(timeout: .seconds(20)) { $0.path == "/line" }
        #expect(arrived?.headers["x-cctvout-signature"] != nil, "signed with the kept secret")
        #expect(await h.sink.first(timeout: .seconds(20)) { $0.path == "/ops" } != nil)
        await h.stop()
    }

    @Test("a bad entry is refused naming it, and nothing changes")
    func refusedByEntry() async throws {
        let h = try await Harness()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let bad = Self.contacts(h.sink).replacingOccurrences(of: "\"type\": \"webhook\", \"url\": \"\(h.sink.url("/line"))\"", with: "\"type\": \"webhook\", \"url\": \"ftp://x\"")
        let refused = try await h.command(NotifierCommand(action: .putContacts, contactsJSON: bad))
        #expect(!refused.ok)
        #expect(refused.error?.field == "teams[0] (id \"LT-1\").channels[0] (id \"lt-hook\")", "\(String(describing: refused.error))")
        #expect(refused.error?.message.contains("http://") == true)
        let newChannel = Self.contacts(h.sink, secret: NotifierCommand.storedSecret)
        let unknownSecret = try await h.command(NotifierCommand(action: .putContacts, contactsJSON: newChannel))
        #expect(unknownSecret.error?.field?.hasSuffix(".secret") == true, "a placeholder for a secret never stored is refused")
        #expect(h.service.contacts.current.teams.isEmpty)
        await h.stop()
    }

    @Test("a test send reports what the endpoint answered, and an unknown channel names the known ones")
    func testSendAnswer() async throws {
        let h = try await Harness()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        _ = try await h.command(NotifierCommand(action: .putContacts, contactsJSON: Self.contacts(h.sink)))
        h.sink.respond(with: 200, body: "received, thanks")
        let ok = try await h.command(NotifierCommand(action: .testChannel, channelID: "lt-hook"))
        #expect(ok.test?.delivered == true && ok.test?.status == 200 && ok.test?.answer == "received, thanks")
        h.sink.respond(with: 404, body: "no such hook")
        let refused = try await h.command(NotifierCommand(action: .testChannel, channelID: "lt-hook"))
        #expect(refused.test?.delivered == false && refused.test?.permanent == true && refused.test?.answer == "no such hook")
        let unknown = try await h.command(NotifierCommand(action: .testChannel, channelID: "nope"))
        #expect(unknown.error?.code == "not_found" && unknown.error?.message.contains("lt-hook") == true)
        await h.stop()
    }

    @Test("a changed contacts file is imported at start; an unchanged one leaves the edits made meanwhile")
    func fileIsTheImport() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "-contacts.json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let sink = try await HTTPSink()
        defer { sink.stop() }
        try Self.contacts(sink, lineTeam: "FILE-1").write(toFile: file, atomically: true, encoding: .utf8)
        var first = try await Harness(contactsFile: file, dir: dir)
        #expect(first.service.contacts.current.team("FILE-1") != nil)
        _ = try await first.command(NotifierCommand(action: .putContacts, contactsJSON: Self.contacts(sink, lineTeam: "EDITED")))
        await first.stop()
        first = try await Harness(contactsFile: file, dir: dir)
        #expect(first.service.contacts.current.team("EDITED") != nil, "the file did not change: the edit stays")
        await first.stop()
        try Self.contacts(sink, lineTeam: "FILE-2").write(toFile: file, atomically: true, encoding: .utf8)
        let third = try await Harness(contactsFile: file, dir: dir)
        #expect(third.service.contacts.current.team("FILE-2") != nil, "the file changed: it is imported")
        await third.stop()
    }
}

@Suite("channel health and the channel alarm", .runsAlone)
struct ChannelAlarmTests {
    @Test("a channel failing longer than the alarm time is due once per failing streak; a success ends the streak")
    func dueOncePerStreak() {
        let health = ChannelHealthBook()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        health.record("hook", .failed(status: 500, error: "HTTP 500", permanent: false), now: start)
        health.record("hook", .failed(status: nil, error: "refused", permanent: false), now: start.addingTimeInterval(300))
        #expect(health.dueAlarms(after: 900, now: start.addingTimeInterval(600)).isEmpty)
        let due = health.dueAlarms(after: 900, now: start.addingTimeInterval(901))
        #expect(due.map(\.channelID) == ["hook"] && due.first?.since == start && due.first?.error == "refused")
        health.markAlarmed("hook", at: start.addingTimeInterval(901))
        #expect(health.dueAlarms(after: 900, now: start.addingTimeInterval(2000)).isEmpty, "paged once")
        health.record("hook", .delivered(status: 200), now: start.addingTimeInterval(2100))
        health.record("hook", .failed(status: 500, error: "HTTP 500", permanent: false), now: start.addingTimeInterval(2200))
        #expect(health.dueAlarms(after: 900, now: start.addingTimeInterval(3101)).map(\.channelID) == ["hook"], "a new streak pages again")
        let snapshot = health.snapshot(book: sampleBook, breakers: EndpointBreakers(threshold: 3, coolDown: 30), alarmAfter: 900, now: start)
        #expect(snapshot.channels.map(\.id) == ["kt1-hook", "kt2-hook", "vendor-hook", "ops-hook", "lead-hook"])
    }

    @Test("the operators are paged through their other channels, and the page is delivered")
    func pagedThroughAnotherChannel() async throws {
        #expect(ChannelAlarm.recipients(for: "ops-hook", book: sampleBook, alsoFailing: []).map(\.channel.id) == ["lead-hook"])
        #expect(ChannelAlarm.recipients(for: "kt1-hook", book: sampleBook, alsoFailing: ["lead-hook"]).map(\.channel.id) == ["ops-hook"])
        let ops = try await HTTPSink()
        defer { ops.stop() }
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try DeliveryStore(dataDir: dir)
        let book = ContactBook(teams: [
            Team(id: "LT", name: "line", role: .lineTeam, channels: [.init(id: "dead", type: .webhook, url: "http://127.0.0.1:1/x")]),
            Team(id: "OPS", name: "ops", role: .operators, channels: [.init(id: "ops", type: .webhook, url: ops.url("/ops"))]),
        ])
        let notice = ChannelAlarm.notice(channelID: "dead", book: book, since: Date().addingTimeInterval(-1000), error: "connection refused", now: Date())
        let policy = NotificationPolicy(dashboard: "http://dash")
        #expect(try store.queueChannelAlarm(notice, recipients: ChannelAlarm.recipients(for: "dead", book: book, alsoFailing: []), policy: policy) == 1)
        #expect(try store.queueChannelAlarm(notice, recipients: ChannelAlarm.recipients(for: "dead", book: book, alsoFailing: []), policy: policy) == 0, "once per streak")
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var logger = Logger(label: "alarm")
        logger.logLevel = .critical
        let dispatcher = DeliveryDispatcher(store: store, contacts: ContactsHolder(book), channels: NotifierService.channels(http: http, timeoutSeconds: 5),
                                            breakers: EndpointBreakers(threshold: 3, coolDown: 30), maxAttempts: 3, topics: Topics(), logger: logger)
        let running = Task { await dispatcher.run() }
        let page = await ops.first(timeout: .seconds(20)) { _ in true }
        #expect(page?.json?["event"] as? String == "channelFailing")
        #expect((page?.json?["messageKo"] as? String)?.contains("알림 채널 장애") == true)
        #expect(page?.json?["link"] as? String == "http://dash/#view=notify")
        running.cancel()
        await running.value
        try await http.shutdown()
    }
}
