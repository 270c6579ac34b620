import CCTVContract
import Foundation

/// When a notification channel has been failing longer than the configured time, the operators are
/// paged through their other channels: nobody should believe a line team was told when it was not.
/// Pure: who is paged and with what; the store queues it like any notice.
package enum ChannelAlarm {
    /// Pseudo camera id of an alarm notice (`CHANNEL:<channel id>`), never a real camera's.
    package static let cameraPrefix = "CHANNEL:"

    /// The operators' channels other than `failing` (and other channels failing too), in file order.
    package static func recipients(for failing: String, book: ContactBook, alsoFailing: Set<String>) -> [Recipient] {
        book.teams.filter { $0.role == .operators }.flatMap { team in
            team.channels.filter { $0.id != failing && !alsoFailing.contains($0.id) }.map { Recipient(team: team, channel: $0) }
        }
    }

    /// The notice about `channelID` failing since `since`, as an incident-shaped record the
    /// templates render (the channel in the camera's place, the last error as the reason).
    package static func notice(channelID: String, book: ContactBook, since: Date, error: String?, now: Date) -> IssueRecord {
        let found = book.channel(channelID)
        return IssueRecord(id: "channel-alarm-\(channelID)-\(Int(since.timeIntervalSince1970))", cameraID: cameraPrefix + channelID,
                           cameraName: found?.channel.displayTarget ?? channelID, address: found?.team.name, site: nil, kind: .line, state: .open,
                           responsible: .lineTeam, responsibleTeam: found?.team.id, reason: String((error ?? "not_delivered").prefix(200)),
                           openedAt: since, updatedAt: now, version: 1)
    }
}
