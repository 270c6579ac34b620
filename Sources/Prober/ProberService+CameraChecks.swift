import CCTVContract
import Foundation

/// The rungs past ping and HLS: RTSP, the picture and ONVIF.
extension ProberService {
    /// The host key of a camera's RTSP URL (`host:port`), for per-host limits.
    static func rtspHost(_ camera: CameraDefinition) -> String? {
        guard let text = camera.checks?.rtspURL, let endpoint = try? EndpointURL(validating: text, schemes: EndpointURL.rtsp) else { return nil }
        return "\(endpoint.host.lowercased()):\(endpoint.port)"
    }

    /// `nil` when the camera has no RTSP URL.
    func checkRTSP(_ camera: CameraDefinition, credentials: StreamCredentials?) async -> RTSPResult? {
        guard let url = camera.checks?.rtspURL else { return nil }
        let started = Date()
        let clock = ContinuousClock.now
        // Credentials go only to the device they were entered for (see StreamCredentials).
        let allowed = credentials.flatMap { credentials in URL(string: url).map(credentials.mayBeSent(toDeviceOf:)) == true ? credentials : nil }
        let verdict: RTSPVerdict
        if let parsed = URL(string: url), let why = await DestinationCheck.refusal(parsed, policy: context.configuration.destinations) {
            verdict = RTSPVerdict(status: .fail, reason: "blocked_address", detail: "not connected: \(why)")
        } else {
            verdict = await rtsp.check(url: url, credentials: allowed)
        }
        return RTSPResult(cameraID: camera.id, url: url, status: verdict.status, reason: verdict.reason, detail: verdict.detail,
                          rtspStatus: verdict.rtspStatus, codec: verdict.codec, packets: verdict.packets, describeMs: verdict.describeMs,
                          startedAt: started, durationMs: Self.milliseconds(ContinuousClock.now - clock), prober: proberID)
    }

    /// The camera as the picture schedule sees it (its interval is the picture cadence), or
    /// `nil` when its picture is not checked (off, or no stream to decode).
    func pictureCamera(_ camera: CameraDefinition) -> CameraDefinition? {
        guard camera.checks?.picture == true, camera.hlsURL != nil || camera.checks?.rtspURL != nil else { return nil }
        var pictured = camera
        pictured.intervalSeconds = Int(configuration.pictureEvery)
        return pictured
    }

    /// Decodes a few seconds of the HLS stream (else the RTSP one) and judges the picture.
    func checkPicture(_ camera: CameraDefinition) async -> PictureResult? {
        guard let url = camera.hlsURL ?? camera.checks?.rtspURL else { return nil }
        let started = Date()
        let clock = ContinuousClock.now
        let outcome = await picture.check(camera: camera.id, url: url, crop: camera.checks?.pictureCrop, hasCredentials: camera.hasCredentials)
        return PictureResult(cameraID: camera.id, status: outcome.status, reason: outcome.reason, detail: outcome.detail,
                             blackSeconds: outcome.blackSeconds, frozenSeconds: outcome.frozenSeconds, sampledSeconds: outcome.sampledSeconds,
                             snapshot: outcome.snapshot.map { SnapshotPath.frame(camera: camera.id, name: $0) },
                             startedAt: started, durationMs: Self.milliseconds(ContinuousClock.now - clock), prober: proberID)
    }

    /// The host key of a camera's ONVIF address (`host:port`), for per-host limits.
    static func onvifHost(_ camera: CameraDefinition) -> String? {
        guard let text = camera.checks?.onvifURL, let endpoint = try? EndpointURL(validating: text, schemes: EndpointURL.web) else { return nil }
        return "\(endpoint.host.lowercased()):\(endpoint.port)"
    }

    /// The camera as the ONVIF schedule sees it (its interval is `prober.onvif-every`), or `nil`
    /// when it has no ONVIF address.
    func onvifCamera(_ camera: CameraDefinition) -> CameraDefinition? {
        guard camera.checks?.onvifURL != nil else { return nil }
        var checked = camera
        checked.intervalSeconds = Int(configuration.onvifEvery)
        return checked
    }

    /// `nil` when the camera has no ONVIF address. The camera's credentials sign the calls only
    /// when the ONVIF address is on the device they were entered for (same host).
    func checkONVIF(_ camera: CameraDefinition, credentials: StreamCredentials?) async -> ONVIFResult? {
        guard let url = camera.checks?.onvifURL else { return nil }
        let started = Date()
        let clock = ContinuousClock.now
        let verdict = await onvif.check(url: url, credentials: credentials.flatMap { ONVIFChecker.credentials($0, for: url) })
        return ONVIFResult(verdict, cameraID: camera.id, url: url, limit: onvif.limits.clockSkewLimit, startedAt: started,
                           durationMs: Self.milliseconds(ContinuousClock.now - clock), prober: proberID)
    }
}
