/// The five services of CCTV Out, in the order they start.
package enum ServiceKind: String, CaseIterable, Sendable {
    case registry, prober, issues, notifier, gateway
}
