import AsyncHTTPClient
import CCTVContract
import Foundation
import ServiceRuntime

/// A test send: a sample incident through one channel of the contacts, right away, without the
/// broker or the outbox (`cctv-out notify test --channel <id>`).
public enum TestSend {
    /// Why a test send did not go out.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Sends a sample `event` notice through channel `channelID`; returns what happened, in one line.
    /// - Throws: ``Failure`` when the channel is unknown or the endpoint did not accept it.
    public static func send(configuration: NotifierConfiguration, channelID: String, event: NotificationEvent) async throws -> String {
        let book = try configuration.contactBook()
        guard let found = book.channel(channelID) else {
            throw Failure(description: "no channel \(channelID.debugDescription); known: \(book.teams.flatMap { $0.channels.map(\.id) }.joined(separator: ", "))")
        }
        let timeout = configuration.timeoutSeconds
        let policy = configuration.policy
        let now = Date()
        let kind: IssueKind = found.team.role == .vendor ? .camera : .line
        let sample = IssueRecord(id: "TEST-\(Int(now.timeIntervalSince1970))", cameraID: "CAM-TEST", cameraName: "테스트 카메라", address: "192.0.2.1",
                                 site: "시험 현장", kind: kind, state: event == .resolved ? .resolved : .open, responsible: kind.responsible,
                                 responsibleTeam: found.team.id, reason: "test_send", openedAt: now.addingTimeInterval(-300), updatedAt: now,
                                 resolvedAt: event == .resolved ? now : nil, version: 1)
        let deliveryID = UUID().uuidString
        let payload = ChannelPayload.render(Recipient(team: found.team, channel: found.channel), event: event, issue: sample,
                                            dashboard: policy.dashboard, timeZone: policy.timeZone, deliveryID: deliveryID)
        let http = HTTPPoster.makeClient()
        let sender = NotifierService.channels(http: http, timeoutSeconds: timeout)[found.channel.type]!
        let outcome = await sender.send(payload, via: found.channel, deliveryID: deliveryID)
        try? await http.shutdown()
        switch outcome {
        case let .delivered(status):
            return "delivered through \(found.channel.displayTarget) [\(found.channel.type.rawValue)]" + (status.map { ", answer \($0)" } ?? "")
        case let .failed(status, error, permanent):
            throw Failure(description: "not delivered through \(found.channel.displayTarget): \(error)" + (status.map { " (status \($0))" } ?? "")
                          + (permanent ? " — permanent, check the channel's settings" : " — transient, the notifier would retry"))
        }
    }
}
