import Foundation
import ServiceRuntime
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The optional deep check: `ffprobe` (Debian's ffmpeg) opens the stream the way a player
/// would and reports its video stream. Off by default (`prober.deep-check-every 0`); when on, it
/// runs after every Nth successful HLS check of a camera, at most `concurrency` at once and
/// each killed after `timeout`, so it can never crowd out the regular checks.
package final class FFprobeDeepCheck: Sendable {
    /// What ffprobe found.
    package struct Result: Sendable, Equatable {
        /// `ok`, `deep_no_video`, `deep_check_failed`, `deep_check_timeout`, `ffprobe_missing`.
        package var reason: String
        package var codec: String?
        package var width: Int?
        package var height: Int?
        /// First line of ffprobe's complaint, when it failed.
        package var detail: String?
        package var isHealthy: Bool { reason == "ok" }
    }

    let binary: String?
    let timeout: Duration
    let concurrency: Int
    private let running = Mutex(0)

    /// - Parameters:
    ///   - binary: ffprobe's path; `nil` searches `/usr/bin` and `/usr/local/bin`.
    package init(binary: String? = nil, timeout: Duration = .seconds(15), concurrency: Int = 2) {
        self.binary = binary ?? ["/usr/bin/ffprobe", "/usr/local/bin/ffprobe"].first { FileManager.default.isExecutableFile(atPath: $0) }
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
    }

    /// Probes `url`; returns `nil` when `concurrency` probes already run (the check is simply
    /// skipped this time rather than queued behind them).
    package func probe(_ url: URL) async -> Result? {
        guard let binary else { return Result(reason: "ffprobe_missing", detail: "install Debian's ffmpeg package for the deep check") }
        guard running.withLock({ count -> Bool in
            guard count < concurrency else { return false }
            count += 1
            return true
        }) else { return nil }
        defer { running.withLock { $0 -= 1 } }
        return await Self.run(binary: binary, url: url, timeout: timeout)
    }

    /// One ffprobe run (``ToolRun``: off the cooperative pool, bounded, killed at the time limit,
    /// dies with the prober) and its JSON read.
    static func run(binary: String, url: URL, timeout: Duration) async -> Result {
        let arguments = ["-v", "error", "-rw_timeout", String(Int(timeout.seconds * 1_000_000)),
                         "-show_entries", "stream=codec_type,codec_name,width,height", "-of", "json", "-i", url.absoluteString]
        let ran: ToolRun.Outcome
        do {
            // ffprobe's JSON for a few streams is small; a runaway output is cut.
            ran = try await ToolRun.run(binary, arguments, timeout: timeout, maxOutput: 256 * 1024, maxErrors: 16 * 1024)
        } catch {
            return Result(reason: "deep_check_failed", detail: "could not start ffprobe: \(error)")
        }
        if ran.timedOut {
            return Result(reason: "deep_check_timeout", detail: "ffprobe did not finish within \(Int(timeout.seconds)) s")
        }
        guard ran.exitStatus == 0 else {
            let line = String(decoding: ran.errors, as: UTF8.self).split(separator: "\n").first.map(String.init)
            return Result(reason: "deep_check_failed", detail: line.map { String($0.prefix(300)) })
        }
        return parse(ran.output)
    }

    /// Reads `{"streams": [{"codec_type": "video", "codec_name": "h264", "width": 320, "height": 240}, …]}`.
    static func parse(_ data: Data) -> Result {
        struct Output: Decodable {
            struct Stream: Decodable { var codec_type: String?; var codec_name: String?; var width: Int?; var height: Int? }
            var streams: [Stream]?
        }
        guard let output = try? JSONDecoder().decode(Output.self, from: data) else {
            return Result(reason: "deep_check_failed", detail: "ffprobe printed no readable JSON")
        }
        guard let video = output.streams?.first(where: { $0.codec_type == "video" }) else {
            return Result(reason: "deep_no_video", detail: "the stream opens but carries no video")
        }
        return Result(reason: "ok", codec: video.codec_name, width: video.width, height: video.height)
    }
}
