import CCTVContract
import ICMPEngine
import Logging
import ServiceRuntime

/// The prober's ICMP adapter: one shared engine (one socket per address family) for the whole fleet.
package final class EngineICMPProbe: ICMPProbing {
    let engine: ICMPEngine

    /// Opens the engine's sockets (datagram when allowed, raw otherwise) and reports the mode.
    /// - Parameter configuration: echoes per check, reply timeout, spacing and the packet rate come from it.
    package init(configuration prober: ProberConfiguration, logger: Logger) throws {
        var configuration = ICMPEngineConfiguration()
        configuration.echoesPerCheck = prober.icmpCount
        configuration.timeout = .milliseconds(Int64((prober.icmpTimeout * 1000).rounded()))
        configuration.interval = .milliseconds(Int64((prober.icmpSpacing * 1000).rounded()))
        configuration.packetsPerSecond = prober.icmpRate
        engine = try ICMPEngine(configuration: configuration)
        try engine.start()
        logger.info("ICMP engine ready", metadata: ["mode": "\(engine.mode)"])
    }

    deinit { engine.shutdown() }

    package func check(address: String) async -> ICMPVerdict {
        Self.verdict(await engine.check(address: address))
    }

    /// All of them in one hand-over to the engine (one lock, one wake-up of its scheduler thread);
    /// each verdict is handed on from the engine's thread that finished it.
    package func start(_ addresses: [String], finished: @escaping @Sendable (Int, ICMPVerdict) -> Void) {
        engine.submit(addresses) { index, result in finished(index, Self.verdict(result)) }
    }

    static func verdict(_ result: ICMPCheckResult) -> ICMPVerdict {
        let status: CCTVContract.ICMPStatus = switch result.status {
        case .success: .success
        case .loss: .loss
        case .timeout: .timeout
        case .fail: .fail
        }
        return ICMPVerdict(status: status, reason: result.reason, sent: result.sent, received: result.received, refused: result.refused,
                           rttMinMs: result.rttMinMs, rttAvgMs: result.rttAvgMs, rttMaxMs: result.rttMaxMs, replyFrom: result.replyFrom,
                           startedAt: result.startedAt, durationMs: result.durationMs)
    }
}
