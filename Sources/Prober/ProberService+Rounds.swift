import CCTVContract
import Foundation
import Metrics
import MQTTBus
import ServiceRuntime

/// One check of each kind for one camera, as its schedule runs it: skipped when the camera is
/// another member's or a lower rung already explains it, otherwise checked, counted and
/// published. Each returns whether the check failed (its schedule backs off).
extension ProberService {
    /// `cctvout_checks_total` per check kind, made once per run.
    struct CheckCounters: Sendable {
        let icmp = Counter(label: "cctvout_checks_total", dimensions: [("kind", "icmp")])
        let hls = Counter(label: "cctvout_checks_total", dimensions: [("kind", "hls")])
        let rtsp = Counter(label: "cctvout_checks_total", dimensions: [("kind", "rtsp")])
        let picture = Counter(label: "cctvout_checks_total", dimensions: [("kind", "picture")])
        let onvif = Counter(label: "cctvout_checks_total", dimensions: [("kind", "onvif")])
    }

    /// What every round of a run shares: where results go, which cameras are this member's, the
    /// stream credentials and the counters.
    struct Round: Sendable {
        let bus: ServiceBus
        let outbox: ResultOutbox
        let membership: ProberMembership
        let credentials: StreamCredentialsSource
        let counters: CheckCounters
    }

    /// Starts the ICMP checks of the cameras this member owns, all in one hand-over to the probe;
    /// the others finish at once, unchecked (`nil`).
    func startICMP(_ cameras: [CameraDefinition], _ round: Round, finished: @escaping @Sendable (Int, ICMPVerdict?) -> Void) {
        let (owned, others) = cameras.indices.reduce(into: ([Int](), [Int]())) { split, index in
            if round.membership.owns(cameras[index]) { split.0.append(index) } else { split.1.append(index) }
        }
        for index in others { finished(index, nil) }
        guard !owned.isEmpty else { return }
        icmp.start(owned.map { cameras[$0].address }) { index, verdict in finished(owned[index], verdict) }
    }

    /// Publishes finished ICMP checks and records whose line is down (the stream rungs wait while
    /// it is); returns for each whether it failed.
    func handleICMP(_ checks: [CheckRunner.Finished<ICMPVerdict?>], _ round: Round) async -> [Bool] {
        var failed: [Bool] = []
        failed.reserveCapacity(checks.count)
        for check in checks {
            guard let verdict = check.outcome else {
                failed.append(false)
                continue
            }
            let result = icmpResult(check.camera, verdict)
            round.counters.icmp.increment()
            let down = result.status == .timeout || result.status == .fail
            linesDown.record(check.camera.id, down: down)
            await publish(result, on: round.bus, via: round.outbox, topic: context.topics.icmp(check.camera.id), type: .probeICMP)
            failed.append(down)
        }
        return failed
    }

    /// Checks the HLS stream (deeper with ffprobe when it is good) unless the line is down, and
    /// records whether the stream is down (the picture waits while it is).
    func hlsRound(of camera: CameraDefinition, _ round: Round) async -> Bool {
        guard round.membership.owns(camera) else { return false }
        guard !linesDown.contains(camera.id) else { return false }
        guard var result = await checkHLS(camera, credentials: await round.credentials.credentials(for: camera)) else { return false }
        if result.status == .success { result = await deepen(result, camera: camera) }
        round.counters.hls.increment()
        streamsDown.record(camera.id, down: result.status != .success)
        await publish(result, on: round.bus, via: round.outbox, topic: context.topics.hls(camera.id), type: .probeHLS)
        return result.status != .success
    }

    /// Checks the RTSP stream unless the line is down; it decides whether the stream is down only
    /// for a camera without an HLS URL.
    func rtspRound(of camera: CameraDefinition, _ round: Round) async -> Bool {
        guard round.membership.owns(camera) else { return false }
        guard !linesDown.contains(camera.id) else { return false }
        guard let result = await checkRTSP(camera, credentials: await round.credentials.credentials(for: camera)) else { return false }
        round.counters.rtsp.increment()
        if camera.hlsURL == nil { streamsDown.record(camera.id, down: result.status != .success) }
        await publish(result, on: round.bus, via: round.outbox, topic: context.topics.rtsp(camera.id), type: .probeRTSP)
        return result.status != .success
    }

    /// Judges the picture while the line and the stream work; never backs off.
    func pictureRound(of camera: CameraDefinition, _ round: Round) async -> Bool {
        guard round.membership.owns(camera) else { return false }
        // A picture is judged only while the line and the stream work: otherwise the
        // incident is already LINE or CAMERA, and decoding would only fail.
        guard !linesDown.contains(camera.id), !streamsDown.contains(camera.id),
              let result = await checkPicture(camera) else { return false }
        round.counters.picture.increment()
        await publish(result, on: round.bus, via: round.outbox, topic: context.topics.picture(camera.id), type: .probePicture)
        return false
    }

    /// Asks the camera's ONVIF service about the device unless the line is down.
    func onvifRound(of camera: CameraDefinition, _ round: Round) async -> Bool {
        guard round.membership.owns(camera) else { return false }
        guard !linesDown.contains(camera.id),
              let result = await checkONVIF(camera, credentials: await round.credentials.credentials(for: camera)) else { return false }
        round.counters.onvif.increment()
        await publish(result, on: round.bus, via: round.outbox, topic: context.topics.onvif(camera.id), type: .probeONVIF)
        return result.status == .error
    }
}
