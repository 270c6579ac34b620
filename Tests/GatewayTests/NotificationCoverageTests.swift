import CCTVContract
import Foundation
@testable import Gateway
import Testing

/// The banner: which incidents would reach nobody, from the notifier's directory and the teams
/// the cameras name.
@Suite("notification coverage")
struct NotificationCoverageTests {
    @Test("no line team at all, a team without a channel, and an unknown team are each reported with their cameras")
    func problems() {
        let empty = TeamDirectory(teams: [])
        #expect(NotificationCoverage.problems(directory: empty, lineTeams: ["": 10], vendors: ["": 10]).map(\.code) == ["no_team", "no_team"])
        let directory = TeamDirectory(teams: [.init(id: "KT-1", name: "KT", role: "line-team", channels: 1), .init(id: "KT-2", name: "KT2", role: "line-team", channels: 0),
                                              .init(id: "HANWHA", name: "한화", role: "vendor", channels: 2)])
        let found = NotificationCoverage.problems(directory: directory, lineTeams: ["KT-1": 5, "KT-2": 3, "SKB": 2, "": 4], vendors: ["HANWHA": 14])
        #expect(found == [
            .init(code: "team_without_channel", role: "line-team", team: "KT-2", cameras: 3),
            .init(code: "unknown_team", role: "line-team", team: "SKB", cameras: 2),
        ])
        let defaultSilent = TeamDirectory(teams: [.init(id: "KT-2", name: "KT2", role: "line-team", channels: 0), .init(id: "KT-1", name: "KT", role: "line-team", channels: 1)])
        #expect(NotificationCoverage.problems(directory: defaultSilent, lineTeams: ["": 4], vendors: [:]).first?.team == "KT-2",
                "cameras naming no team go to the role's first team, which has no channel")
    }
}
