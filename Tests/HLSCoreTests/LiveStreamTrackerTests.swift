import Foundation
import HLSCore
import Testing

@Suite("Live stream tracking")
struct LiveStreamTrackerTests {
    /// A 2-second-target live window of three segments starting at `sequence`.
    private func window(
        _ sequence: Int,
        targetDuration: Int = 2,
        discontinuitySequence: Int = 0,
        endList: Bool = false,
        type: PlaylistType? = nil,
        count: Int = 3
    ) -> MediaPlaylist {
        MediaPlaylist(
            targetDuration: targetDuration,
            mediaSequence: sequence,
            discontinuitySequence: discontinuitySequence,
            segments: (0..<count).map { offset in
                MediaSegment(
                    uri: URL(string: "http://127.0.0.1/cam/seg\(sequence + offset).ts")!,
                    duration: Double(targetDuration),
                    sequenceNumber: sequence + offset
                )
            },
            endList: endList,
            playlistType: type
        )
    }

    @Test("the first observation is OK and only establishes a baseline")
    func firstObservation() {
        var tracker = LiveStreamTracker()
        let verdict = tracker.observe(window(10), at: 100)
        #expect(verdict.isFirstObservation)
        #expect(verdict.findings.isEmpty)
        #expect(tracker.previous?.mediaSequence == 10)
    }

    @Test("an advancing stream is OK")
    func advancing() {
        var tracker = LiveStreamTracker()
        _ = tracker.observe(window(10), at: 100)
        let verdict = tracker.observe(window(11), at: 102)
        #expect(verdict.advanced)
        #expect(verdict.isHealthy)
        #expect(verdict.findings.isEmpty)
        #expect(verdict.secondsUnchanged == 0)
    }

    @Test("a stalled playlist is FAIL playlist_stale")
    func stale() {
        var tracker = LiveStreamTracker()
        _ = tracker.observe(window(10), at: 100)
        _ = tracker.observe(window(10), at: 103)
        let verdict = tracker.observe(window(10), at: 106.5)
        #expect(!verdict.advanced)
        #expect(verdict.staleThreshold == 6)
        #expect(verdict.secondsUnchanged == 6.5)
        #expect(verdict.reason == .playlistStale)
        #expect(verdict.severity == .failure)
        #expect(!verdict.isHealthy)
    }

    @Test("an unchanged playlist within the threshold is still OK")
    func withinThreshold() {
        var tracker = LiveStreamTracker()
        _ = tracker.observe(window(10), at: 100)
        let verdict = tracker.observe(window(10), at: 105.9)
        #expect(!verdict.advanced)
        #expect(verdict.findings.isEmpty)
    }

    @Test("a stream that moved by less media than the time since the last check may have stopped since; one that kept pace did not")
    func movedTooLittle() {
        var tracker = LiveStreamTracker()
        _ = tracker.observe(window(10), at: 100)
        // 10 s later, five new 2 s segments: it kept pace with the clock.
        let keptPace = tracker.observe(window(15), at: 110)
        #expect(keptPace.advanced && !keptPace.mayHaveStoppedSince)
        // 10 s later, one new 2 s segment: 8 s unaccounted for, past the 6 s threshold.
        let fellBehind = tracker.observe(window(16), at: 120)
        #expect(fellBehind.advanced && fellBehind.mayHaveStoppedSince)
        #expect(fellBehind.isHealthy, "moving too little is a reason to reload, never a failure by itself")
        // 7 s later, two new segments (4 s): 3 s unaccounted for, within the threshold.
        #expect(!tracker.observe(window(18), at: 127).mayHaveStoppedSince)
        // Segments that slid out of the window count too: 20 s later, ten new segments, three visible.
        #expect(!tracker.observe(window(28), at: 147).mayHaveStoppedSince)
        // An encoder restart renumbers segments: nothing to compare, so no suspicion.
        #expect(!tracker.observe(window(1, discontinuitySequence: 1), at: 200).mayHaveStoppedSince)
    }

    @Test("the staleness multiplier is configurable")
    func multiplier() {
        var tracker = LiveStreamTracker(configuration: .init(staleMultiplier: 1.5))
        _ = tracker.observe(window(10), at: 0)
        #expect(tracker.observe(window(10), at: 3.1).reason == .playlistStale)
    }

    @Test("staleness is measured from the last change, not the last reload")
    func measuredFromLastChange() {
        var tracker = LiveStreamTracker()
        _ = tracker.observe(window(10), at: 0)
        _ = tracker.observe(window(11), at: 2)
        _ = tracker.observe(window(11), at: 5)
        #expect(tracker.observe(window(11), at: 8.5).reason == .playlistStale)
        #expect(tracker.observe(window(12), at: 9).findings.isEmpty)
    }

    @Test("a media sequence going backwards is FAIL media_sequence_backwards")
    func backwards() {
        var tracker = LiveStreamTracker()
        _ = tracker.observe(window(50), at: 0)
        let verdict = tracker.observe(window(3), at: 2)
        #expect(verdict.reason == .mediaSequenceBackwards)
    }

    @Test("a sequence reset with a discontinuity-sequence increase is an accepted restart")
    func restartWithDiscontinuity() {
        var tracker = LiveStreamTracker()
        _ = tracker.observe(window(50), at: 0)
        let verdict = tracker.observe(window(0, discontinuitySequence: 1), at: 2)
        #expect(verdict.findings.isEmpty)
        #expect(verdict.advanced)
    }

    @Test("ENDLIST on a live stream is FAIL endlist_on_live")
    func endList() {
        var tracker = LiveStreamTracker()
        let verdict = tracker.observe(window(10, endList: true), at: 0)
        #expect(verdict.reason == .endlistOnLive)
        // An ended playlist never changes; endlist_on_live alone explains that.
        let later = tracker.observe(window(10, endList: true), at: 60)
        #expect(later.findings.map(\.reason) == [.endlistOnLive])
    }

    @Test("PLAYLIST-TYPE VOD on a live stream is FAIL endlist_on_live unless live is not expected")
    func vod() {
        var tracker = LiveStreamTracker()
        #expect(tracker.observe(window(10, type: .vod), at: 0).reason == .endlistOnLive)
        var relaxed = LiveStreamTracker(configuration: .init(expectLive: false))
        #expect(relaxed.observe(window(10, type: .vod), at: 0).findings.isEmpty)
    }

    @Test("an empty segment list is FAIL no_segments")
    func noSegments() {
        var tracker = LiveStreamTracker()
        #expect(tracker.observe(window(10, count: 0), at: 0).reason == .noSegments)
    }

    @Test("evaluate is pure and observe stores the new observation")
    func purity() {
        let tracker = LiveStreamTracker(previous: LiveStreamTracker.Observation(
            mediaSequence: 10, discontinuitySequence: 0,
            lastSegmentURI: URL(string: "http://127.0.0.1/cam/seg12.ts"), segmentCount: 3,
            targetDuration: 2, seenAt: 0, changedAt: 0
        ))
        let first = tracker.evaluate(window(10), at: 7)
        let second = tracker.evaluate(window(10), at: 7)
        #expect(first == second)
        #expect(first.reason == .playlistStale)
        #expect(tracker.previous?.seenAt == 0)
    }

    @Test("a clock that steps backwards never produces negative ages")
    func clockBackwards() {
        var tracker = LiveStreamTracker()
        _ = tracker.observe(window(10), at: 100)
        let verdict = tracker.observe(window(10), at: 50)
        #expect(verdict.secondsUnchanged == 0)
        #expect(verdict.findings.isEmpty)
    }

    @Test("the in-check reload delay is half the target duration, capped")
    func reloadDelay() {
        let tracker = LiveStreamTracker()
        #expect(tracker.reloadDelay(for: window(1, targetDuration: 4)) == 2)
        #expect(tracker.reloadDelay(for: window(1, targetDuration: 60)) == 5)
        #expect(tracker.reloadDelay(for: window(1, targetDuration: 0)) == 0.5)
        #expect(tracker.staleThreshold(for: window(1, targetDuration: 0)) == 3)
    }

    @Test("a single check detects movement with one reload after the suggested delay")
    func singleCheck() {
        var tracker = LiveStreamTracker()
        let first = window(10, targetDuration: 2)
        _ = tracker.observe(first, at: 0)
        let delay = tracker.reloadDelay(for: first)
        let verdict = tracker.observe(window(11, targetDuration: 2), at: delay)
        #expect(!verdict.isFirstObservation)
        #expect(verdict.advanced)
    }
}
