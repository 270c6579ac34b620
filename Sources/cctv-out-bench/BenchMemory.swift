import ArgumentParser
import CCTVContract
import Foundation
import HLSCore
import Prober

/// `cctv-out-bench memory --cameras 100000`: resident memory of the prober's state for a fleet:
/// the ICMP and HLS schedules (every camera with a stream URL) and one live-stream memory per
/// stream, as after one round of checks.
struct BenchMemory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "memory", abstract: "Resident memory with N cameras scheduled (ICMP + HLS) and tracked.")

    @Option(help: "Cameras to schedule.") var cameras = 100_000

    func validate() throws {
        guard (1...2_000_000).contains(cameras) else { throw ValidationError("--cameras must be 1…2000000") }
    }

    func run() async throws {
        let rss0 = BenchMeasure.residentKB()
        var icmp = CheckSchedule(defaultInterval: 60)
        var hls = CheckSchedule(defaultInterval: 60)
        var trackers: [String: LiveStreamTracker] = [:]
        trackers.reserveCapacity(cameras)
        let now = Date()
        let start = ContinuousClock.now
        for index in 0..<cameras {
            let id = String(format: "CAM-%06d", index)
            let address = "10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)"
            let camera = CameraDefinition(
                id: id, name: "카메라 \(index)", address: address, hlsURL: "http://\(address)/live/index.m3u8", site: "site-\(index % 200)",
                tags: ["cctv"], lineTeam: "line-\(index % 20)", vendor: "vendor-\(index % 10)", createdAt: now, updatedAt: now, version: 1)
            icmp.upsert(camera, now: 0)
            hls.upsert(camera, now: 0)
            var tracker = LiveStreamTracker()
            let segment = MediaSegment(uri: URL(string: "http://\(address)/live/seg\(index).ts")!, duration: 2, sequenceNumber: index)
            _ = tracker.observe(MediaPlaylist(targetDuration: 2, mediaSequence: index, segments: [segment]), at: 0)
            trackers[id] = tracker
        }
        let built = BenchMeasure.seconds(ContinuousClock.now - start)
        let rss1 = BenchMeasure.residentKB()
        let due = icmp.takeDue(now: 1, limit: Int.max).count
        print("memory: \(cameras) cameras scheduled for ICMP and HLS with \(trackers.count) live-stream memories in \(BenchMeasure.format(built, 2)) s")
        print("memory: VmRSS \(rss0) kB → \(rss1) kB (+\(rss1 - rss0) kB, \(BenchMeasure.format(Double((rss1 - rss0) * 1024) / Double(cameras), 0)) B per camera); "
              + "\(due) due in the first second (interval 60 s, jittered)")
        withExtendedLifetime((icmp, hls, trackers)) {}
    }
}
