import Foundation
import Synchronization

/// Pings the prober's reference addresses (``ReferenceAddresses``) every few seconds and keeps the
/// verdict the prober stamps on its ICMP and HLS results as `inconclusive`: while none of them
/// answers, the prober's own network is down and its results say nothing about the cameras.
///
/// The default gateway is pinged only while the prober checks at least one camera off this
/// machine: a fleet of loopback cameras (simulators, tests) sits behind no gateway, and the
/// monitor must not send packets where nothing it watches lives.
final class ReferenceWatch: Sendable {
    /// The addresses from `prober.reference`, and which of them is the default gateway.
    let addresses: [String]
    let gateway: String?
    let every: Duration
    private let state = Mutex<State>(State())

    private struct State {
        var verdict: String?
        /// Cameras this prober checks whose address is not on this machine.
        var offMachine: Set<String> = []
    }

    /// - Parameters:
    ///   - setting: the `prober.reference` value (addresses, `gateway`, `none`).
    ///   - procNetRoute: the text of `/proc/net/route` (read once, at start).
    init(setting: String, every: Duration, procNetRoute: () -> String?) {
        let route = procNetRoute()
        addresses = ReferenceAddresses.resolve(setting: setting, procNetRoute: { route })
        gateway = ReferenceAddresses.namesGateway(setting) ? route.flatMap(ReferenceAddresses.defaultGateway(procNetRoute:)) : nil
        self.every = every
    }

    /// `reference_unreachable` while every reference address fails; `nil` otherwise.
    var inconclusive: String? { state.withLock { $0.verdict } }

    /// Notes where a scheduled camera is (`nil` address: it is no longer scheduled).
    func track(_ cameraID: String, address: String?) {
        state.withLock { state in
            if let address, !ReferenceAddresses.isLoopback(address) { state.offMachine.insert(cameraID) } else { state.offMachine.remove(cameraID) }
        }
    }

    /// The addresses to ping this round.
    var due: [String] {
        let fleetLeavesMachine = state.withLock { !$0.offMachine.isEmpty }
        return addresses.filter { $0 != gateway || fleetLeavesMachine }
    }

    /// Checks the addresses every `every` until cancelled; a change of verdict is logged by `changed`.
    func run(icmp: any ICMPProbing, changed: @Sendable (String?) -> Void) async {
        while !Task.isCancelled {
            let due = self.due
            var answered: [Bool] = []
            for address in due {
                let verdict = await icmp.check(address: address)
                answered.append(verdict.received > 0)
            }
            let next = ReferenceAddresses.verdict(answered)
            let previous = state.withLock { state in
                defer { state.verdict = next }
                return state.verdict
            }
            if previous != next { changed(next) }
            try? await Task.sleep(for: every)
        }
    }
}
