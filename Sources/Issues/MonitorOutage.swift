import CCTVContract
import Foundation

/// "The monitor's own network is down": never blame line teams or vendors for our own outage.
///
/// Two signals, either one is enough:
/// * the prober says so: its reference addresses (by default its default gateway) did not
///   answer, and it marks its results `inconclusive`;
/// * the fleet says so: a large share of every judged camera, across several sites, went from
///   calm to failing within a short window — no real-world fault takes down most of a fleet
///   spread over many sites in the same minute, but the monitor's own uplink does.
///
/// While it lasts, failing results are inconclusive (they open nothing, restart streaks) and only
/// operators are told, once. Pure: `(state, observation) -> state`.
package enum MonitorOutage {
    /// Thresholds (see `issues.monitor-*` settings).
    package struct Policy: Sendable, Equatable {
        /// Share of judged cameras failing at once that means the monitor is cut off (0 = off).
        package var share: Double
        /// Below this share the fleet counts as calm again (hysteresis).
        package var clearShare: Double
        /// Sites with failing cameras needed (one site's outage is that site's uplink).
        package var minimumSites: Int
        /// Judged cameras needed before the fleet rule applies at all (small fleets cannot tell).
        package var minimumCameras: Int
        /// Seconds within which the fleet must have gone from calm to `share` ("at the same instant").
        package var window: TimeInterval

        package init(share: Double = 0.9, clearShare: Double = 0.5, minimumSites: Int = 3, minimumCameras: Int = 20, window: TimeInterval = 300) {
            self.share = share; self.clearShare = min(clearShare, share); self.minimumSites = minimumSites
            self.minimumCameras = minimumCameras; self.window = window
        }
    }

    /// What is known about the monitor's own network.
    package struct State: Sendable, Equatable {
        /// The fleet rule holds (most of the fleet failed at once).
        package var fleetDown = false
        /// The last time the fleet was calm (failing share below `clearShare`).
        package var calmAt: Date
        /// Probers whose latest result was inconclusive (their reference addresses fail), with why.
        package var inconclusiveProbers: [String: String] = [:]

        package init(calmAt: Date, fleetDown: Bool = false) {
            self.calmAt = calmAt
            self.fleetDown = fleetDown
        }

        /// Whether the monitor's own network counts as down.
        package var isDown: Bool { fleetDown || !inconclusiveProbers.isEmpty }

        /// The reason code of the outage, when down.
        package var reason: String? {
            if fleetDown { return MonitorOutage.fleetReason }
            return inconclusiveProbers.values.sorted().first
        }
    }

    /// Reason code of the fleet rule; also the `reason` of results it makes inconclusive.
    package static let fleetReason = "fleet_failed_at_once"

    /// The state after the fleet's counts changed.
    package static func assess(_ state: State, judged: Int, failing: Int, failingSites: Int, now: Date, policy: Policy) -> State {
        var state = state
        guard policy.share > 0, judged > 0 else {
            state.fleetDown = false
            state.calmAt = now
            return state
        }
        let share = Double(failing) / Double(judged)
        if share < policy.clearShare {
            state.fleetDown = false
            state.calmAt = now
        } else if !state.fleetDown, share >= policy.share, failingSites >= policy.minimumSites, judged >= policy.minimumCameras,
                  now.timeIntervalSince(state.calmAt) <= policy.window {
            state.fleetDown = true
        }
        return state
    }

    /// The camera id of the monitor's own-network incident.
    package static let incidentCameraID = IssueRecord.monitorPrefix + "network"

    /// The incident that tells operators the monitor's own network is down.
    /// - Parameters:
    ///   - failing: cameras failing when it was recognised; `sites`: how many sites they are at.
    package static func incident(id: String, reason: String, failing: Int, judged: Int, sites: Int, now: Date) -> IssueRecord {
        var issue = IssueRecord(
            id: id, cameraID: incidentCameraID, cameraName: "CCTV Out", kind: .monitor, state: .open, responsible: .operators,
            reason: reason, openedAt: now, updatedAt: now, version: 0, groupedCount: failing)
        issue.record(IssueTransition(from: nil, to: .open, actor: "system", at: now,
                                     note: "\(failing) of \(judged) cameras at \(sites) sites failing at once (\(reason)): results are inconclusive, nobody else is told"))
        return issue
    }

    /// The monitor's incident once its network is back.
    package static func recovered(_ incident: IssueRecord, now: Date) -> IssueRecord {
        var issue = incident
        issue.record(IssueTransition(from: issue.state, to: .resolved, actor: "system", at: now, note: "the monitor's network is back: results count again"))
        issue.state = .resolved
        issue.resolvedAt = now
        return issue
    }

    /// The state after a result from `prober` arrived, inconclusive (`why`) or not.
    package static func observe(_ state: State, prober: String, inconclusive why: String?) -> State {
        var state = state
        state.inconclusiveProbers[prober] = why
        return state
    }
}
