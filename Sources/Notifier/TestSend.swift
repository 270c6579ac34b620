import AsyncHTTPClient
import CCTVContract
import Foundation
import ServiceRuntime

/// A test send: a sample incident through one channel, right away, without the outbox — from the
/// command line (`cctv-out notify test --channel <id>`) or the dashboard's "send test" — reporting
/// what the endpoint answered.
package enum TestSend {
    /// Why a test send did not go out.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// Sends a sample `event` notice through `channelID` of `book` and returns what happened.
    /// - Throws: ``ContractError`` `not_found` naming the known channels when `channelID` is unknown.
    package static func run(book: ContactBook, channelID: String, event: NotificationEvent, policy: NotificationPolicy, http: HTTPClient,
                           timeoutSeconds: Int) async throws(ContractError) -> ChannelTestResult {
        guard let found = book.channel(channelID) else {
            let known = book.teams.flatMap { $0.channels.map(\.id) }
            throw ContractError(code: "not_found", field: "channel",
                                message: "no channel \(channelID.debugDescription); " + (known.isEmpty ? "no channels are set up" : "known: \(known.joined(separator: ", "))"))
        }
        let now = Date()
        let kind: IssueKind = found.team.role == .vendor ? .camera : .line
        let sample = IssueRecord(id: "TEST-\(Int(now.timeIntervalSince1970))", cameraID: "CAM-TEST", cameraName: "테스트 카메라", address: "192.0.2.1",
                                 site: "시험 현장", kind: kind, state: event == .resolved ? .resolved : .open, responsible: kind.responsible,
                                 responsibleTeam: found.team.id, reason: "test_send", openedAt: now.addingTimeInterval(-300), updatedAt: now,
                                 resolvedAt: event == .resolved ? now : nil, version: 1)
        let deliveryID = UUID().uuidString
        let payload = ChannelPayload.render(Recipient(team: found.team, channel: found.channel), event: event, issue: sample,
                                            dashboard: policy.dashboard, timeZone: policy.timeZone, deliveryID: deliveryID)
        let sender = NotifierService.channels(http: http, timeoutSeconds: timeoutSeconds)[found.channel.type]!
        let recorder = HTTPPoster.AnswerRecorder()
        let started = ContinuousClock.now
        let outcome = await HTTPPoster.$recorder.withValue(recorder) { await sender.send(payload, via: found.channel, deliveryID: deliveryID) }
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        switch outcome {
        case let .delivered(status):
            return ChannelTestResult(channelID: channelID, target: found.channel.displayTarget, delivered: true, status: status, answer: recorder.answer, durationMs: ms)
        case let .failed(status, error, permanent):
            return ChannelTestResult(channelID: channelID, target: found.channel.displayTarget, delivered: false, status: status,
                                     answer: recorder.answer ?? String(error.prefix(500)), permanent: permanent, durationMs: ms)
        }
    }

    /// The command line's test send: the contacts from the configuration (file and shorthand), one line back.
    /// - Throws: ``Failure`` when the channel is unknown, there are no contacts, or the endpoint refused.
    package static func send(configuration: NotifierConfiguration, channelID: String, event: NotificationEvent) async throws -> String {
        let book = try configuration.contactBook()
        if book.teams.isEmpty {
            throw Failure(description: "no contacts: they come from --notifier-contacts FILE (a JSON file of teams and channels, see docs/contacts.example.json) "
                          + "or --notifier-webhook-line-team / --notifier-webhook-vendor / --notifier-webhook-operators URLs, also as CCTVOUT_* variables or in --config; "
                          + "contacts edited in the dashboard live in the notifier's database (test those from the dashboard's Notifications page)")
        }
        let policy = configuration.policy
        let timeout = configuration.timeoutSeconds
        let http = HTTPPoster.makeClient()
        let outcome: Result<ChannelTestResult, ContractError>
        do { outcome = .success(try await run(book: book, channelID: channelID, event: event, policy: policy, http: http, timeoutSeconds: timeout)) } catch {
            outcome = .failure(error)
        }
        try? await http.shutdown()
        let result: ChannelTestResult
        switch outcome {
        case let .success(done): result = done
        case let .failure(error): throw Failure(description: error.message)
        }
        let answer = result.answer.flatMap { $0.isEmpty ? nil : ", answer: \($0.prefix(200))" } ?? ""
        guard result.delivered else {
            throw Failure(description: "not delivered through \(result.target)" + (result.status.map { " (status \($0))" } ?? "") + answer
                          + (result.permanent == true ? " — permanent, check the channel's settings" : " — transient, the notifier would retry"))
        }
        return "delivered through \(result.target) [\(book.channel(channelID)?.channel.type.rawValue ?? "")]" + (result.status.map { ", status \($0)" } ?? "") + answer
    }
}
