import Foundation
import ServiceRuntime

/// Everything a prober is told: cadence, ICMP echoes, HLS budgets, concurrency, back-off, the
/// optional ffprobe deep check, its site pin and its membership in the fleet.
package struct ProberConfiguration: Sendable, Equatable {
    /// Default check interval per camera, seconds (a camera's own interval wins).
    package var interval: Double = 60
    /// Echoes per ICMP check.
    package var icmpCount = 3
    /// Wait for each echo reply, seconds.
    package var icmpTimeout: Double = 1
    /// Seconds between the echoes of one check.
    package var icmpSpacing: Double = 0.2
    /// ICMP checks running at once.
    ///
    /// Why 2,048: a check holds its slot for its echoes, (count − 1) × spacing plus the reply:
    /// ~0.4 s answered, up to 1.4 s unanswered with the defaults. 100,000 cameras every 60 s are
    /// 1,667 checks/s, so ~700 slots while they answer and ~2,300 while all are down (back-off
    /// then thins them). The former 256 (with 2,000 packets/s) held the prober to 615 checks/s: at
    /// 100,000 cameras each was checked every ~2.7 minutes instead of every minute; 1,668 checks/s
    /// with 2,048 and 6,000 (`WARMUP=180 scripts/bench-serve.sh 100000 60 180`, release).
    package var concurrency = 2_048
    /// ICMP packets a second across the whole fleet (the echoes are paced, never sent in bursts).
    ///
    /// Why 6,000: 100,000 cameras × 3 echoes every 60 s need 5,000 packets/s; the engine's former
    /// 2,000 allowed 667 checks/s (40,000 cameras a minute). 6,000 echoes of 52 bytes are ~2.5
    /// Mbit/s. More cameras, more echoes or shorter intervals need more: the need is
    /// cameras × echoes ÷ interval.
    package var icmpRate: Double = 6_000
    /// HLS checks running at once (separate from the ICMP checks).
    package var hlsConcurrency = 64
    /// Time budget of one HLS check (every playlist and the segment), seconds.
    package var hlsTimeout: Double = 10
    /// Bytes of the newest segment downloaded per HLS check.
    /// 512 KiB holds the key frame a segment starts with (asked for with a Range request); the
    /// whole 2 s segment was fetched before (measured in `cctv-out-bench hls-bytes`).
    package var hlsSegmentBytes = 512 << 10
    /// Consecutive failed checks after which a dead camera is checked less often.
    package var backoffAfter = 5
    /// Run the ffprobe deep check after every Nth good HLS check of a camera; 0 = off.
    package var deepCheckEvery = 0
    /// Seconds before a deep check (ffprobe) is killed.
    package var deepCheckTimeout: Double = 15
    /// Deep checks running at once (more are skipped, not queued).
    package var deepCheckConcurrency = 2
    /// Only check cameras of this site (a prober inside a closed network); nil = any site no pinned prober covers.
    package var site: String?
    /// This prober's member name; nil = the host name and a random suffix, new at every start.
    package var name: String?
    /// Seconds between membership heartbeats; 0 = a third of ``interval``.
    package var heartbeat: Double = 0
    /// Seconds after its latest heartbeat when a member counts as dead; 0 = three heartbeats.
    package var memberTimeout: Double = 0
    /// Share of the HLS/RTSP slots that cameras whose previous check took over half its budget
    /// may hold (see ``CheckSlots``).
    package var hlsSlowShare = 0.25
    /// HLS/RTSP checks against one stream server (host:port) at once.
    package var hlsPerHost = 32
    /// Time budget of one RTSP check up to PLAY, seconds.
    package var rtspTimeout: Double = 5
    /// Seconds video packets are counted after PLAY; 0 = stop after DESCRIBE.
    package var rtspPacketWindow: Double = 2
    /// Seconds between picture checks of a camera that has them on.
    package var pictureEvery: Double = 900
    /// Picture checks (ffmpeg decodes) at once, fleet-wide; due ones wait.
    package var pictureConcurrency = 2
    /// Seconds of video a picture check decodes.
    package var pictureSample: Double = 4
    /// Snapshots kept per camera.
    package var snapshotKeep = 3
    /// Seconds between ONVIF checks (clock, device information) of a camera with an ONVIF address.
    package var onvifEvery: Double = 300
    /// Time budget of one ONVIF check (both calls), seconds.
    package var onvifTimeout: Double = 5
    /// A camera clock off by more than this many seconds is reported (`clock_skew`).
    package var onvifClockSkew: Double = 10
    /// Seconds an ONVIF event subscription (`checks.onvifEvents`) is asked to live; renewed when
    /// half of it is left.
    package var onvifEventsLease: Double = 60
    /// Seconds one `PullMessages` waits on the camera for events (its long poll).
    package var onvifEventsWait: Double = 10
    /// Addresses whose silence means the prober's own network is down (its results are then
    /// inconclusive): a comma list of addresses, `gateway` (the default gateway, pinged only while
    /// a camera off this machine is checked) or `none`.
    package var reference = "gateway"
    /// Seconds between two checks of the reference addresses.
    package var referenceEvery: Double = 5

    package init() {}

    /// Seconds between membership heartbeats.
    package var heartbeatSeconds: Double { heartbeat > 0 ? heartbeat : interval / 3 }
    /// Seconds after its latest heartbeat when a member counts as dead.
    package var memberTimeoutSeconds: Double { memberTimeout > 0 ? max(memberTimeout, heartbeatSeconds) : 3 * heartbeatSeconds }

    /// This configuration with its member name fixed (generated when none is set): done once per
    /// process start, before the broker accounts are made for its session.
    package func named() -> ProberConfiguration {
        var named = self
        named.name = name ?? Self.generatedName()
        return named
    }

    /// The session name this prober uses on the broker: `prober-{member}`, unique per member.
    package var busName: String { "prober-\(name ?? "unnamed")" }

    /// The host name (letters, digits, `.-_` only, at most 24) and four random characters.
    static func generatedName() -> String {
        let host = ProcessInfo.processInfo.hostName.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "-" }
        let suffix = String((0..<4).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
        return String(String(host).prefix(24)) + "-" + suffix
    }

    /// The RTSP checker's budgets.
    package var rtspLimits: RTSPCheckLimits {
        RTSPCheckLimits(timeBudget: .milliseconds(Int64((rtspTimeout * 1000).rounded())),
                        packetWindow: rtspPacketWindow > 0 ? .milliseconds(Int64((rtspPacketWindow * 1000).rounded())) : nil)
    }

    /// The ONVIF checker's budget and clock limit.
    package var onvifLimits: ONVIFCheckLimits {
        ONVIFCheckLimits(timeBudget: .milliseconds(Int64((onvifTimeout * 1000).rounded())), clockSkewLimit: onvifClockSkew)
    }

    /// The event subscriptions' lease, long poll and budgets.
    package var onvifEventLimits: ONVIFEventLimits {
        ONVIFEventLimits(lease: .milliseconds(Int64((onvifEventsLease * 1000).rounded())), pullWait: .milliseconds(Int64((onvifEventsWait * 1000).rounded())),
                         callBudget: .milliseconds(Int64((onvifTimeout * 1000).rounded())))
    }

    /// The HLS checker's budgets.
    package var hlsLimits: HLSCheckLimits {
        HLSCheckLimits(timeBudget: .milliseconds(Int64((hlsTimeout * 1000).rounded())), segmentMaxBytes: hlsSegmentBytes)
    }
}

extension ProberConfiguration {
    enum Key {
        static let d = ProberConfiguration()
        static let interval = SettingKey.number("prober.interval", default: d.interval, in: 1...86_400, "default check interval per camera, seconds")
        static let icmpCount = SettingKey.integer("prober.icmp-count", default: d.icmpCount, in: 1...100, "echoes per ICMP check")
        static let icmpTimeout = SettingKey.number("prober.icmp-timeout", default: d.icmpTimeout, in: 0.05...60, "seconds to wait for each echo reply")
        static let icmpSpacing = SettingKey.number("prober.icmp-spacing", default: d.icmpSpacing, in: 0.001...60, "seconds between the echoes of one check")
        static let concurrency = SettingKey.integer("prober.concurrency", default: d.concurrency, in: 1...100_000, "ICMP checks running at once")
        static let icmpRate = SettingKey.number("prober.icmp-rate", default: d.icmpRate, in: 1...1_000_000,
                                                "ICMP packets a second across the fleet, paced (the need is cameras × echoes ÷ interval)")
        static let deepCheckEvery = SettingKey.integer("prober.deep-check-every", default: d.deepCheckEvery, in: 0...1_000_000,
                                                       "run the ffprobe deep check after every Nth successful HLS check of a camera (0 = off)")
        static let deepCheckTimeout = SettingKey.number("prober.deep-check-timeout", default: d.deepCheckTimeout, in: 1...600, "seconds before a deep check (ffprobe) is killed")
        static let deepCheckConcurrency = SettingKey.integer("prober.deep-check-concurrency", default: d.deepCheckConcurrency, in: 1...64,
                                                             "deep checks running at once (more are skipped, not queued)")
        static let site = SettingKey.text("prober.site", "only check cameras of this site (a remote probe inside a closed network); other probers then leave that site to it")
        static let name = SettingKey.text("prober.name", "this prober's member name (letters, digits, . - _; at most 32); default: the host name and a random suffix per start")
        static let heartbeat = SettingKey.number("prober.heartbeat", default: d.heartbeat, in: 0...3_600,
                                                 "seconds between membership heartbeats (probers split the fleet by them); 0 = a third of prober.interval")
        static let memberTimeout = SettingKey.number("prober.member-timeout", default: d.memberTimeout, in: 0...86_400,
                                                     "seconds after its latest heartbeat when a prober counts as dead and its cameras move; 0 = three heartbeats")
        static let hlsConcurrency = SettingKey.integer("prober.hls-concurrency", default: d.hlsConcurrency, in: 1...10_000, "HLS checks running at once (separate from the ICMP checks)")
        static let hlsTimeout = SettingKey.number("prober.hls-timeout", default: d.hlsTimeout, in: 0.5...120, "time budget of one HLS check (every playlist and the segment), seconds")
        static let hlsSegmentBytes = SettingKey.integer("prober.hls-segment-bytes", default: d.hlsSegmentBytes, in: 4_096...(64 << 20),
                                                        "bytes of the newest segment asked for (HTTP Range) and read per HLS check")
        static let hlsSlowShare = SettingKey.number("prober.hls-slow-share", default: d.hlsSlowShare, in: 0.01...1,
                                                    "share of the HLS/RTSP slots that cameras whose previous check took over half the time budget may hold (the rest stay free for cameras that answer)")
        static let hlsPerHost = SettingKey.integer("prober.hls-per-host", default: d.hlsPerHost, in: 1...10_000, "HLS/RTSP checks against one stream server (host:port) at once")
        static let rtspTimeout = SettingKey.number("prober.rtsp-timeout", default: d.rtspTimeout, in: 0.5...120,
                                                   "time budget of one RTSP check up to PLAY (connect, OPTIONS, DESCRIBE, SETUP), seconds")
        static let rtspPacketWindow = SettingKey.number("prober.rtsp-packet-window", default: d.rtspPacketWindow, in: 0...30,
                                                        "seconds to count video packets after PLAY (0 = stop after DESCRIBE)")
        static let pictureEvery = SettingKey.number("prober.picture-every", default: d.pictureEvery, in: 60...86_400,
                                                    "seconds between picture checks (black / frozen) of a camera that has them on")
        static let pictureConcurrency = SettingKey.integer("prober.picture-concurrency", default: d.pictureConcurrency, in: 1...64,
                                                           "picture checks (ffmpeg decodes) running at once, fleet-wide; due ones wait")
        static let pictureSample = SettingKey.number("prober.picture-sample", default: d.pictureSample, in: 2...30, "seconds of video a picture check decodes")
        static let snapshotKeep = SettingKey.integer("prober.snapshot-keep", default: d.snapshotKeep, in: 1...100,
                                                     "snapshots kept per camera in {data-dir}/snapshots (at most 512 MiB in all)")
        static let onvifEvery = SettingKey.number("prober.onvif-every", default: d.onvifEvery, in: 10...86_400,
                                                  "seconds between ONVIF checks (clock, model/firmware/serial) of a camera with an ONVIF address")
        static let onvifTimeout = SettingKey.number("prober.onvif-timeout", default: d.onvifTimeout, in: 0.5...120, "time budget of one ONVIF check (both SOAP calls), seconds")
        static let onvifClockSkew = SettingKey.number("prober.onvif-clock-skew", default: d.onvifClockSkew, in: 1...86_400,
                                                      "a camera clock off by more than this many seconds is reported (clock_skew)")
        static let onvifEventsLease = SettingKey.number("prober.onvif-events-lease", default: d.onvifEventsLease, in: 10...3_600,
                                                        "seconds an ONVIF event subscription (checks.onvifEvents) is asked to live; renewed at half")
        static let onvifEventsWait = SettingKey.number("prober.onvif-events-wait", default: d.onvifEventsWait, in: 1...60,
                                                       "seconds one ONVIF PullMessages waits on the camera for events")
        static let reference = SettingKey.text("prober.reference", default: d.reference,
                                               "addresses whose silence means the prober's own network is down, so its results blame nobody: a comma list, `gateway` (its default gateway, pinged only while a camera off this machine is checked) or `none`")
        static let referenceEvery = SettingKey.number("prober.reference-every", default: d.referenceEvery, in: 1...3_600, "seconds between two checks of the reference addresses")
        static let backoffAfter = SettingKey.integer("prober.backoff-after", default: d.backoffAfter, in: 1...1_000,
                                                     "consecutive failed checks after which a dead camera is checked every 2x its interval (at most 5 min)")
    }

    /// The `prober.*` keys.
    package static let keys: [SettingKey] = [
        Key.interval, Key.icmpCount, Key.icmpTimeout, Key.icmpSpacing, Key.icmpRate, Key.concurrency, Key.deepCheckEvery, Key.deepCheckTimeout,
        Key.deepCheckConcurrency, Key.site, Key.name, Key.heartbeat, Key.memberTimeout, Key.hlsConcurrency, Key.hlsSlowShare, Key.hlsPerHost, Key.hlsTimeout, Key.hlsSegmentBytes,
        Key.backoffAfter, Key.rtspTimeout, Key.rtspPacketWindow, Key.pictureEvery, Key.pictureConcurrency, Key.pictureSample, Key.snapshotKeep,
        Key.onvifEvery, Key.onvifTimeout, Key.onvifClockSkew, Key.onvifEventsLease, Key.onvifEventsWait,
        Key.reference, Key.referenceEvery,
    ]

    /// Reads the `prober.*` keys once.
    /// - Throws: ``SettingsError`` naming the key and what it accepts.
    package init(settings: Settings) throws(SettingsError) {
        self.init()
        interval = try settings.number(Key.interval)
        icmpCount = try settings.integer(Key.icmpCount)
        icmpTimeout = try settings.number(Key.icmpTimeout)
        icmpSpacing = try settings.number(Key.icmpSpacing)
        icmpRate = try settings.number(Key.icmpRate)
        concurrency = try settings.integer(Key.concurrency)
        deepCheckEvery = try settings.integer(Key.deepCheckEvery)
        deepCheckTimeout = try settings.number(Key.deepCheckTimeout)
        deepCheckConcurrency = try settings.integer(Key.deepCheckConcurrency)
        hlsConcurrency = try settings.integer(Key.hlsConcurrency)
        hlsTimeout = try settings.number(Key.hlsTimeout)
        hlsSegmentBytes = try settings.integer(Key.hlsSegmentBytes)
        backoffAfter = try settings.integer(Key.backoffAfter)
        hlsSlowShare = try settings.number(Key.hlsSlowShare)
        hlsPerHost = try settings.integer(Key.hlsPerHost)
        rtspTimeout = try settings.number(Key.rtspTimeout)
        rtspPacketWindow = try settings.number(Key.rtspPacketWindow)
        pictureEvery = try settings.number(Key.pictureEvery)
        pictureConcurrency = try settings.integer(Key.pictureConcurrency)
        pictureSample = try settings.number(Key.pictureSample)
        snapshotKeep = try settings.integer(Key.snapshotKeep)
        onvifEvery = try settings.number(Key.onvifEvery)
        onvifTimeout = try settings.number(Key.onvifTimeout)
        onvifClockSkew = try settings.number(Key.onvifClockSkew)
        onvifEventsLease = try settings.number(Key.onvifEventsLease)
        onvifEventsWait = try settings.number(Key.onvifEventsWait)
        reference = settings.text(Key.reference) ?? Key.d.reference
        referenceEvery = try settings.number(Key.referenceEvery)
        site = settings.text(Key.site)
        heartbeat = try settings.number(Key.heartbeat)
        memberTimeout = try settings.number(Key.memberTimeout)
        if let text = settings.text(Key.name) {
            guard text.count <= 32, BrokerACL.isValidName(text) else {
                throw .invalid(key: Key.name.name, value: text, expected: "1 to 32 of A-Z a-z 0-9 . - _")
            }
            name = text
        }
    }
}
