import ArgumentParser
import CCTVContract
import Foundation
import Logging
import Prober
import ServiceRuntime

/// `cctv-out check <address> [--hls URL] [--rtsp URL] [--onvif URL] [--picture]`: each rung of the ladder
/// (ping, RTSP, ONVIF, HLS, picture) once, then a verdict a field technician can act on — line, camera,
/// picture, or fine — in Korean and English.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check one camera now (ping + optional HLS stream) and say whether it is a line or a camera problem.",
        discussion: """
            Exit status: 0 정상 (OK), 2 회선 문제 (network line problem), 3 카메라 문제 (camera problem).
            The HLS check keeps reloading the playlist until it moves or has been unchanged for 3× the \
            target duration, so a frozen stream is caught in this one run.
            """)

    @Argument(help: "The camera's IP address or host name.") var address: String
    @Option(help: "The camera's HLS playlist URL (master or media).") var hls: String?
    @Option(help: "ICMP echoes to send.") var count: Int = 5
    @Option(help: "Seconds to wait for each echo reply.") var icmpTimeout: Double = 1
    @Option(help: "Time budget of the HLS check, seconds.") var hlsTimeout: Double = 20
    @Option(help: "Stream user name (basic or digest). The password comes from CCTVOUT_CHECK_PASSWORD so it stays out of the shell history and ps.")
    var user: String?
    @Option(help: "The camera's RTSP URL (rtsp://host[:port]/path, no credentials: use --user).") var rtsp: String?
    @Option(help: "The camera's ONVIF device service (http://host[:port]/onvif/device_service): clock skew, model, firmware, serial; signed with --user.")
    var onvif: String?
    @Flag(help: "Also decode a few seconds (HLS, else RTSP) and judge the picture: black or frozen.") var picture = false
    @Option(help: "With --picture: the part of the frame judged, x,y,width,height as fractions (e.g. 0,0.1,1,0.9 drops a clock on top).")
    var crop: String?

    func validate() throws {
        guard (1...100).contains(count) else { throw ValidationError("--count must be 1…100") }
        guard (0.05...60).contains(icmpTimeout) else { throw ValidationError("--icmp-timeout must be 0.05…60 seconds") }
        guard (1...300).contains(hlsTimeout) else { throw ValidationError("--hls-timeout must be 1…300 seconds") }
        if let hls {
            do { _ = try EndpointURL(validating: hls, schemes: EndpointURL.web) } catch { throw ValidationError("--hls \(error)") }
        }
        if let rtsp {
            do { _ = try EndpointURL(validating: rtsp, schemes: EndpointURL.rtsp) } catch { throw ValidationError("--rtsp \(error)") }
        }
        if let onvif {
            do { _ = try EndpointURL(validating: onvif, schemes: EndpointURL.web) } catch { throw ValidationError("--onvif \(error)") }
        }
        if picture, hls == nil, rtsp == nil { throw ValidationError("--picture needs --hls or --rtsp") }
        if let crop, PictureCrop(parsing: crop) == nil { throw ValidationError("--crop must be x,y,width,height fractions inside the frame, e.g. 0,0.1,1,0.9") }
    }

    func run() async throws {
        var logger = Logger(label: "cctv-out-check")
        logger.logLevel = .error
        var configuration = ProberConfiguration()
        configuration.icmpCount = count
        configuration.icmpTimeout = icmpTimeout
        let probe = try EngineICMPProbe(configuration: configuration, logger: logger)

        async let pinged = probe.check(address: address)
        let credentials = user.map { StreamCredentials(username: $0, password: ProcessInfo.processInfo.environment["CCTVOUT_CHECK_PASSWORD"] ?? "") }
        var rtspVerdict: RTSPVerdict?
        if let rtsp { rtspVerdict = await RTSPChecker(limits: .init(timeBudget: .seconds(10))).check(url: rtsp, credentials: credentials) }
        var streamed: HLSVerdict?
        if let hls, let url = URL(string: hls) {
            let fetcher = HTTPClientHLSFetcher(connectionsPerHost: 4)
            let checker = HLSChecker(fetcher: fetcher, limits: HLSCheckLimits(
                timeBudget: .milliseconds(Int(hlsTimeout * 1000)), proveLivenessOnFirstCheck: true,
                tracker: .init(maxReloadDelay: 5)))
            streamed = await checker.check(key: "cli", url: url, credentials: credentials)
            await fetcher.shutdown()
        }
        var onvifVerdict: ONVIFVerdict?
        if let onvif {
            let fetcher = HTTPClientHLSFetcher(connectionsPerHost: 2)
            onvifVerdict = await ONVIFChecker(fetcher: fetcher, limits: ONVIFCheckLimits(timeBudget: .seconds(10))).check(url: onvif, credentials: credentials)
            await fetcher.shutdown()
        }
        var pictured: PictureCheck.Outcome?
        if picture, let url = hls ?? rtsp {
            pictured = await PictureCheck(options: .init(sampleSeconds: 4, timeout: .seconds(30)))
                .check(camera: "cli", url: url, crop: crop.flatMap(PictureCrop.init(parsing:)), hasCredentials: user != nil)
        }
        let icmp = await pinged
        let verdict = FieldVerdict(icmp: icmp, hls: streamed, rtsp: rtspVerdict, picture: pictured, onvif: onvifVerdict)
        print(FieldVerdict.report(address: address, hlsURL: hls, icmp: icmp, hls: streamed, verdict: verdict,
                                  rtspURL: rtsp, rtsp: rtspVerdict, picture: pictured, onvifURL: onvif, onvif: onvifVerdict))
        if verdict != .ok { throw ExitCode(verdict.exitCode) }
    }
}
