import CCTVContract
import Foundation
import Synchronization

/// Each channel's recent record — last success, failing since, consecutive failures, last error —
/// from every delivery attempt, and whether the operators were paged about it. Kept in memory: after
/// a restart a dead endpoint shows as failing again after its first attempt.
package final class ChannelHealthBook: Sendable {
    struct Record: Sendable {
        var lastSuccessAt: Date?
        var failingSince: Date?
        var lastError: String?
        var consecutiveFailures = 0
        var alarmedAt: Date?
    }

    private let records = Mutex<[String: Record]>([:])

    package init() {}

    /// Records one attempt's outcome for `channelID`. A permanent refusal (HTTP 4xx) counts as a
    /// failure of the channel here (the endpoint does not take our notices), unlike for the breaker.
    package func record(_ channelID: String, _ outcome: DeliveryOutcome, now: Date = Date()) {
        records.withLock { all in
            var record = all[channelID] ?? Record()
            switch outcome {
            case .delivered:
                record.lastSuccessAt = now
                record.failingSince = nil
                record.consecutiveFailures = 0
                record.alarmedAt = nil
            case let .failed(status, error, _):
                if record.failingSince == nil { record.failingSince = now }
                record.consecutiveFailures += 1
                record.lastError = String((status.map { "[\($0)] " } ?? "") + error.prefix(300))
            }
            all[channelID] = record
        }
    }

    /// Marks the operators as paged about `channelID`'s current failing streak.
    package func markAlarmed(_ channelID: String, at: Date) {
        records.withLock { $0[channelID, default: Record()].alarmedAt = at }
    }

    /// Channels failing for at least `after` seconds whose operators were not paged yet in this streak.
    package func dueAlarms(after: TimeInterval, now: Date = Date()) -> [(channelID: String, since: Date, error: String?)] {
        records.withLock { all in
            all.compactMap { id, r in
                guard let since = r.failingSince, r.alarmedAt == nil, now.timeIntervalSince(since) >= after else { return nil }
                return (id, since, r.lastError)
            }.sorted { $0.channelID < $1.channelID }
        }
    }

    /// The health of every channel of `book`, with its breaker's state.
    package func snapshot(book: ContactBook, breakers: EndpointBreakers, alarmAfter: TimeInterval, now: Date = Date()) -> NotifierHealth {
        let all = records.withLock { $0 }
        var channels: [NotifierHealth.Channel] = []
        for team in book.teams {
            for channel in team.channels {
                let r = all[channel.id] ?? Record()
                let openUntil: Date? = if case let .open(until) = breakers.state(channel.id), until > now { until } else { nil }
                channels.append(.init(id: channel.id, team: team.id, type: channel.type.rawValue, target: channel.displayTarget, lastSuccessAt: r.lastSuccessAt,
                                      failingSince: r.failingSince, lastError: r.lastError, consecutiveFailures: r.consecutiveFailures,
                                      breakerOpenUntil: openUntil, alarmedAt: r.alarmedAt))
            }
        }
        return NotifierHealth(channels: channels, alarmAfterSeconds: Int(alarmAfter), generatedAt: now)
    }
}
