/// The outcome of comparing one media playlist load with the previous one.
public struct LiveVerdict: Sendable, Hashable {
    /// Problems found, most fundamental first. Empty means the stream looks live and healthy.
    public var findings: [HLSFinding]
    /// The state to remember for the next comparison.
    public var observation: LiveStreamTracker.Observation
    /// True when there was no earlier observation, so nothing could be compared yet.
    public var isFirstObservation: Bool
    /// True when the playlist changed since the previous observation.
    public var advanced: Bool
    /// Seconds since the playlist content last changed (0 when it just changed or is new).
    public var secondsUnchanged: Double
    /// The staleness threshold that applied, in seconds.
    public var staleThreshold: Double
    /// True when the playlist moved since the previous load, but by less media than the time
    /// that passed, and the gap is longer than ``staleThreshold``: the stream may have stopped
    /// after moving. A live encoder adds media at the pace of the clock, so a stream checked
    /// every 10 s that added only 2 s of segments stalled up to 8 s ago. One reload cannot
    /// tell; reload until it moves again or has been unchanged past the threshold. Without
    /// this, a stream that stopped between two checks was called live once more and reported
    /// stale only a whole interval later (a CI run: killed ffmpeg, check 3.5 s later → "ok").
    public var mayHaveStoppedSince: Bool = false

    /// Creates a verdict.
    public init(
        findings: [HLSFinding],
        observation: LiveStreamTracker.Observation,
        isFirstObservation: Bool,
        advanced: Bool,
        secondsUnchanged: Double,
        staleThreshold: Double
    ) {
        self.findings = findings
        self.observation = observation
        self.isFirstObservation = isFirstObservation
        self.advanced = advanced
        self.secondsUnchanged = secondsUnchanged
        self.staleThreshold = staleThreshold
    }

    /// Worst severity among the findings, or `nil` when there are none.
    public var severity: HLSSeverity? { findings.map(\.severity).max() }

    /// True unless some finding is a failure.
    public var isHealthy: Bool { severity != .failure }

    /// The reason to headline: the first failure, else the first warning.
    public var reason: HLSReason? {
        (findings.first { $0.severity == .failure } ?? findings.first)?.reason
    }
}
