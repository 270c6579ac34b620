import CCTVContract
import ICMPEngine
import Logging
import ServiceRuntime

/// The prober's ICMP adapter: one shared engine (one socket per address family) for the whole fleet.
public final class EngineICMPProbe: ICMPProbing {
    let engine: ICMPEngine

    /// Opens the engine's sockets (datagram when allowed, raw otherwise) and reports the mode.
    public init(settings: Settings, logger: Logger) throws {
        var configuration = ICMPEngineConfiguration()
        configuration.echoesPerCheck = try settings.int("prober.icmp-count", in: 1...100)
        configuration.timeout = .milliseconds(Int(try settings.double("prober.icmp-timeout", in: 0.05...60) * 1000))
        configuration.interval = .milliseconds(Int(try settings.double("prober.icmp-spacing", in: 0.001...60) * 1000))
        engine = try ICMPEngine(configuration: configuration)
        try engine.start()
        logger.info("ICMP engine ready", metadata: ["mode": "\(engine.mode)"])
    }

    deinit { engine.shutdown() }

    public func check(address: String) async -> ICMPVerdict {
        let result = await engine.check(address: address)
        let status: CCTVContract.ICMPStatus = switch result.status {
        case .success: .success
        case .loss: .loss
        case .timeout: .timeout
        case .fail: .fail
        }
        return ICMPVerdict(status: status, reason: result.reason, sent: result.sent, received: result.received, refused: result.refused,
                           rttMinMs: result.rttMinMs, rttAvgMs: result.rttAvgMs, rttMaxMs: result.rttMaxMs, replyFrom: result.replyFrom)
    }
}
