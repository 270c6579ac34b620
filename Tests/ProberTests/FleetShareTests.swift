import CCTVContract
import Foundation
@testable import Prober
import Testing

@Suite("fleet share: which prober checks which camera")
struct FleetShareTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func beat(_ member: String, site: String? = nil, at: Double = 100, since: Double = 0, every: Double = 1, timeout: Double = 3) -> ProberHeartbeat {
        ProberHeartbeat(member: member, at: t0.addingTimeInterval(at), since: t0.addingTimeInterval(since), site: site, every: every, timeout: timeout)
    }

    static let cameras = (0..<1_000).map { "CAM-\($0)" }
    static let now = t0.addingTimeInterval(100)

    static func owners(_ share: FleetShare, at now: Date = now) -> [String: String?] {
        Dictionary(uniqueKeysWithValues: cameras.map { ($0, share.owner(of: $0, site: nil, at: now)) })
    }

    @Test("every camera has exactly one owner, and the fleet splits about evenly")
    func evenSplit() {
        let share = FleetShare(members: ["a", "b", "c"].map { Self.beat($0) })
        let owners = Self.owners(share)
        #expect(owners.values.allSatisfy { $0 != nil })
        let counts = Dictionary(grouping: owners.values.compactMap { $0 }, by: { $0 }).mapValues(\.count)
        #expect(counts.count == 3)
        #expect(counts.values.allSatisfy { (280...390).contains($0) }, "\(counts)")
        // The same answer from any member's copy, in any order of arrival.
        let other = FleetShare(members: ["c", "a", "b"].map { Self.beat($0) })
        #expect(Self.owners(other) == owners)
    }

    @Test("a member joining takes about 1/n of the cameras, and only cameras move to it")
    func joinMovesOneNth() {
        var share = FleetShare(members: ["a", "b", "c"].map { Self.beat($0) })
        let before = Self.owners(share)
        share.received(Self.beat("d"))
        let after = Self.owners(share)
        let moved = Self.cameras.filter { before[$0]! != after[$0]! }
        #expect(moved.allSatisfy { after[$0]! == "d" })
        #expect((200...300).contains(moved.count), "\(moved.count) of 1,000 moved")
    }

    @Test("a member whose heartbeat is older than its timeout owns nothing; only its cameras move")
    func deadMemberLosesItsCameras() {
        var share = FleetShare(members: ["a", "b"].map { Self.beat($0) })
        share.received(Self.beat("c", at: 96.9))
        let alive = Self.owners(share, at: Self.now.addingTimeInterval(-0.2))
        #expect(alive.values.contains("c"))
        let later = Self.owners(share)
        #expect(!later.values.contains("c"))
        #expect(Self.cameras.allSatisfy { alive[$0]! == "c" || alive[$0]! == later[$0]! })
        share.left("a")
        #expect(Set(Self.owners(share).values.compactMap { $0 }) == ["b"])
    }

    @Test("a joining member owns cameras only one heartbeat after it joined, the same instant for every observer")
    func joiningWaitsOneHeartbeat() {
        let share = FleetShare(members: [Self.beat("a"), Self.beat("b", at: 100, since: 99.5)])
        #expect(!Self.owners(share).values.contains("b"))
        #expect(Self.owners(share, at: Self.now.addingTimeInterval(0.5)).values.contains("b"))
        #expect(share.nextChange(after: Self.now) == Self.t0.addingTimeInterval(100.5))
    }

    @Test("members pinned to a site check only that site, and the others leave it to them while one lives")
    func sitePinned() {
        let share = FleetShare(members: [Self.beat("a"), Self.beat("b"), Self.beat("annex-1", site: "annex"), Self.beat("annex-2", site: "annex")])
        for id in Self.cameras.prefix(200) {
            #expect(["annex-1", "annex-2"].contains(share.owner(of: id, site: "annex", at: Self.now)))
            #expect(["a", "b"].contains(share.owner(of: id, site: "main", at: Self.now)))
            #expect(["a", "b"].contains(share.owner(of: id, site: nil, at: Self.now)))
        }
        let onlyPinned = FleetShare(members: [Self.beat("annex-1", site: "annex")])
        #expect(onlyPinned.owner(of: "CAM-1", site: "main", at: Self.now) == nil)
        let noPinned = FleetShare(members: [Self.beat("a")])
        #expect(noPinned.owner(of: "CAM-1", site: "annex", at: Self.now) == "a")
    }

    @Test("a heartbeat left retained by a member dead for over 10 timeouts is cleared by the first alive member only")
    func staleHeartbeatsCleared() {
        let share = FleetShare(members: [Self.beat("a"), Self.beat("b"), Self.beat("gone", at: 69.9), Self.beat("recent", at: 90)])
        #expect(share.stale(at: Self.now, clearedBy: "a") == ["gone"])
        #expect(share.stale(at: Self.now, clearedBy: "b").isEmpty)
    }

    @Test("an older heartbeat arriving late does not replace a newer one")
    func olderBeatIgnored() {
        var share = FleetShare(members: [Self.beat("a", at: 100)])
        share.received(Self.beat("a", at: 90))
        #expect(share.members["a"]?.at == Self.t0.addingTimeInterval(100))
    }

    static func camera(_ id: String, interval: Int = 10) -> CameraDefinition {
        CameraDefinition(id: id, name: id, address: "127.0.0.1", intervalSeconds: interval,
                         createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0), version: 1)
    }

    @Test("aligned checks fall on the camera's wall-clock phase, so a new owner checks when the old one would have")
    func takeOverKeepsThePhase() {
        let wall = Self.t0.timeIntervalSince1970
        let camera = Self.camera("CAM-7")
        let phase = FleetShare.phase(of: "CAM-7", interval: 10)
        var old = CheckSchedule(defaultInterval: 10, alignedToWallClock: true)
        old.upsert(camera, now: wall)
        let first = old.due(of: "CAM-7")!
        #expect(first >= wall && first < wall + 10)
        #expect(abs((first - phase).truncatingRemainder(dividingBy: 10)) < 1e-6)
        #expect(old.takeDue(now: first, limit: 1).map(\.id) == ["CAM-7"])
        old.finished("CAM-7", now: first + 0.3)
        // The camera moves halfway to the next slot: the new owner's first check is the old one's next.
        var new = CheckSchedule(defaultInterval: 10, alignedToWallClock: true)
        new.upsert(camera, now: first + 5)
        #expect(new.due(of: "CAM-7") == old.due(of: "CAM-7"))
        #expect(abs(new.due(of: "CAM-7")! - (first + 10)) < 1e-6)
    }

    @Test("aligned: a dead camera still backs off (every 2 intervals, on its phase), and a good check ends it")
    func alignedBackoff() {
        var schedule = CheckSchedule(defaultInterval: 10, backoff: BackoffPolicy(failuresBeforeBackoff: 2), alignedToWallClock: true)
        schedule.upsert(Self.camera("CAM-9"), now: Self.t0.timeIntervalSince1970)
        var due = schedule.due(of: "CAM-9")!
        var gaps: [Double] = []
        for failed in [true, true, true, false, false] {
            _ = schedule.takeDue(now: due, limit: 1)
            schedule.finished("CAM-9", now: due + 1, failed: failed)
            let next = schedule.due(of: "CAM-9")!
            gaps.append((next - due).rounded())
            due = next
        }
        #expect(gaps == [10, 20, 20, 10, 10])
    }

    @Test("aligned: after the wall clock steps back, cameras are due at their next phase slot, not after the step")
    func clockStepBack() {
        let wall = Self.t0.timeIntervalSince1970
        var schedule = CheckSchedule(defaultInterval: 10, alignedToWallClock: true)
        schedule.upsert(Self.camera("CAM-3"), now: wall)
        let first = schedule.due(of: "CAM-3")!
        schedule.realign(now: wall)
        #expect(schedule.due(of: "CAM-3") == first, "nothing moves without a step")
        schedule.realign(now: wall - 3_600)
        let due = schedule.due(of: "CAM-3")!
        #expect(due >= wall - 3_600 && due < wall - 3_600 + 10)
        #expect(schedule.takeDue(now: due, limit: 1).map(\.id) == ["CAM-3"])
    }

    @Test("phases spread a fleet over the interval instead of one burst")
    func phasesSpread() {
        var buckets = [Int](repeating: 0, count: 10)
        for id in Self.cameras { buckets[Int(FleetShare.phase(of: id, interval: 10))] += 1 }
        #expect(buckets.allSatisfy { (60...140).contains($0) }, "\(buckets)")
    }
}
