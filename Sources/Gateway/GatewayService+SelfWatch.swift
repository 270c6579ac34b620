import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime

/// The gateway's part of the monitor watching itself: pulses and "last checked" times in,
/// a `monitoring` live event out when the verdict changes, and late registry replies.
extension GatewayService {
    /// Handles the self-watch topics and late replies; returns whether `message` was one of them.
    func watch(_ message: MQTTMessage, lateReplies: String) -> Bool {
        let topics = context.topics
        switch message.topic {
        case topics.monitorPulse:
            if let envelope = try? ContractCodec.decode(message.payload, as: MonitorPulse.self, expecting: [.monitorPulse]) { monitoring.received(envelope) }
        case topics.monitorChecked:
            if let envelope = try? ContractCodec.decode(message.payload, as: MonitorChecked.self, expecting: [.monitorChecked]) { monitoring.received(envelope) }
        case lateReplies:
            // Issue replies share the topic; only registry replies complete a REST command.
            guard let reply = try? ContractCodec.decode(message.payload, as: RegistryReply.self, expecting: [.registryReply]).data,
                  let id = reply.commandID else { return true }
            do {
                if try store.commands.finish(id: id, reply: reply) {
                    logger.notice("a pending REST command was answered by the registry", metadata: ["command": "\(id)", "ok": "\(reply.ok)"])
                }
            } catch {
                logger.error("could not record a late registry reply", metadata: ["command": "\(id)", "error": "\(error)"])
            }
        default:
            return false
        }
        return true
    }

    /// Pushes `monitoring` to browsers whenever the verdict (state, reasons, services offline)
    /// changes, checked every second, until shutdown.
    func announceMonitoring(_ monitoring: MonitoringWatch) async {
        var last: MonitoringHealth?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let services = (try? store.services()) ?? [:]
            let health = monitoring.health(services: services)
            let verdict = MonitoringHealth(state: health.state, reasons: health.reasons, servicesOffline: health.servicesOffline)
            if verdict != last.map({ MonitoringHealth(state: $0.state, reasons: $0.reasons, servicesOffline: $0.servicesOffline) }) {
                if let last, last.state != health.state {
                    logger.log(level: health.state == .stalled ? .warning : .notice, "monitoring \(health.state.rawValue)",
                               metadata: ["reasons": "\(health.reasons.map(\.rawValue))", "services_offline": "\(health.servicesOffline)"])
                }
                hub.broadcast("monitoring", health)
                last = health
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}
