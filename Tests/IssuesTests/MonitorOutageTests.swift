import CCTVContract
import Foundation
import Testing
import TestSupport
@testable import Issues

@Suite("the monitor's own outage and the fleet tally", .runsAlone)
struct MonitorOutageTests {
    let policy = MonitorOutage.Policy(share: 0.9, clearShare: 0.5, minimumSites: 3, minimumCameras: 20, window: 300)
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    struct Case: Sendable, CustomTestStringConvertible {
        var judged: Int
        var failing: Int
        var sites: Int
        var secondsSinceCalm: Double
        var down: Bool
        var testDescription: String { "\(failing)/\(judged) failing at \(sites) sites, \(Int(secondsSinceCalm)) s after calm → \(down ? "monitor down" : "not the monitor")" }
    }

    @Test("most of a fleet across several sites failing at once is the monitor's own outage", arguments: [
        Case(judged: 1000, failing: 950, sites: 10, secondsSinceCalm: 60, down: true),
        Case(judged: 1000, failing: 1000, sites: 3, secondsSinceCalm: 0, down: true),
        Case(judged: 1000, failing: 850, sites: 10, secondsSinceCalm: 60, down: false),   // a regional outage: below the share
        Case(judged: 1000, failing: 1000, sites: 2, secondsSinceCalm: 60, down: false),   // two sites: their uplinks
        Case(judged: 10, failing: 10, sites: 5, secondsSinceCalm: 60, down: false),       // too few cameras to tell
        Case(judged: 1000, failing: 950, sites: 10, secondsSinceCalm: 900, down: false),  // crept up over 15 minutes: not "at once"
    ])
    func fleetRule(_ c: Case) {
        let calm = MonitorOutage.State(calmAt: t0)
        let state = MonitorOutage.assess(calm, judged: c.judged, failing: c.failing, failingSites: c.sites,
                                         now: t0.addingTimeInterval(c.secondsSinceCalm), policy: policy)
        #expect(state.isDown == c.down)
        if c.down { #expect(state.reason == MonitorOutage.fleetReason) }
    }

    @Test("once down it stays down until the failing share drops below the clear share")
    func hysteresis() {
        var state = MonitorOutage.assess(MonitorOutage.State(calmAt: t0), judged: 100, failing: 100, failingSites: 5, now: t0, policy: policy)
        #expect(state.isDown)
        state = MonitorOutage.assess(state, judged: 100, failing: 60, failingSites: 5, now: t0.addingTimeInterval(600), policy: policy)
        #expect(state.isDown, "60 % is still above the clear share")
        state = MonitorOutage.assess(state, judged: 100, failing: 10, failingSites: 5, now: t0.addingTimeInterval(700), policy: policy)
        #expect(!state.isDown)
        #expect(state.calmAt == t0.addingTimeInterval(700))
    }

    @Test("the rule off (share 0) never fires")
    func off() {
        let off = MonitorOutage.Policy(share: 0)
        #expect(!MonitorOutage.assess(MonitorOutage.State(calmAt: t0), judged: 100, failing: 100, failingSites: 9, now: t0, policy: off).isDown)
    }

    @Test("a prober whose reference addresses fail makes it down until its results are conclusive again")
    func proberMarks() {
        var state = MonitorOutage.observe(MonitorOutage.State(calmAt: t0), prober: "p1", inconclusive: "reference_unreachable")
        #expect(state.isDown)
        #expect(state.reason == "reference_unreachable")
        state = MonitorOutage.observe(state, prober: "p2", inconclusive: nil)
        #expect(state.isDown, "another prober's results say nothing about p1's network")
        state = MonitorOutage.observe(state, prober: "p1", inconclusive: nil)
        #expect(!state.isDown)
    }

    @Test("the tally counts failing cameras per site, per stream server and fleet-wide, and forgets removed ones")
    func tally() {
        var tally = FleetTally()
        tally.set("A", .init(site: "s1", streamServer: "http://nvr:80", lineDown: true, streamDown: false))
        tally.set("B", .init(site: "s1", streamServer: "http://nvr:80", lineDown: false, streamDown: true))
        tally.set("C", .init(site: "s2", streamServer: nil, lineDown: false, streamDown: false))
        #expect(tally.judged == 3)
        #expect(tally.failing == 2)
        #expect(tally.failingSites == 1)
        #expect(tally.failing(in: .site("s1")) == 1)
        #expect(tally.failing(in: .streamServer("http://nvr:80")) == 1)
        tally.set("A", .init(site: "s1", streamServer: "http://nvr:80", lineDown: false, streamDown: false))
        tally.set("B", nil)
        #expect(tally.judged == 2)
        #expect(tally.failing == 0)
        #expect(tally.failingSites == 0)
        #expect(tally.failing(in: .site("s1")) == 0)
    }
}
