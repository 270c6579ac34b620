import CCTVContract
import Foundation
import HLSCore
import Synchronization

/// What an HLS check found, before it is stamped with the camera and prober ids.
package struct HLSVerdict: Sendable, Equatable {
    package var status: HLSStatus
    /// The contract's reason code (`ok`, `http_404`, `playlist_stale`, `timeout`, …).
    package var reason: String
    package var detail: String?
    package var httpStatus: Int?
    package var playlistLatencyMs: Double?
    package var segmentAgeSeconds: Double?
    package var bitrateKbps: Double?
    package var codec: String?
    package var width: Int?
    package var height: Int?
    /// Body bytes this check fetched (playlists, init section, segment part).
    package var bytes: Int?

    package init(status: HLSStatus, reason: String, detail: String? = nil, httpStatus: Int? = nil) {
        self.status = status; self.reason = reason; self.detail = detail; self.httpStatus = httpStatus
    }
}

/// Budgets and policy of one HLS check.
package struct HLSCheckLimits: Sendable {
    /// Wall time for the whole check: every playlist, the init section and the segment.
    package var timeBudget: Duration
    /// Largest playlist accepted; live camera playlists are a few hundred bytes.
    package var playlistMaxBytes: Int
    /// Prefix of the newest segment downloaded; enough for a key frame, never the whole file.
    package var segmentMaxBytes: Int
    /// Ask for only that prefix (`Range: bytes=0-…`): segments start with a key frame, and a
    /// server that honours it sends no more than the check reads (one that ignores it is cut
    /// at the cap as before).
    package var rangeRequests: Bool
    /// Largest `EXT-X-MAP` initialization section fetched.
    package var initMaxBytes: Int
    package var maxRedirects: Int
    /// Which variant of a master playlist to follow.
    package var variantPolicy: VariantSelectionPolicy
    /// When there is no earlier observation (one-shot CLI check), keep reloading the media
    /// playlist every reload delay until it moves or the stale threshold passes, so a stall
    /// is proven within the one check. The prober leaves this off: it keeps each camera's
    /// tracker across checks instead, so the next check sees the stall at no extra cost.
    package var proveLivenessOnFirstCheck: Bool
    /// Passed to every camera's tracker.
    package var tracker: LiveStreamTracker.Configuration

    package init(timeBudget: Duration = .seconds(10), playlistMaxBytes: Int = 1 << 20, segmentMaxBytes: Int = 2 << 20,
                initMaxBytes: Int = 256 << 10, maxRedirects: Int = 5, variantPolicy: VariantSelectionPolicy = .lowestBandwidth,
                proveLivenessOnFirstCheck: Bool = false, tracker: LiveStreamTracker.Configuration = .init(), rangeRequests: Bool = true) {
        self.rangeRequests = rangeRequests
        self.timeBudget = timeBudget; self.playlistMaxBytes = playlistMaxBytes; self.segmentMaxBytes = segmentMaxBytes
        self.initMaxBytes = initMaxBytes; self.maxRedirects = maxRedirects; self.variantPolicy = variantPolicy
        self.proveLivenessOnFirstCheck = proveLivenessOnFirstCheck; self.tracker = tracker
    }
}

/// Checks a camera's HLS live stream: master → variant → media playlist → live-ness against
/// the camera's previous load → newest segment (bounded prefix) → is it real video.
///
/// FAIL means the server answered but the stream is broken; ERROR means it could not be
/// reached. The per-camera ``LiveStreamTracker`` lives here, in memory, across checks: a
/// prober restart forgets it and needs one more check to see a stall, which keeps the
/// prober stateless as the architecture asks.
package final class HLSChecker: Sendable {
    let fetcher: any HLSFetching
    let limits: HLSCheckLimits
    let parser: PlaylistParser
    let inspector: SegmentInspector
    private let trackers = Mutex<[String: TrackedStream]>([:])
    /// fMP4 initialization sections by URL (+ byte range): they change only with a new URL, so
    /// each is fetched once, not on every check. Bounded: cleared when it reaches 10,000.
    private let initSections = Mutex<[String: Data]>([:])
    /// Live-ness and segment ages are judged on this clock (tests move it instead of waiting).
    let clock: any CheckClock

    struct TrackedStream {
        var url: URL
        var tracker: LiveStreamTracker
    }

    /// - Parameter clock: the time live-ness is judged on; the real clocks unless a test moves time.
    package init(fetcher: any HLSFetching, limits: HLSCheckLimits = .init(), clock: any CheckClock = SystemCheckClock()) {
        self.fetcher = fetcher
        self.limits = limits
        self.clock = clock
        self.parser = PlaylistParser(limits: .init(maxBytes: limits.playlistMaxBytes))
        self.inspector = SegmentInspector(maxBytes: limits.segmentMaxBytes)
    }

    /// Forgets a camera's live-stream memory (deleted, or no longer ours).
    package func forget(_ key: String) { _ = trackers.withLock { $0.removeValue(forKey: key) } }

    /// Cameras whose live-stream memory is kept.
    package var trackedCount: Int { trackers.withLock { $0.count } }

    /// Runs one check of `url` for camera `key` within the time and byte budgets.
    package func check(key: String, url: URL, credentials: StreamCredentials? = nil) async -> HLSVerdict {
        let deadline = ContinuousClock.now + limits.timeBudget
        var run = CheckRun(checker: self, deadline: deadline, credentials: credentials)
        return await run.check(key: key, url: url)
    }

    fileprivate var now: Double { clock.seconds }

    fileprivate func tracker(for key: String, url: URL) -> LiveStreamTracker {
        trackers.withLock { streams in
            if let stream = streams[key], stream.url == url { return stream.tracker }
            return LiveStreamTracker(configuration: limits.tracker)
        }
    }

    fileprivate func cachedInit(_ key: String) -> Data? { initSections.withLock { $0[key] } }

    fileprivate func cacheInit(_ data: Data, for key: String) {
        initSections.withLock { sections in
            if sections.count >= 10_000 { sections.removeAll(keepingCapacity: true) }
            sections[key] = data
        }
    }

    fileprivate func remember(_ tracker: LiveStreamTracker, for key: String, url: URL) {
        trackers.withLock { $0[key] = TrackedStream(url: url, tracker: tracker) }
    }
}

/// One check's steps; each returns early with the verdict that ends the check.
private struct CheckRun {
    let checker: HLSChecker
    let deadline: ContinuousClock.Instant
    let credentials: StreamCredentials?
    let fetchedBytes = FetchedBytes()
    var limits: HLSCheckLimits { checker.limits }
    var bytesFetched: Int { fetchedBytes.total }

    /// Body bytes received by one check (it runs in one task; no lock needed).
    final class FetchedBytes {
        var total = 0
    }

    /// A step that ended the check.
    struct Stop: Error { var verdict: HLSVerdict }

    mutating func check(key: String, url: URL) async -> HLSVerdict {
        do {
            return try await steps(key: key, url: url)
        } catch let stop as Stop {
            return stop.verdict
        } catch {
            return HLSVerdict(status: .error, reason: "internal", detail: "\(error)")
        }
    }

    private func steps(key: String, url: URL) async throws -> HLSVerdict {
        let (live, media, response) = try await observeLiveness(key: key, url: url, try await loadMediaPlaylist(url))
        var verdict = HLSVerdict(status: .success, reason: "ok", httpStatus: response.status)
        verdict.playlistLatencyMs = Self.milliseconds(response.latency)
        if let newest = media.newestSegment {
            if let date = newest.programDateTime {
                verdict.segmentAgeSeconds = max(0, checker.clock.date.timeIntervalSince(date) - newest.duration)
            } else if !live.isFirstObservation {
                verdict.segmentAgeSeconds = live.secondsUnchanged
            }
        }
        if let finding = live.findings.first(where: { $0.severity == .failure }) {
            var failed = fail(finding.reason.rawValue, finding.message, response.status)
            failed.playlistLatencyMs = verdict.playlistLatencyMs
            failed.segmentAgeSeconds = verdict.segmentAgeSeconds
            return failed
        }
        guard let newest = media.newestSegment else {
            return fail("no_segments", "media playlist lists no segments", response.status)
        }
        return try await inspectNewestSegment(newest, verdict: verdict)
    }

    /// A media playlist loaded from `url`, through a master playlist's chosen variant if it is one.
    private func loadMediaPlaylist(_ url: URL) async throws -> (media: MediaPlaylist, response: HLSFetchResponse, mediaURL: URL) {
        var (playlist, response) = try await loadPlaylist(url, what: "playlist")
        if case let .master(master) = playlist {
            guard let variant = master.selectVariant(limits.variantPolicy) else {
                throw Stop(verdict: fail("playlist_malformed", "master playlist lists no variant", response.status))
            }
            (playlist, response) = try await loadPlaylist(variant.uri, what: "variant playlist")
            if case .master = playlist {
                throw Stop(verdict: fail("playlist_malformed", "variant URI points to another master playlist", response.status))
            }
        }
        guard case let .media(media) = playlist else { throw Stop(verdict: fail("playlist_malformed", "not a media playlist", response.status)) }
        return (media, response, response.finalURL)
    }

    /// Judges the loaded playlist against the camera's previous one (and remembers it), reloading
    /// when movement must be proven; returns the verdict with the playlist and response it is about.
    private func observeLiveness(key: String, url: URL, _ loaded: (media: MediaPlaylist, response: HLSFetchResponse, mediaURL: URL)) async throws
        -> (LiveVerdict, MediaPlaylist, HLSFetchResponse) {
        var (media, response) = (loaded.media, loaded.response)
        var tracker = checker.tracker(for: key, url: url)
        let firstObservation = tracker.previous == nil
        var live = tracker.observe(media, at: checker.now)
        // Reload at the RFC's pace until the playlist moves or has been unchanged past the
        // stale threshold: on a first check when asked, and whenever it moved too little for the
        // time since the last check (it may have stopped since). The deadline still bounds it.
        var unproven = (firstObservation && limits.proveLivenessOnFirstCheck) || live.mayHaveStoppedSince
        while unproven, live.isHealthy {
            let delay = Duration.milliseconds(Int(tracker.reloadDelay(for: media) * 1000))
            guard ContinuousClock.now + delay < deadline else { break }
            try await checker.clock.sleep(for: delay)
            let reloaded = try await loadPlaylist(loaded.mediaURL, what: "media playlist reload")
            guard case let .media(next) = reloaded.0 else {
                throw Stop(verdict: fail("playlist_malformed", "reloaded media playlist became a master playlist", reloaded.1.status))
            }
            media = next
            response = reloaded.1
            live = tracker.observe(media, at: checker.now)
            unproven = !live.advanced
        }
        checker.remember(tracker, for: key, url: url)
        return (live, media, response)
    }

    /// Fetches the newest segment (its first part with a Range request, the fMP4 initialization
    /// section from the cache) and fills `verdict` with what is in it, or fails it.
    private func inspectNewestSegment(_ newest: MediaSegment, verdict: HLSVerdict) async throws -> HLSVerdict {
        var verdict = verdict
        var initialization: Data?
        if let map = newest.map {
            let key = map.uri.absoluteString + (map.byteRange.map { "#\($0.offset ?? 0)+\($0.length)" } ?? "")
            if let cached = checker.cachedInit(key) {
                initialization = cached
            } else {
                let initResponse = try await fetchSegmentBytes(map.uri, byteRange: map.byteRange, maxBytes: limits.initMaxBytes, what: "initialization section")
                initialization = initResponse.body
                if !initResponse.truncated { checker.cacheInit(initResponse.body, for: key) }
            }
        }
        let segment = try await fetchSegmentBytes(newest.uri, byteRange: newest.byteRange, maxBytes: limits.segmentMaxBytes, what: "newest segment",
                                                  prefixOnly: limits.rangeRequests)
        verdict.bytes = bytesFetched
        let report = checker.inspector.inspect(segment.body, initialization: initialization)
        verdict.codec = report.videoCodec?.rawValue
        verdict.width = report.width
        verdict.height = report.height
        let totalBytes = segment.truncated ? segment.contentLength : segment.body.count
        if let totalBytes, newest.duration > 0 {
            verdict.bitrateKbps = (Double(totalBytes) * 8 / newest.duration / 1000 * 10).rounded() / 10
        }
        if let failure = report.failure {
            var failed = verdict
            failed.status = .fail; failed.reason = failure.reason == .segmentEmpty ? "segment_corrupt" : failure.reason.rawValue
            failed.detail = "newest segment: " + failure.message
            return failed
        }
        // A transport stream is whole 188-byte packets; a short body we did not cut ourselves
        // is a truncated file (an encoder that died mid-write, or a proxy that cut it).
        if report.container == .mpegTS, !segment.truncated, segment.body.count % 188 != 0 {
            var failed = verdict
            failed.status = .fail; failed.reason = "segment_corrupt"
            failed.detail = "newest segment ends mid-packet after \(segment.body.count) bytes (truncated)"
            return failed
        }
        if !report.warnings.isEmpty { verdict.detail = report.warnings.map(\.description).joined(separator: "; ") }
        return verdict
    }

    /// Fetches and parses a playlist; HTTP errors, transport errors and parse errors end the check.
    private func loadPlaylist(_ url: URL, what: String) async throws -> (Playlist, HLSFetchResponse) {
        let request = HLSFetchRequest(url: url, maxBytes: limits.playlistMaxBytes, overflow: .fail, deadline: deadline,
                                      maxRedirects: limits.maxRedirects, credentials: credentials)
        let response = try await fetched(request, what: what, missingReason: nil)
        do {
            return (try checker.parser.parse(response.body, url: response.finalURL), response)
        } catch {
            let reason = switch error.reason {
            case .playlistTooLarge, .playlistTooManySegments: "playlist_too_large"
            default: "playlist_malformed"
            }
            throw Stop(verdict: fail(reason, "\(what): \(error.message)", response.status))
        }
    }

    /// - Parameter prefixOnly: ask only for the first `maxBytes` (of the byte range, if any).
    private func fetchSegmentBytes(_ url: URL, byteRange: ByteRange?, maxBytes: Int, what: String, prefixOnly: Bool = false) async throws -> HLSFetchResponse {
        var range = byteRange.flatMap { range in range.offset.map { $0...($0 + max(0, range.length - 1)) } }
        if prefixOnly {
            let start = range?.lowerBound ?? 0
            let end = min(range?.upperBound ?? Int.max, start + maxBytes - 1)
            range = start...end
        }
        let request = HLSFetchRequest(url: url, maxBytes: maxBytes, overflow: .truncate, deadline: deadline,
                                      maxRedirects: limits.maxRedirects, credentials: credentials, byteRange: range)
        return try await fetched(request, what: what, missingReason: "segment_missing")
    }

    /// Turns a fetch outcome into a 2xx response or a stopping verdict. For segments a 4xx/5xx is
    /// `segment_missing` (the playlist lists what the server cannot deliver).
    private func fetched(_ request: HLSFetchRequest, what: String, missingReason: String?) async throws -> HLSFetchResponse {
        switch await checker.fetcher.fetch(request) {
        case let .failure(failure):
            throw Stop(verdict: HLSVerdict(status: failure.serverAnswered ? .fail : .error, reason: failure.reason, detail: "\(what): \(failure.message)"))
        case let .response(response):
            fetchedBytes.total += response.body.count
            guard (200..<300).contains(response.status) else {
                let reason = missingReason ?? "http_\(response.status)"
                throw Stop(verdict: fail(reason, "\(what) answered HTTP \(response.status)", response.status))
            }
            return response
        }
    }

    private func fail(_ reason: String, _ detail: String, _ httpStatus: Int?) -> HLSVerdict {
        HLSVerdict(status: .fail, reason: reason, detail: detail, httpStatus: httpStatus)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 10).rounded() / 10
    }
}
