import CCTVContract
import Foundation
import HLSCore
import HLSSimulator
@testable import Prober
import TestSupport
import Testing

/// The HLS checker against simulated cameras on loopback, one fault each.
@Suite("HLS checker against a fault-injecting server", .runsAlone)
struct HLSCheckerTests {
    /// A checker with a short stale window so stall tests wait about two seconds, not six.
    static func checker(budget: Duration = .seconds(5), clock: any CheckClock = SystemCheckClock()) -> HLSChecker {
        HLSChecker(fetcher: HTTPClientHLSFetcher(connectionsPerHost: 64),
                   limits: HLSCheckLimits(timeBudget: budget, playlistMaxBytes: 64 << 10,
                                          tracker: .init(staleMultiplier: 1.5)), clock: clock)
    }

    @Test("a healthy live stream is SUCCESS with codec, resolution, bitrate and latency")
    func healthy() async throws {
        let server = try await SimulatedCameraServer(port: 0)
        let verdict = await Self.checker().check(key: "cam", url: server.mediaURL(1))
        #expect(verdict.status == .success)
        #expect(verdict.reason == "ok")
        #expect(verdict.codec == "h264")
        #expect(verdict.width == 320 && verdict.height == 240)
        #expect((verdict.bitrateKbps ?? 0) > 0)
        #expect(verdict.playlistLatencyMs != nil)
    }

    @Test("a master playlist is followed to its variant")
    func master() async throws {
        let server = try await SimulatedCameraServer(port: 0)
        let verdict = await Self.checker().check(key: "cam", url: server.masterURL(1))
        #expect(verdict.status == .success)
        #expect(verdict.codec == "h264")
    }

    @Test("a stalled playlist is FAIL playlist_stale on the next check once the threshold has passed")
    func stalled() async throws {
        let server = try await SimulatedCameraServer(port: 0)
        server.set(.stall, stream: 1)
        let clock = ManualCheckClock()
        let checker = Self.checker(clock: clock)
        let first = await checker.check(key: "cam", url: server.mediaURL(1))
        #expect(first.status == .success)
        clock.advance(by: 1.0)
        #expect(await checker.check(key: "cam", url: server.mediaURL(1)).status == .success, "1 s unchanged is under 1.5 × target duration")
        clock.advance(by: 1.0)
        let second = await checker.check(key: "cam", url: server.mediaURL(1))
        #expect(second.status == .fail)
        #expect(second.reason == "playlist_stale")
        #expect((second.segmentAgeSeconds ?? 0) > 1.5)
    }

    @Test("a stream that moved a little and then stalled between two checks is FAIL playlist_stale on the first check after, not the second")
    func stalledBetweenChecks() async throws {
        let server = try await SimulatedCameraServer(port: 0)
        let clock = ManualCheckClock()
        let checker = Self.checker(clock: clock)
        #expect(await checker.check(key: "cam", url: server.mediaURL(1)).status == .success)
        let before = server.mediaSequence(stream: 1)  // ≥ the sequence the check loaded
        // One more segment (1 s of media), then the encoder hangs; the next check comes 10 s later.
        let moved = await eventually(timeout: .seconds(5)) { server.mediaSequence(stream: 1) > before }
        #expect(moved)
        server.set(.stall, stream: 1)
        clock.advance(by: 10)
        let after = await checker.check(key: "cam", url: server.mediaURL(1))
        #expect(after.status == .fail, "1 s of new media in 10 s: the checker must reload to see that it stopped (\(after))")
        #expect(after.reason == "playlist_stale")
    }

    @Test("a one-shot check proves a stall by reloading until the stale threshold")
    func stalledOneShot() async throws {
        let server = try await SimulatedCameraServer(port: 0)
        server.set(.stall, stream: 1)
        let limits = HLSCheckLimits(timeBudget: .seconds(8), proveLivenessOnFirstCheck: true, tracker: .init(staleMultiplier: 1.5))
        // The reload waits run on a moved clock: the stall is proven without waiting 1.5 s.
        let clock = ManualCheckClock()
        let verdict = await HLSChecker(fetcher: HTTPClientHLSFetcher(), limits: limits, clock: clock).check(key: "cam", url: server.mediaURL(1))
        #expect(verdict.status == .fail)
        #expect(verdict.reason == "playlist_stale")
        #expect(clock.seconds > 1_001.5, "the checker reloaded until the stale threshold on its own clock")
        // Healthy streams move within the reloads (in real time: the simulator's streams run on it),
        // so the same one-shot check passes them.
        let healthy = await HLSChecker(fetcher: HTTPClientHLSFetcher(), limits: limits).check(key: "other", url: server.mediaURL(2))
        #expect(healthy.status == .success)
    }

    @Test("a stream whose URL changed starts a fresh live-stream memory")
    func urlChange() async throws {
        let server = try await SimulatedCameraServer(port: 0)
        server.set(.stall, stream: 1)
        let clock = ManualCheckClock()
        let checker = Self.checker(clock: clock)
        _ = await checker.check(key: "cam", url: server.mediaURL(1))
        clock.advance(by: 2)
        let verdict = await checker.check(key: "cam", url: server.masterURL(1))
        #expect(verdict.status == .success)
        checker.forget("cam")
        #expect(checker.trackedCount == 0)
    }

    @Test("HTTP errors are FAIL with the status in the reason", arguments: [404, 500, 403])
    func httpErrors(code: Int) async throws {
        let server = try await SimulatedCameraServer(port: 0)
        server.set(.httpStatus(code), stream: 1)
        let verdict = await Self.checker().check(key: "cam", url: server.mediaURL(1))
        #expect(verdict.status == .fail)
        #expect(verdict.reason == "http_\(code)")
        #expect(verdict.httpStatus == code)
    }

    @Test("stream faults map to FAIL with their reason", arguments: [
        (SimulatedCameraServer.Fault.garbageSegment, "segment_corrupt"),
        (.truncatedSegment, "segment_corrupt"),
        (.missingSegment, "segment_missing"),
        (.endlist, "endlist_on_live"),
        (.hugePlaylist, "playlist_too_large"),
        (.redirectLoop, "redirect_loop"),
        (.htmlPage, "playlist_malformed"),
    ])
    func streamFaults(fault: SimulatedCameraServer.Fault, reason: String) async throws {
        let server = try await SimulatedCameraServer(port: 0)
        server.set(fault, stream: 1)
        let verdict = await Self.checker().check(key: "cam", url: server.mediaURL(1))
        #expect(verdict.status == .fail, "\(fault): \(verdict)")
        #expect(verdict.reason == reason, "\(fault): \(verdict)")
    }

    @Test("a media sequence going backwards is FAIL media_sequence_backwards")
    func sequenceBackwards() async throws {
        let server = try await SimulatedCameraServer(port: 0)
        server.set(.sequenceBackwards, stream: 1)
        let checker = Self.checker()
        let first = await checker.check(key: "cam", url: server.mediaURL(1))
        #expect(first.status == .success)
        let second = await checker.check(key: "cam", url: server.mediaURL(1))
        #expect(second.status == .fail)
        #expect(second.reason == "media_sequence_backwards")
    }

    @Test("a server that never answers or drips bytes is ERROR timeout within the budget", arguments: [
        SimulatedCameraServer.Fault.hang, .drip,
    ])
    func slowServers(fault: SimulatedCameraServer.Fault) async throws {
        let server = try await SimulatedCameraServer(port: 0)
        server.set(fault, stream: 1)
        let verdict = await Self.checker(budget: .seconds(1)).check(key: "cam", url: server.mediaURL(1))
        #expect(verdict.status == .error)
        #expect(verdict.reason == "timeout")
    }

    @Test("a URL with a port above 65535 is ERROR bad_url wherever it comes from, and the process lives on", arguments: [
        "registered", "redirect", "variant", "segment",
    ])
    func portOutOfRange(source: String) async throws {
        let server = try await SimulatedCameraServer(port: 0)
        let bad = "http://127.0.0.1:70000/"
        var url = server.mediaURL(1)
        switch source {
        case "registered": url = URL(string: bad + "live.m3u8")!
        case "redirect": server.set(.redirect(to: bad + "live.m3u8"), stream: 1)
        case "variant": server.set(.entriesAt(bad), stream: 1); url = server.masterURL(1)
        default: server.set(.entriesAt(bad), stream: 1)
        }
        let verdict = await Self.checker().check(key: "cam", url: url)
        #expect(verdict.status == .error, "\(verdict)")
        #expect(verdict.reason == "bad_url")
        #expect(verdict.detail?.contains("70000") == true && verdict.detail?.contains("1–65535") == true, "\(verdict.detail ?? "")")
        // The same checker (and process) goes on checking a healthy stream.
        #expect(await Self.checker().check(key: "ok", url: server.mediaURL(2)).status == .success)
    }

    // Not a real lookup: it would send a DNS query off loopback (the test network rule).
    @Test("a stream host that does not resolve is ERROR dns_unresolved, a reason of its own")
    func unresolvedHost() {
        #expect(HLSFetchFailure.dns.reason == "dns_unresolved")
        #expect(!HLSFetchFailure.dns.serverAnswered)
    }

    @Test("a refused connection is ERROR connect_refused")
    func refused() async throws {
        let port = try FreePort.find()
        let verdict = await Self.checker().check(key: "cam", url: URL(string: "http://127.0.0.1:\(port)/live.m3u8")!)
        #expect(verdict.status == .error)
        #expect(verdict.reason == "connect_refused")
    }

    @Test("hostile streams cost only their own budget: healthy cameras checked alongside still pass")
    func noHeadOfLineBlocking() async throws {
        let server = try await SimulatedCameraServer(port: 0)
        let hostile: [SimulatedCameraServer.Fault] = [.hang, .drip, .hugePlaylist, .redirectLoop, .hang, .drip]
        for (index, fault) in hostile.enumerated() { server.set(fault, stream: 1000 + index) }
        // 5 s: under a loaded CI machine (ffmpeg and GStreamer suites decode beside this one) 2 s
        // was too short for 40 healthy checks at once; the hostile ones still time out.
        let checker = Self.checker(budget: .seconds(5))
        let verdicts = await withTaskGroup(of: (Int, HLSVerdict).self) { group in
            for index in hostile.indices { group.addTask { (1000 + index, await checker.check(key: "h\(index)", url: server.mediaURL(1000 + index))) } }
            for stream in 0..<40 { group.addTask { (stream, await checker.check(key: "c\(stream)", url: server.mediaURL(stream))) } }
            var all: [Int: HLSVerdict] = [:]
            for await (stream, verdict) in group { all[stream] = verdict }
            return all
        }
        for stream in 0..<40 { #expect(verdicts[stream]?.status == .success, "stream \(stream): \(String(describing: verdicts[stream]))") }
        for index in hostile.indices { #expect(verdicts[1000 + index]?.status != .success) }
    }
}
