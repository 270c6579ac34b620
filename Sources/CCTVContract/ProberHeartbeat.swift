import Foundation

/// One prober member saying it is alive (retained on `services/prober/members/{member}`): the
/// fleet's membership, from which every prober computes who checks which camera.
///
/// Timestamps, not the broker's session state, decide who is alive: last wills and retained
/// messages were lost with a broker node on two of the brokers tried (see SCALE-OUT.md), so a
/// member whose latest heartbeat is older than its own ``timeout`` is dead for everyone.
public struct ProberHeartbeat: Codable, Sendable, Equatable {
    /// The member name (also the last level of its topic).
    public var member: String
    /// When it sent this heartbeat (its wall clock).
    public var at: Date
    /// When it (re)joined: it owns cameras from ``since`` + ``every`` on, once every member has heard of it.
    public var since: Date
    /// The site it is pinned to (`prober.site`): it checks only that site's cameras.
    public var site: String?
    /// Seconds between its heartbeats.
    public var every: Double
    /// Seconds after ``at`` when it counts as dead.
    public var timeout: Double

    public init(member: String, at: Date, since: Date, site: String?, every: Double, timeout: Double) {
        self.member = member; self.at = at; self.since = since; self.site = site; self.every = every; self.timeout = timeout
    }
}
