import CCTVContract
import Foundation
import Synchronization

/// What the gateway last heard from the notifier: its team directory and its channels' health
/// (both retained topics), for the dashboard, the import template and the coverage banner.
package final class NotifierView: Sendable {
    private let state = Mutex<(directory: TeamDirectory?, health: NotifierHealth?)>((nil, nil))

    package init() {}

    package var directory: TeamDirectory? { state.withLock { $0.directory } }
    package var health: NotifierHealth? { state.withLock { $0.health } }

    func update(directory: TeamDirectory) { state.withLock { $0.directory = directory } }
    func update(health: NotifierHealth) { state.withLock { $0.health = health } }
}

/// Why incidents of some cameras would reach nobody: the banner over the dashboard. Pure.
package enum NotificationCoverage {
    /// One reason, with the team and how many cameras it concerns.
    package struct Problem: Codable, Sendable, Equatable {
        /// `no_team` (no team of the role has a channel), `team_without_channel`, `unknown_team` (cameras name a team the notifier lacks).
        package var code: String
        /// `line-team` or `vendor`.
        package var role: String
        package var team: String?
        package var cameras: Int
    }

    /// The problems of `directory` for cameras naming `lineTeams` / `vendors` (team id → camera count;
    /// the empty id counts the cameras naming none, which go to the role's default team).
    package static func problems(directory: TeamDirectory, lineTeams: [String: Int], vendors: [String: Int]) -> [Problem] {
        var problems: [Problem] = []
        for (role, used) in [("line-team", lineTeams), ("vendor", vendors)] {
            let teams = directory.teams.filter { $0.role == role }
            let reachable = teams.filter { $0.channels > 0 }
            if reachable.isEmpty {
                problems.append(Problem(code: "no_team", role: role, team: nil, cameras: used.values.reduce(0, +)))
                continue
            }
            for (id, count) in used.sorted(by: { $0.key < $1.key }) where !id.isEmpty {
                if let team = teams.first(where: { $0.id == id }) {
                    if team.channels == 0 { problems.append(Problem(code: "team_without_channel", role: role, team: id, cameras: count)) }
                } else {
                    problems.append(Problem(code: "unknown_team", role: role, team: id, cameras: count))
                }
            }
            // Cameras naming no team go to the default (the set default, else the role's first team).
            let fallback = directory.defaults[role].flatMap { id in teams.first { $0.id == id } } ?? teams.first
            if let unnamed = used[""], unnamed > 0, let fallback, fallback.channels == 0 {
                problems.append(Problem(code: "team_without_channel", role: role, team: fallback.id, cameras: unnamed))
            }
        }
        return problems
    }
}
