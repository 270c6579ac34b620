import Logging
import MQTTBus
import ServiceRuntime
import Synchronization

/// Check results on their way to the broker. A check hands its result over and is done; one task
/// publishes what gathered within 20 ms as one `publishAll` (QoS 1, in order, one wait for all
/// their PUBACKs).
///
/// At 100,000 cameras every 60 s the prober publishes 1,667 results a second. Published one by one,
/// each was a wait for its own PUBACK, a wake-up of the MQTT network thread and a TCP segment, and
/// downstream a segment and a wake-up for every subscriber (in `serve` the issues service and the
/// gateway). Gathered, they leave as a few segments a batch and reach the subscribers as bursts
/// that are read, acknowledged and consumed in one go. The cost is up to 20 ms on a result's way to
/// an alert whose goals are seconds.
///
/// Back-pressure, no drops: `send` waits while `capacity` results wait (a slow or absent broker),
/// so the checks slow down instead of results piling up.
final class ResultOutbox: Sendable {
    let batches: MessageBatches<MQTTOutgoingMessage>
    /// `publishAll` calls so far (for tests and diagnosis).
    let batchesPublished = Atomic<Int>(0)

    init(maxBatch: Int = 500, capacity: Int = 5_000, linger: Duration = .milliseconds(20)) {
        batches = MessageBatches(maxBatch: maxBatch, capacity: capacity, linger: linger)
    }

    /// Queues one result; waits only while the outbox is full.
    func send(_ message: MQTTOutgoingMessage) async {
        await batches.push(message)
    }

    /// No more results come (the checks stopped): ``run(bus:logger:)`` publishes what is left and
    /// returns. The caller bounds how long it may take (cancelling it).
    func finish() {
        batches.finish()
    }

    /// Publishes the batches until ``finish()`` (after the rest) or cancellation. A batch the broker
    /// does not acknowledge within 30 s is logged and left to the client, which sends it on
    /// reconnect, as a single publish did.
    func run(bus: ServiceBus, logger: Logger) async {
        while let batch = await batches.next() {
            batchesPublished.add(1, ordering: .relaxed)
            do {
                try await bus.publishAll(batch, timeout: .seconds(30))
            } catch {
                logger.warning("could not publish results", metadata: ["results": "\(batch.count)", "first": "\(batch[0].topic)", "error": "\(error)"])
            }
        }
    }
}
