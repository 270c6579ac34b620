import Synchronization

/// Turns a stream of messages into batches for a consumer that writes one transaction per batch
/// (group commit): whatever arrived while the previous batch was being written is the next batch,
/// up to `maxBatch`. An idle consumer gets a lone message at once (no added latency); a busy one
/// gets bigger batches, so the per-transaction cost (one fsync, ~2–3 ms here) is paid once per
/// batch instead of once per message — the issues service went from ~400 results/s to tens of
/// thousands this way.
///
/// Back-pressure, no drops: the pump stops reading the source while `capacity` messages wait,
/// so a slow consumer slows its own subscription instead of losing messages. Order is kept.
///
/// ```swift
/// let batches = MessageBatches<MQTTMessage>(maxBatch: 1000)
/// group.addTask { await batches.pump(from: subscription); batches.finish() }
/// while let batch = await batches.next() { try await store.write { db in … batch … } }
/// ```
package final class MessageBatches<Element: Sendable>: Sendable {
    private struct State {
        var buffer: [Element] = []
        var finished = false
        /// Every waiting consumer and producer, by waiter number: several pumps may wait at once (a
        /// single slot lost the first waiter's continuation, and with it that pump, for good).
        var consumers: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var producers: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var lastWaiter: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Largest batch ``next()`` returns.
    package let maxBatch: Int
    /// Messages buffered before the pump waits for the consumer.
    package let capacity: Int
    /// How long ``next()`` waits for more once something arrived, unless a full batch is there.
    package let linger: Duration?

    /// - Parameters:
    ///   - maxBatch: the largest batch handed out (bounds a transaction's size and time).
    ///   - capacity: how many messages may wait; defaults to two batches.
    ///   - linger: with a value, a batch smaller than `maxBatch` is handed out that long after its
    ///     first message arrived, not at once: a steady trickle becomes a few batches a second
    ///     instead of one per message (each a transaction and a thread wake-up), for that much
    ///     latency. ``finish()`` then takes effect after at most one linger.
    package init(maxBatch: Int, capacity: Int? = nil, linger: Duration? = nil) {
        self.maxBatch = max(1, maxBatch)
        self.capacity = max(self.maxBatch, capacity ?? 2 * maxBatch)
        self.linger = linger
    }

    /// Reads `source` into the buffer until it ends or the task is cancelled. Several sources may
    /// feed one batcher (their order relative to each other is arrival order); call ``finish()``
    /// when they are done.
    package func pump<Source: AsyncSequence & Sendable>(from source: Source) async where Source.Element == Element {
        var iterator = source.makeAsyncIterator()
        while !Task.isCancelled {
            guard let element = try? await iterator.next() else { break }
            await push(element)
        }
    }

    /// Messages waiting for the consumer.
    package var buffered: Int { state.withLock { $0.buffer.count } }

    /// Adds one element, waiting while the buffer is full. One lock and no suspension while there
    /// is room: every check result passes here twice in `serve` (issues, gateway), and parking
    /// first (a key path built at run time and a closure per call, as before) was 2 % of serve's
    /// CPU at 100,000 cameras (`perf`, `scripts/bench-serve.sh 100000 60 150`).
    package func push(_ element: Element) async {
        let capacity = capacity
        while !Task.isCancelled {
            let consumers = state.withLock { state -> [UInt64: CheckedContinuation<Void, Never>]? in
                guard state.buffer.count < capacity || state.finished else { return nil }
                state.buffer.append(element)
                defer { state.consumers = [:] }
                return state.consumers
            }
            guard let consumers else {
                await park(.producers) { $0.buffer.count < capacity || $0.finished }
                continue
            }
            for consumer in consumers.values { consumer.resume() }
            return
        }
    }

    /// Ends the batches: ``next()`` returns what is left, then `nil`.
    package func finish() {
        let waiting = state.withLock { state in
            state.finished = true
            defer { state.consumers = [:]; state.producers = [:] }
            return Array(state.consumers.values) + Array(state.producers.values)
        }
        for waiter in waiting { waiter.resume() }
    }

    /// The next batch (1…`maxBatch` elements, in arrival order), waiting for at least one (and
    /// then for ``linger``, if set, unless a full batch is there);
    /// `nil` once finished and drained, or when the task is cancelled.
    package func next() async -> [Element]? {
        while true {
            if let linger, state.withLock({ !$0.buffer.isEmpty && $0.buffer.count < maxBatch && !$0.finished }) {
                try? await Task.sleep(for: linger)
            }
            if let batch = take() { return batch }
            if state.withLock({ $0.finished }) || Task.isCancelled { return nil }
            await park(.consumers) { !$0.buffer.isEmpty || $0.finished }
        }
    }

    /// Suspends (among the waiters of `side`) until `ready` holds, the batches finish or the task is cancelled;
    /// whoever changes the state resumes every waiter of the side it affects (each checks again).
    private enum Side { case producers, consumers }

    private func park(_ side: Side, until ready: @escaping @Sendable (State) -> Bool) async {
        while !state.withLock({ ready($0) }) && !Task.isCancelled {
            let id = state.withLock { state in
                state.lastWaiter += 1
                return state.lastWaiter
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if ready(state) || Task.isCancelled { return true }
                        switch side {
                        case .producers: state.producers[id] = continuation
                        case .consumers: state.consumers[id] = continuation
                        }
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                state.withLock { state in
                    switch side {
                    case .producers: state.producers.removeValue(forKey: id)
                    case .consumers: state.consumers.removeValue(forKey: id)
                    }
                }?.resume()
            }
        }
    }

    private func take() -> [Element]? {
        let (batch, producers) = state.withLock { state -> ([Element]?, [UInt64: CheckedContinuation<Void, Never>]) in
            guard !state.buffer.isEmpty else { return (nil, [:]) }
            let count = min(maxBatch, state.buffer.count)
            let batch = Array(state.buffer.prefix(count))
            state.buffer.removeFirst(count)
            defer { state.producers = [:] }
            return (batch, state.producers)
        }
        for producer in producers.values { producer.resume() }
        return batch
    }
}
