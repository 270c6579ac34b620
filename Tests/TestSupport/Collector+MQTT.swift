import MQTTBus

extension Collector where Element == MQTTMessage {
    /// Subscribes `client` to `filters` for as long as the collector lives (the subscription is
    /// scoped to the collector's task) and keeps every message. Returns once subscribed: after
    /// the broker's SUBACK when connected, at once when the client has not connected yet.
    package static func subscribing(_ client: MQTTClient, to filters: String...) async throws -> Collector<MQTTMessage> {
        let (ready, signal) = AsyncStream<Result<Void, any Error>>.makeStream()
        let collector = Collector<MQTTMessage> { keep in
            do {
                try await client.withSubscription(to: filters) { messages in
                    signal.yield(.success(()))
                    for await message in messages { keep(message) }
                }
            } catch {
                signal.yield(.failure(error))
            }
            signal.finish()
        }
        for await outcome in ready {
            try outcome.get()
            break
        }
        return collector
    }
}
