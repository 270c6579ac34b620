import CCTVContract

/// How many cameras are failing right now, fleet-wide, per site and per stream server, from each
/// camera's latest results. Storm grouping asks it "how many of this site's cameras are down?"
/// and the monitor-outage rule "what share of the whole fleet?". A value kept in memory by the
/// issues service (rebuilt from its store on start, ~20 bytes per camera), updated per result.
package struct FleetTally: Sendable, Equatable {
    /// One camera's contribution.
    package struct Entry: Sendable, Equatable {
        package var site: String?
        package var streamServer: String?
        /// Its latest ICMP result is TIMEOUT or FAIL.
        package var lineDown: Bool
        /// Its latest HLS result failed while the line was up (stream servers are grouped by HLS URL).
        package var streamDown: Bool

        package init(site: String?, streamServer: String?, lineDown: Bool, streamDown: Bool) {
            self.site = site; self.streamServer = streamServer; self.lineDown = lineDown; self.streamDown = streamDown
        }

        /// The entry of a camera from its track, or `nil` when it has no result yet (not judged).
        package init?(track: CameraTrack, info: CameraInfo?) {
            guard track.lastICMP != nil || track.lastHLS != nil else { return nil }
            let lineDown = Diagnosis.isLineDown(track)
            let hlsFailing = track.lastHLS == .fail || track.lastHLS == .error
            self.init(site: info?.site, streamServer: info?.streamServer, lineDown: lineDown, streamDown: !lineDown && hlsFailing)
        }

        var failing: Bool { lineDown || streamDown }

        /// A quick estimate of the entry after `observation` (ignoring duplicates and reordering),
        /// to judge a whole batch before applying it.
        package static func estimate(_ entry: Entry?, after observation: IncidentStateMachine.Observation, info: CameraInfo?) -> Entry {
            var next = entry ?? Entry(site: info?.site, streamServer: info?.streamServer, lineDown: false, streamDown: false)
            switch observation {
            case let .icmp(result, _):
                next.lineDown = result.status == .timeout || result.status == .fail
                if next.lineDown { next.streamDown = false }
            case let .hls(result, _):
                next.streamDown = result.status != .success && !next.lineDown
            // Stream servers are grouped by HLS URL; RTSP and picture results (a camera's own
            // faults, checked far less often) do not count here.
            case .rtsp, .picture: break
            }
            return next
        }
    }

    private var entries: [String: Entry] = [:]
    private var lineDownBySite: [String: Int] = [:]
    private var streamDownByServer: [String: Int] = [:]
    private var failingBySite: [String: Int] = [:]
    /// Cameras with at least one result.
    package private(set) var judged = 0
    /// Cameras whose latest results fail (line down or stream broken).
    package private(set) var failing = 0

    package init() {}

    /// Sets (or, with `nil`, removes) one camera's entry.
    package mutating func set(_ cameraID: String, _ entry: Entry?) {
        if let old = entries[cameraID] { count(old, -1) }
        entries[cameraID] = entry
        if let entry { count(entry, +1) }
    }

    /// The entry of one camera.
    package func entry(_ cameraID: String) -> Entry? { entries[cameraID] }

    /// Cameras of `group` failing now: line down at a site, stream down at a server.
    package func failing(in group: StormGrouping.Group) -> Int {
        switch group {
        case let .site(site): lineDownBySite[site] ?? 0
        case let .streamServer(origin): streamDownByServer[origin] ?? 0
        }
    }

    /// Sites (cameras without a site count as one) with at least one failing camera.
    package var failingSites: Int { failingBySite.count }

    private mutating func count(_ entry: Entry, _ delta: Int) {
        judged += delta
        if entry.lineDown, let site = entry.site { Self.bump(&lineDownBySite, site, delta) }
        if entry.streamDown, let origin = entry.streamServer { Self.bump(&streamDownByServer, origin, delta) }
        if entry.failing {
            failing += delta
            Self.bump(&failingBySite, entry.site ?? "", delta)
        }
    }

    private static func bump(_ counts: inout [String: Int], _ key: String, _ delta: Int) {
        let value = (counts[key] ?? 0) + delta
        counts[key] = value > 0 ? value : nil
    }
}
