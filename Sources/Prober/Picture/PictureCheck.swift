import CCTVContract
import Foundation
import ServiceRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The picture rung of the ladder: ffmpeg decodes a few seconds of the stream through
/// `blackdetect` and `freezedetect` (after the camera's crop, so a burned-in clock cannot keep
/// a frozen picture "moving") and keeps one frame as evidence.
///
/// Thresholds that survive night scenes (measured here, see CAMERA-CHECKS.md): a pixel is black
/// below 5 % luminance (`pix_th=0.05`) and the picture only when 99.9 % of its pixels are
/// (`pic_th=0.999`); ffmpeg's defaults (0.10 / 0.98) called a dark moving street black. Freeze:
/// noise tolerance −50 dB (`n=0.003`) for 2 s.
///
/// Credentials never go on ffmpeg's command line (every user on the host can read it in `ps`):
/// a camera whose stream needs them is skipped with `picture_credentials_unsupported`.
package final class PictureCheck: Sendable {
    package struct Options: Sendable {
        /// Seconds of video decoded.
        package var sampleSeconds: Double
        /// ffmpeg is killed after this.
        package var timeout: Duration
        /// Where snapshots are kept (`nil`: none taken).
        package var snapshots: SnapshotStore?

        package init(sampleSeconds: Double = 4, timeout: Duration = .seconds(20), snapshots: SnapshotStore? = nil) {
            self.sampleSeconds = sampleSeconds; self.timeout = timeout; self.snapshots = snapshots
        }
    }

    /// What one check found.
    package struct Outcome: Sendable, Equatable {
        package var status: PictureStatus
        package var reason: String
        package var detail: String?
        package var blackSeconds: Double?
        package var frozenSeconds: Double?
        package var sampledSeconds: Double?
        /// The stored snapshot's name (see ``SnapshotStore``).
        package var snapshot: String?
        /// CPU seconds ffmpeg used.
        package var cpuSeconds: Double?
    }

    let binary: String?
    let options: Options

    /// - Parameter binary: ffmpeg's path; `nil` searches `/usr/bin` and `/usr/local/bin`.
    package init(binary: String? = nil, options: Options = .init()) {
        self.binary = binary ?? ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].first { FileManager.default.isExecutableFile(atPath: $0) }
        self.options = options
    }

    /// The video filter chain for `crop` (fractions of the frame kept).
    package static func filter(crop: PictureCrop?) -> String {
        var chain: [String] = []
        if let crop {
            chain.append(String(format: "crop=w=iw*%.4f:h=ih*%.4f:x=iw*%.4f:y=ih*%.4f", crop.width, crop.height, crop.x, crop.y))
        }
        chain.append("blackdetect=d=1:pix_th=0.05:pic_th=0.999")
        chain.append("freezedetect=n=0.003:d=2")
        return chain.joined(separator: ",")
    }

    /// Judges the picture of `url` (HLS or RTSP) for `camera`.
    package func check(camera: String, url: String, crop: PictureCrop?, hasCredentials: Bool) async -> Outcome {
        guard let binary else {
            return Outcome(status: .error, reason: "ffmpeg_missing", detail: "install Debian's ffmpeg package for picture checks")
        }
        guard !hasCredentials else {
            return Outcome(status: .error, reason: "picture_credentials_unsupported",
                           detail: "the stream needs credentials, which are never put on ffmpeg's command line; picture not checked")
        }
        let snapshotFile = options.snapshots?.newFile(camera: camera)
        var outcome = await Self.run(binary: binary, url: url, crop: crop, snapshot: snapshotFile, options: options)
        if let snapshotFile, let store = options.snapshots {
            outcome.snapshot = store.keep(snapshotFile, camera: camera)
        }
        return outcome
    }

    /// ffmpeg's arguments: decode `options.sampleSeconds` of the first video track through the
    /// black and freeze filters, progress on stdout, and the first frame as the snapshot.
    static func arguments(url: String, crop: PictureCrop?, snapshot: URL?, options: Options) -> [String] {
        let micros = String(Int(options.timeout.seconds * 1_000_000))
        var arguments = ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "info"]
        // The RTSP demuxer has its own I/O timeout option; -rw_timeout is for http(s) only.
        if url.lowercased().hasPrefix("rtsp://") {
            arguments += ["-rtsp_transport", "tcp", "-timeout", micros]
        } else {
            arguments += ["-rw_timeout", micros]
        }
        arguments += ["-t", String(options.sampleSeconds), "-i", url,
                      "-map", "0:v:0", "-an", "-vf", filter(crop: crop), "-f", "null", "-progress", "pipe:1", "-"]
        if let snapshot { arguments += ["-map", "0:v:0", "-frames:v", "1", "-q:v", "5", "-y", snapshot.path] }
        return arguments
    }

    /// One ffmpeg run (``ToolRun``: off the cooperative pool, bounded, killed at the time limit,
    /// dies with the prober), judged from its filter lines and progress.
    static func run(binary: String, url: String, crop: PictureCrop?, snapshot: URL?, options: Options) async -> Outcome {
        let ran: ToolRun.Outcome
        do {
            ran = try await ToolRun.run(binary, arguments(url: url, crop: crop, snapshot: snapshot, options: options), timeout: options.timeout,
                                        maxOutput: 256 << 10, maxErrors: 1 << 20)
        } catch {
            return Outcome(status: .error, reason: "picture_undecodable", detail: "could not start ffmpeg: \(error)")
        }
        let logText = String(decoding: ran.errors, as: UTF8.self)
        if ran.timedOut {
            var outcome = Outcome(status: .error, reason: "picture_timeout", detail: "ffmpeg did not finish within \(Int(options.timeout.seconds)) s")
            outcome.cpuSeconds = ran.cpuSeconds
            return outcome
        }
        let sampled = sampledSeconds(String(decoding: ran.output, as: UTF8.self))
        guard ran.exitStatus == 0, sampled > 0 else {
            let line = logText.split(separator: "\n").last { $0.lowercased().contains("error") || $0.contains("Invalid") || $0.contains("failed") }
            var outcome = Outcome(status: .error, reason: "picture_undecodable",
                                  detail: line.map { String($0.prefix(300)) } ?? "ffmpeg decoded no video (exit \(ran.exitStatus.map(String.init) ?? "by signal"))")
            outcome.cpuSeconds = ran.cpuSeconds
            return outcome
        }
        let judgement = PictureJudgement(log: logText, sampledSeconds: sampled)
        return Outcome(status: judgement.status, reason: judgement.reason, detail: judgement.detail, blackSeconds: judgement.blackSeconds,
                       frozenSeconds: judgement.frozenSeconds, sampledSeconds: sampled, cpuSeconds: ran.cpuSeconds)
    }

    /// The last `out_time_us` of ffmpeg's `-progress` output, in seconds.
    static func sampledSeconds(_ progress: String) -> Double {
        let last = progress.split(separator: "\n").last { $0.hasPrefix("out_time_us=") }
        return last.flatMap { Double($0.dropFirst("out_time_us=".count)) }.map { max(0, $0 / 1e6) } ?? 0
    }
}
