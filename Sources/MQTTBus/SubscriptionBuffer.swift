import Synchronization

/// One subscription's bounded queue between the network thread (which pushes what it read) and
/// the subscription's consumer (which awaits ``next()``).
///
/// It never drops: it only tells the client when it is above its high watermark, and the client
/// then stops reading its socket (see ``ReadPressure``) until the consumer has taken it down to
/// the low watermark. What the broker could not send meanwhile waits in the persistent session.
final class SubscriptionBuffer: Sendable {
    private struct State {
        var queue = MessageQueue()
        var waiter: (id: UInt64, continuation: CheckedContinuation<MQTTMessage?, Never>)?
        var nextWaiterID: UInt64 = 0
        /// No more messages will come: the consumer gets what is queued, then `nil`.
        var finished = false
        /// The consumer's scope ended: nothing is wanted any more.
        var abandoned = false
        var aboveHighWatermark = false
        var peak = 0
    }

    private let state = Mutex(State())
    /// At this depth the client stops reading its connection.
    let highWatermark: Int
    /// The client reads again once the depth is back down to this.
    let lowWatermark: Int
    private let pressure: ReadPressure

    init(highWatermark: Int, pressure: ReadPressure) {
        self.highWatermark = max(1, highWatermark)
        self.lowWatermark = max(0, self.highWatermark / 2)
        self.pressure = pressure
    }

    /// Messages waiting for the consumer.
    var depth: Int { state.withLock { $0.queue.count } }

    /// The largest depth seen so far.
    var peakDepth: Int { state.withLock { $0.peak } }

    /// Network thread: hands `message` to a waiting consumer or queues it. Returns `false` when
    /// nobody wants it any more (the subscription's scope has ended).
    @discardableResult
    func push(_ message: MQTTMessage) -> Bool {
        enum Outcome { case handed(CheckedContinuation<MQTTMessage?, Never>), queued(crossedHigh: Bool), unwanted }
        let outcome: Outcome = state.withLock { state in
            if state.abandoned || state.finished { return .unwanted }
            if let waiter = state.waiter {
                state.waiter = nil
                state.peak = max(state.peak, 1)
                return .handed(waiter.continuation)
            }
            state.queue.append(message)
            state.peak = max(state.peak, state.queue.count)
            if !state.aboveHighWatermark && state.queue.count >= highWatermark {
                state.aboveHighWatermark = true
                return .queued(crossedHigh: true)
            }
            return .queued(crossedHigh: false)
        }
        switch outcome {
        case let .handed(continuation): continuation.resume(returning: message)
        case .queued(crossedHigh: true): pressure.raise()
        case .queued(crossedHigh: false): break
        case .unwanted: return false
        }
        return true
    }

    /// Consumer: the next message in arrival order; `nil` once finished and drained, abandoned,
    /// or when the awaiting task is cancelled.
    func next() async -> MQTTMessage? {
        if let ready = takeIfReady() { return ready.message }
        let id = state.withLock { state -> UInt64 in state.nextWaiterID += 1; return state.nextWaiterID }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<MQTTMessage?, Never>) in
                let ready: Ready? = state.withLock { state in
                    if let ready = take(&state) { return ready }
                    if Task.isCancelled { return Ready(message: nil, released: false) }
                    // One consumer per subscription: a second concurrent waiter ends the first.
                    state.waiter?.continuation.resume(returning: nil)
                    state.waiter = (id, continuation)
                    return nil
                }
                if let ready {
                    if ready.released { pressure.lower() }
                    continuation.resume(returning: ready.message)
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<MQTTMessage?, Never>? in
                guard let waiter = state.waiter, waiter.id == id else { return nil }
                state.waiter = nil
                return waiter.continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    /// No more messages will be pushed: the consumer drains what is queued, then gets `nil`.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<MQTTMessage?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.queue.isEmpty ? state.waiter?.continuation : nil
        }
        waiter?.resume(returning: nil)
    }

    /// The consumer's scope ended: drop the queue (nobody will read it) and release the pressure.
    func abandon() {
        let (waiter, wasAbove) = state.withLock { state -> (CheckedContinuation<MQTTMessage?, Never>?, Bool) in
            state.abandoned = true
            state.queue = MessageQueue()
            let wasAbove = state.aboveHighWatermark
            state.aboveHighWatermark = false
            defer { state.waiter = nil }
            return (state.waiter?.continuation, wasAbove)
        }
        waiter?.resume(returning: nil)
        if wasAbove { pressure.lower() }
    }

    /// What the consumer gets without waiting: a message (and whether taking it released the
    /// pressure), or the end.
    private struct Ready { var message: MQTTMessage?; var released: Bool }

    private func takeIfReady() -> Ready? {
        guard let ready = state.withLock({ take(&$0) }) else { return nil }
        if ready.released { pressure.lower() }
        return ready
    }

    private func take(_ state: inout State) -> Ready? {
        if let message = state.queue.popFirst() {
            guard state.aboveHighWatermark, state.queue.count <= lowWatermark else { return Ready(message: message, released: false) }
            state.aboveHighWatermark = false
            return Ready(message: message, released: true)
        }
        if state.finished || state.abandoned { return Ready(message: nil, released: false) }
        return nil
    }
}

/// How many of a client's subscriptions are above their high watermark; the network thread reads
/// its socket only while none is. The count going back to zero wakes the network thread.
final class ReadPressure: Sendable {
    private let full = Atomic<Int>(0)
    private let onPause: @Sendable () -> Void
    private let onResume: @Sendable () -> Void

    init(onPause: @escaping @Sendable () -> Void, onResume: @escaping @Sendable () -> Void) {
        self.onPause = onPause
        self.onResume = onResume
    }

    /// Whether some subscription is full, so the socket must not be read.
    var isPaused: Bool { full.load(ordering: .acquiring) > 0 }

    func raise() {
        if full.add(1, ordering: .acquiringAndReleasing).newValue == 1 { onPause() }
    }

    func lower() {
        if full.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { onResume() }
    }
}

/// A FIFO of messages (amortised O(1) at both ends, compacted as it drains).
struct MessageQueue {
    private var storage: [MQTTMessage] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ message: MQTTMessage) { storage.append(message) }

    mutating func popFirst() -> MQTTMessage? {
        guard head < storage.count else { return nil }
        let message = storage[head]
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: storage.capacity <= 4_096)
            head = 0
        } else if head >= 1_024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return message
    }
}
