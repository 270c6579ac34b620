import CCTVContract
import Foundation

/// Which prober checks which camera, from the members' heartbeats alone. Pure value: every
/// prober holds one, fed by the same retained heartbeats, and so computes the same owner for
/// every camera without talking to the others (no configuration, no database).
///
/// - **Alive**: a member whose latest heartbeat is at most its own `timeout` old (its own
///   numbers, so every observer agrees), from `since + every` on: a joining member owns nothing
///   until one heartbeat after it (re)joined, by which time every member has heard of it, so all
///   switch at the same wall-clock instant instead of each when its copy of the message arrives.
/// - **Eligible for a camera**: the alive members pinned to the camera's site, if any; else the
///   alive members pinned to no site. A member pinned to a site never checks another site
///   (`prober.site`, for closed networks).
/// - **Owner**: rendezvous (highest random weight) hashing over the eligible members, so a member
///   joining or leaving moves only the cameras it takes or had: about 1/n of the fleet.
package struct FleetShare: Sendable, Equatable {
    /// The latest heartbeat of every member heard of (dead ones included until they leave).
    package private(set) var members: [String: ProberHeartbeat] = [:]

    package init(members: [ProberHeartbeat] = []) {
        for beat in members { self.members[beat.member] = beat }
    }

    /// A heartbeat arrived; an older one than the member's latest is ignored.
    package mutating func received(_ beat: ProberHeartbeat) {
        if let known = members[beat.member], known.at > beat.at { return }
        members[beat.member] = beat
    }

    /// A member left (its heartbeat was cleared: clean stop or last will).
    package mutating func left(_ member: String) { members[member] = nil }

    /// Whether `beat`'s member is alive and past its joining heartbeat at `now`.
    package static func isAlive(_ beat: ProberHeartbeat, at now: Date) -> Bool {
        now.timeIntervalSince(beat.at) <= beat.timeout && now >= beat.since.addingTimeInterval(beat.every)
    }

    /// The members that own cameras at `now`.
    package func alive(at now: Date) -> [ProberHeartbeat] {
        members.values.filter { Self.isAlive($0, at: now) }.sorted { $0.member < $1.member }
    }

    /// The owner of a camera of `site` among `alive` members, or nil when none may check it.
    package static func owner(of cameraID: String, site: String?, among alive: [ProberHeartbeat]) -> String? {
        let pinned = alive.filter { $0.site != nil && $0.site == site }
        let eligible = pinned.isEmpty ? alive.filter { $0.site == nil } : pinned
        return eligible.max { weight($0.member, cameraID) < weight($1.member, cameraID) }?.member
    }

    /// The owner of a camera at `now`.
    package func owner(of cameraID: String, site: String?, at now: Date) -> String? {
        Self.owner(of: cameraID, site: site, among: alive(at: now))
    }

    /// The cameras `member` owns at `now` among `cameras` (each id with its site).
    package func owned(by member: String, of cameras: some Sequence<(id: String, site: String?)>, at now: Date) -> Set<String> {
        let alive = alive(at: now)
        guard alive.contains(where: { $0.member == member }) else { return [] }
        return Set(cameras.compactMap { id, site in Self.owner(of: id, site: site, among: alive) == member ? id : nil })
    }

    /// Members dead for over 10 timeouts whose heartbeat is still retained (their will was lost):
    /// the first alive member clears them, so names new at every start do not pile up in the broker.
    package func stale(at now: Date, clearedBy member: String) -> [String] {
        guard alive(at: now).first?.member == member else { return [] }
        return members.values.filter { now.timeIntervalSince($0.at) > 10 * $0.timeout }.map(\.member).sorted()
    }

    /// The next instant after `now` at which the alive set changes by time alone (a member's
    /// joining heartbeat passes or its heartbeat grows too old), so the owner recomputes then.
    package func nextChange(after now: Date) -> Date? {
        members.values.flatMap { beat in
            [beat.since.addingTimeInterval(beat.every), beat.at.addingTimeInterval(beat.timeout).addingTimeInterval(0.001)]
        }.filter { $0 > now }.min()
    }

    /// The rendezvous weight of a member for a camera; ties (never seen) go to the larger name.
    static func weight(_ member: String, _ cameraID: String) -> (UInt64, String) {
        (mix(stableHash(member + "\u{0}" + cameraID)), member)
    }

    /// The camera's phase in `interval` seconds on the wall clock: every prober that owns it checks
    /// it at `phase + k·interval` (Unix seconds), so an owner change keeps the cadence.
    package static func phase(of cameraID: String, interval: Double) -> Double {
        guard interval > 0 else { return 0 }
        let millis = UInt64(max(1, (interval * 1000).rounded()))
        return Double(mix(stableHash(cameraID)) % millis) / 1000
    }

    /// FNV-1a: the same on every machine and every run (Swift's `hashValue` is not).
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    /// The splitmix64 finalizer: FNV-1a of strings differing in their last bytes differ little in their high bits.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
