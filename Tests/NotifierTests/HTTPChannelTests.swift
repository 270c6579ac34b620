import AsyncHTTPClient
import CCTVContract
import Foundation
import ServiceRuntime
import Testing
import TestSupport
@testable import Notifier

/// Each HTTP channel against a real HTTP server on loopback, checking the payload shape the
/// service documents (Slack Block Kit, Teams Adaptive Card / MessageCard, Telegram sendMessage,
/// Discord execute-webhook) and the generic webhook's signature.
@Suite("HTTP channels on a loopback server", .runsAlone)
struct HTTPChannelTests {
    func send(_ channel: ChannelConfig, language: MessageLanguage = .ko, event: NotificationEvent = .opened) async throws -> DeliveryOutcome {
        let http = HTTPPoster.makeClient()
        let team = Team(id: "KT-1", name: "KT", role: .lineTeam, language: language, channels: [channel])
        let payload = ChannelPayload.render(Recipient(team: team, channel: channel), event: event, issue: sampleIssue(kind: .line, team: "KT-1"),
                                            dashboard: "http://dash.example", timeZone: TimeZone(identifier: "Asia/Seoul")!, deliveryID: "D-1")
        let outcome = await NotifierService.channels(http: http, timeoutSeconds: 5)[channel.type]!.send(payload, via: channel, deliveryID: "D-1")
        try await http.shutdown()
        return outcome
    }

    @Test("generic webhook: the incident JSON, signed over timestamp and body, with the delivery id as Idempotency-Key")
    func webhook() async throws {
        let sink = try await HTTPSink()
        let outcome = try await send(.init(id: "hook", type: .webhook, url: sink.url("/hook"), secret: "s3cret"))
        #expect(outcome == .delivered(status: 200))
        let received = try #require(sink.all.first)
        let timestamp = try #require(received.headers["x-cctvout-timestamp"])
        #expect(received.headers["x-cctvout-signature"] == WebhookChannel.signature(secret: "s3cret", timestamp: timestamp, body: received.body))
        #expect(received.headers["x-cctvout-delivery"] == "D-1")
        #expect(received.headers["idempotency-key"] == "D-1", "the key a receiver dedupes a resent notice by")
        let body = try ContractCodec.decodeValue(WebhookChannel.Body.self, from: received.body)
        #expect(body.event == "opened" && body.issue.cameraID == "CAM-1" && body.team == "KT-1" && body.deliveryID == "D-1")
        #expect(body.messageKo.contains("회선 장애") && body.message.contains("현장: 본관") && body.link == "http://dash.example/#camera=CAM-1&incident=I-1")
    }

    @Test("a webhook receiver redirecting to port 70000 is a failed delivery with the reason, not a crash")
    func redirectToBadPort() async throws {
        let sink = try await HTTPSink()
        sink.redirect(with: 307, to: "http://127.0.0.1:70000/hook")
        let outcome = try await send(.init(id: "hook", type: .webhook, url: sink.url("/hook")))
        guard case let .failed(status, error, permanent) = outcome else { Issue.record("delivered: \(outcome)"); return }
        #expect(status == 307 && permanent, "a URL cannot be fixed by retrying")
        #expect(error.hasPrefix("bad_url") && error.contains("70000") && error.contains("1–65535"), "\(error)")
        #expect(sink.all.count == 1, "only the first POST went out")
    }

    @Test("a 307 redirect to a good URL is followed with the same POST; a loop ends as a failure")
    func redirectFollowed() async throws {
        let sink = try await HTTPSink()
        let target = try await HTTPSink()
        sink.redirect(with: 307, to: target.url("/moved"))
        #expect(try await send(.init(id: "hook", type: .webhook, url: sink.url("/hook"))) == .delivered(status: 200))
        #expect(target.all.first?.path == "/moved" && target.all.first?.json?["event"] as? String == "opened")
        sink.redirect(with: 308, to: sink.url("/hook"))
        guard case let .failed(_, error, _) = try await send(.init(id: "hook", type: .webhook, url: sink.url("/hook"))) else {
            Issue.record("a redirect loop was delivered"); return
        }
        #expect(error.hasPrefix("redirect_loop"), "\(error)")
    }

    @Test("Slack: text fallback plus header, section and fields blocks")
    func slack() async throws {
        let sink = try await HTTPSink()
        sink.respond(with: 200, body: "ok")
        #expect(try await send(.init(id: "slack", type: .slack, url: sink.url("/services/T/B/X"))) == .delivered(status: 200))
        let json = try #require(sink.all.first?.json)
        #expect((json["text"] as? String)?.contains("회선 장애") == true)
        let blocks = try #require(json["blocks"] as? [[String: Any]])
        #expect(blocks.map { $0["type"] as? String } == ["header", "section", "section", "section"])
        #expect((blocks[0]["text"] as? [String: Any])?["type"] as? String == "plain_text")
        let fields = try #require(blocks[2]["fields"] as? [[String: Any]])
        #expect(fields.contains { $0["type"] as? String == "mrkdwn" && ($0["text"] as? String) == "*현장*\n본관" })
        #expect((blocks[3]["text"] as? [String: Any])?["text"] as? String == "<http://dash.example/#camera=CAM-1&incident=I-1|대시보드>")
    }

    @Test("Teams: an Adaptive Card attachment by default, a MessageCard on request")
    func teams() async throws {
        let sink = try await HTTPSink()
        sink.respond(with: 202)
        #expect(try await send(.init(id: "teams", type: .teams, url: sink.url("/workflow")), language: .en) == .delivered(status: 202))
        let message = try #require(sink.all.first?.json)
        #expect(message["type"] as? String == "message")
        let attachment = try #require((message["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        let card = try #require(attachment["content"] as? [String: Any])
        #expect(card["type"] as? String == "AdaptiveCard" && card["version"] as? String == "1.4")
        let body = try #require(card["body"] as? [[String: Any]])
        #expect(body.map { $0["type"] as? String } == ["TextBlock", "TextBlock", "FactSet"])
        #expect((body[2]["facts"] as? [[String: String]])?.contains(["title": "Site", "value": "본관"]) == true)
        #expect((card["actions"] as? [[String: String]])?.first?["type"] == "Action.OpenUrl")

        sink.respond(with: 200, body: "1")
        #expect(try await send(.init(id: "teams", type: .teams, url: sink.url("/connector"), format: "messagecard")) == .delivered(status: 200))
        let legacy = try #require(sink.all.last?.json)
        #expect(legacy["@type"] as? String == "MessageCard" && legacy["@context"] as? String == "https://schema.org/extensions")
        #expect(((legacy["sections"] as? [[String: Any]])?.first?["facts"] as? [[String: String]])?.contains(["name": "현장", "value": "본관"]) == true)
    }

    @Test("Telegram: POST /bot<token>/sendMessage with chat_id and text; ok:false is a failure")
    func telegram() async throws {
        let sink = try await HTTPSink()
        sink.respond(with: 200, body: #"{"ok":true,"result":{"message_id":1}}"#)
        let channel = ChannelConfig(id: "tg", type: .telegram, token: "123:ABC", chatID: "-100777", apiBase: sink.url(""))
        #expect(try await send(channel) == .delivered(status: 200))
        let received = try #require(sink.all.first)
        #expect(received.path == "/bot123:ABC/sendMessage")
        #expect(received.json?["chat_id"] as? String == "-100777")
        #expect((received.json?["text"] as? String)?.contains("카메라: 정문 (10.0.0.1)") == true)

        sink.respond(with: 400, body: #"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#)
        #expect(try await send(channel) == .failed(status: 400, error: "Telegram 400: Bad Request: chat not found", permanent: true))
    }

    @Test("Discord: content of at most 2000 characters, mentions disabled")
    func discord() async throws {
        let sink = try await HTTPSink()
        sink.respond(with: 204)
        #expect(try await send(.init(id: "dc", type: .discord, url: sink.url("/api/webhooks/1/abc")), event: .resolved) == .delivered(status: 204))
        let json = try #require(sink.all.first?.json)
        let content = try #require(json["content"] as? String)
        #expect(content.hasPrefix("**정상화: 회선 장애 해소**") && content.count <= 2000)
        #expect((json["allowed_mentions"] as? [String: [String]])?["parse"] == [])
    }

    @Test("HTTP status decides: 5xx and 429 retried, other 4xx permanent, refused connection retried")
    func statuses() async throws {
        let sink = try await HTTPSink()
        sink.respond(with: 503)
        if case let .failed(status, _, permanent) = try await send(.init(id: "d", type: .discord, url: sink.url())) { #expect(status == 503 && !permanent) } else { Issue.record("503 delivered") }
        sink.respond(with: 429)
        if case let .failed(_, _, permanent) = try await send(.init(id: "d", type: .discord, url: sink.url())) { #expect(!permanent) } else { Issue.record("429 delivered") }
        sink.respond(with: 404)
        if case let .failed(_, _, permanent) = try await send(.init(id: "d", type: .discord, url: sink.url())) { #expect(permanent) } else { Issue.record("404 delivered") }
        let closed = try FreePort.find()
        if case let .failed(status, _, permanent) = try await send(.init(id: "d", type: .discord, url: "http://127.0.0.1:\(closed)/x")) { #expect(status == nil && !permanent) } else { Issue.record("refused delivered") }
    }
}

@Suite("test send", .runsAlone)
struct TestSendTests {
    @Test("notify test sends a sample notice through the named channel and reports the answer")
    func testSend() async throws {
        let sink = try await HTTPSink()
        let contacts = temporaryDirectory() + ".json"
        try """
            {"teams": [{"id": "KT-1", "name": "KT", "role": "line-team", "language": "ko",
                        "channels": [{"id": "kt-slack", "type": "slack", "url": "\(sink.url("/slack"))"}]}]}
            """.write(toFile: contacts, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: contacts) }
        var configuration = NotifierConfiguration()
        configuration.contactsFile = contacts
        let answer = try await TestSend.send(configuration: configuration, channelID: "kt-slack", event: .opened)
        #expect(answer == "delivered through kt-slack (127.0.0.1) [slack], status 200")
        #expect((sink.all.first?.json?["text"] as? String)?.contains("테스트 카메라") == true)
        sink.respond(with: 404)
        await #expect(throws: TestSend.Failure.self) { try await TestSend.send(configuration: configuration, channelID: "kt-slack", event: .resolved) }
        await #expect(throws: TestSend.Failure.self) { try await TestSend.send(configuration: configuration, channelID: "nope", event: .opened) }
    }
}
