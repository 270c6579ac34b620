import Foundation

/// Remembers the previous load of one live media playlist and judges the next one.
///
/// This is a plain value: it never reads a clock, performs I/O or holds references, so the
/// caller owns persistence (keep it per camera in memory or a database row) and passes time
/// in explicitly. Times are seconds on any monotonic clock the caller chooses, for example
/// `ContinuousClock` durations since process start; wall-clock time would turn NTP steps into
/// false "stale" alarms.
///
/// Staleness follows RFC 8216 §6.3.4: a client that reloads a playlist and finds it unchanged
/// must wait half the target duration before trying again, so an unchanged playlist is normal
/// for a while. The stream is called stale only once it has been unchanged for longer than
/// ``Configuration/staleMultiplier`` × target duration (3× by default, matching the RFC's own
/// §6.2.2 window during which a server must keep a removed segment available).
public struct LiveStreamTracker: Sendable, Hashable {
    /// Tunables for the live checks.
    public struct Configuration: Sendable, Hashable {
        /// An unchanged playlist is stale after `staleMultiplier × targetDuration` seconds.
        public var staleMultiplier: Double
        /// Whether the stream is expected to be live; if so, `ENDLIST`/`VOD` is a failure.
        public var expectLive: Bool
        /// Upper bound for ``LiveStreamTracker/reloadDelay(for:)`` so one check cannot hang
        /// on a playlist that claims an absurd target duration.
        public var maxReloadDelay: Double
        /// Floor applied to the target duration so `#EXT-X-TARGETDURATION:0` cannot make every
        /// observation stale instantly.
        public var minimumTargetDuration: Double

        /// Creates a configuration.
        public init(
            staleMultiplier: Double = 3,
            expectLive: Bool = true,
            maxReloadDelay: Double = 5,
            minimumTargetDuration: Double = 1
        ) {
            self.staleMultiplier = staleMultiplier
            self.expectLive = expectLive
            self.maxReloadDelay = maxReloadDelay
            self.minimumTargetDuration = minimumTargetDuration
        }
    }

    /// What the tracker remembers about one playlist load.
    public struct Observation: Sendable, Hashable {
        /// `EXT-X-MEDIA-SEQUENCE` of the load.
        public var mediaSequence: Int
        /// `EXT-X-DISCONTINUITY-SEQUENCE` of the load.
        public var discontinuitySequence: Int
        /// URI of the newest segment, if any.
        public var lastSegmentURI: URL?
        /// Number of listed segments (grows without a sequence change in EVENT playlists).
        public var segmentCount: Int
        /// Target duration of the load, in seconds.
        public var targetDuration: Int
        /// When this load happened.
        public var seenAt: Double
        /// When the playlist content last changed, carried forward while it stays the same.
        public var changedAt: Double

        /// Creates an observation.
        public init(
            mediaSequence: Int,
            discontinuitySequence: Int,
            lastSegmentURI: URL?,
            segmentCount: Int,
            targetDuration: Int,
            seenAt: Double,
            changedAt: Double
        ) {
            self.mediaSequence = mediaSequence
            self.discontinuitySequence = discontinuitySequence
            self.lastSegmentURI = lastSegmentURI
            self.segmentCount = segmentCount
            self.targetDuration = targetDuration
            self.seenAt = seenAt
            self.changedAt = changedAt
        }

        /// Whether `other` lists the same segments, i.e. the stream did not move.
        func hasSameContent(as other: Observation) -> Bool {
            mediaSequence == other.mediaSequence
                && discontinuitySequence == other.discontinuitySequence
                && segmentCount == other.segmentCount
                && lastSegmentURI == other.lastSegmentURI
        }
    }

    /// The thresholds in use.
    public var configuration: Configuration
    /// The last observation, or `nil` before the first load.
    public private(set) var previous: Observation?

    /// Creates a tracker, optionally resuming from a persisted observation.
    public init(configuration: Configuration = Configuration(), previous: Observation? = nil) {
        self.configuration = configuration
        self.previous = previous
    }

    /// Judges `playlist` loaded at `now` and remembers it for the next call.
    public mutating func observe(_ playlist: MediaPlaylist, at now: Double) -> LiveVerdict {
        let verdict = evaluate(playlist, at: now)
        previous = verdict.observation
        return verdict
    }

    /// Judges `playlist` loaded at `now` without changing the tracker.
    ///
    /// Pure: the same tracker, playlist and time always give the same verdict. Store
    /// ``LiveVerdict/observation`` (or use ``observe(_:at:)``) to advance.
    public func evaluate(_ playlist: MediaPlaylist, at now: Double) -> LiveVerdict {
        var current = Observation(
            mediaSequence: playlist.mediaSequence,
            discontinuitySequence: playlist.discontinuitySequence,
            lastSegmentURI: playlist.segments.last?.uri,
            segmentCount: playlist.segments.count,
            targetDuration: playlist.targetDuration,
            seenAt: now,
            changedAt: now
        )
        let threshold = staleThreshold(for: playlist)
        var findings = loadFindings(playlist)

        guard let previous else {
            return LiveVerdict(
                findings: findings, observation: current, isFirstObservation: true,
                advanced: false, secondsUnchanged: 0, staleThreshold: threshold
            )
        }
        if let backwards = Self.sequenceBackwards(from: previous, to: playlist) { findings.append(backwards) }

        let advanced = !current.hasSameContent(as: previous)
        // Clamp at zero so a caller whose clock went backwards does not get negative ages.
        var secondsUnchanged = 0.0
        var unaccountedSeconds = 0.0
        if !advanced {
            current.changedAt = previous.changedAt
            secondsUnchanged = max(0, now - previous.changedAt)
        } else if let added = Self.mediaSeconds(addedTo: previous, in: playlist) {
            unaccountedSeconds = max(0, (now - previous.seenAt) - added)
        }

        // An ended playlist is unchanging by definition; endlist_on_live already explains it.
        if !advanced, !Self.hasEnded(playlist), secondsUnchanged > threshold {
            findings.append(HLSFinding(
                reason: .playlistStale, severity: .failure,
                message: String(
                    format: "playlist unchanged for %.1fs (threshold %.1fs = %g × target duration %ds)",
                    secondsUnchanged, threshold, configuration.staleMultiplier, playlist.targetDuration
                )
            ))
        }

        var verdict = LiveVerdict(
            findings: findings, observation: current, isFirstObservation: false,
            advanced: advanced, secondsUnchanged: secondsUnchanged, staleThreshold: threshold
        )
        verdict.mayHaveStoppedSince = advanced && unaccountedSeconds > threshold
        return verdict
    }

    /// Whether the playlist says the stream is over (`#EXT-X-ENDLIST` or type VOD).
    static func hasEnded(_ playlist: MediaPlaylist) -> Bool {
        playlist.endList || playlist.playlistType == .vod
    }

    /// What one load shows on its own, without the previous one: no segments, or an end marker
    /// on a stream expected to be live.
    func loadFindings(_ playlist: MediaPlaylist) -> [HLSFinding] {
        var findings: [HLSFinding] = []
        if playlist.segments.isEmpty {
            findings.append(HLSFinding(
                reason: .noSegments, severity: .failure,
                message: "media playlist lists no segments"
            ))
        }
        if configuration.expectLive, Self.hasEnded(playlist) {
            let marker = playlist.endList ? "#EXT-X-ENDLIST" : "#EXT-X-PLAYLIST-TYPE:VOD"
            findings.append(HLSFinding(
                reason: .endlistOnLive, severity: .failure,
                message: "live stream playlist carries \(marker); the camera stopped publishing"
            ))
        }
        return findings
    }

    /// `media_sequence_backwards` when the sequence went down without a discontinuity. A lower
    /// sequence with a higher discontinuity sequence is a legitimate encoder restart (RFC 8216
    /// §6.2.2); without it the server broke the sliding window and clients would replay or skip media.
    static func sequenceBackwards(from previous: Observation, to playlist: MediaPlaylist) -> HLSFinding? {
        guard playlist.mediaSequence < previous.mediaSequence,
              playlist.discontinuitySequence <= previous.discontinuitySequence else { return nil }
        return HLSFinding(
            reason: .mediaSequenceBackwards, severity: .failure,
            message: "media sequence went from \(previous.mediaSequence) to \(playlist.mediaSequence) without a discontinuity"
        )
    }

    /// Seconds of media the playlist gained since `previous`, or `nil` when the two loads
    /// cannot be lined up (an encoder restart renumbers the segments).
    ///
    /// Segments that already slid out of the window count as one target duration each.
    static func mediaSeconds(addedTo previous: Observation, in playlist: MediaPlaylist) -> Double? {
        guard playlist.discontinuitySequence == previous.discontinuitySequence else { return nil }
        let previousNewest = previous.mediaSequence + previous.segmentCount - 1
        let newest = playlist.mediaSequence + playlist.segments.count - 1
        let added = newest - previousNewest
        guard added > 0 else { return nil }
        let visible = playlist.segments.suffix(added)
        let slidOut = added - visible.count
        return visible.reduce(0) { $0 + $1.duration } + Double(slidOut * playlist.targetDuration)
    }

    /// Seconds an unchanged playlist is tolerated before it is called stale.
    public func staleThreshold(for playlist: MediaPlaylist) -> Double {
        configuration.staleMultiplier * effectiveTargetDuration(playlist)
    }

    /// How long to wait before reloading within the same check.
    ///
    /// Use this when there is no previous observation (a fresh process, or a one-shot
    /// check): load, wait this long, load again and ``observe(_:at:)`` both. RFC 8216 §6.3.4
    /// says an unchanged reload should be retried after half the target duration, so this
    /// is `targetDuration / 2`, capped by ``Configuration/maxReloadDelay``.
    ///
    /// One reload only proves movement. An unchanged second load is normal for a healthy
    /// stream, so to *prove* a stall in one check keep reloading at this interval while
    /// ``LiveVerdict/advanced`` is false, until ``staleThreshold(for:)`` has elapsed.
    public func reloadDelay(for playlist: MediaPlaylist) -> Double {
        min(effectiveTargetDuration(playlist) / 2, configuration.maxReloadDelay)
    }

    private func effectiveTargetDuration(_ playlist: MediaPlaylist) -> Double {
        max(Double(playlist.targetDuration), configuration.minimumTargetDuration)
    }
}
