import CCTVContract
import Metrics
import MQTTBus
import Synchronization

/// Reads retained camera definitions (`cctv/{id}/config`) for one service, decoding each payload
/// once per process.
///
/// In `serve` the prober, issues, notifier and gateway each get every definition on their own
/// connection, byte for byte the same message, and each decoded it in full: four JSON decodes per
/// camera were 21.2 % of `serve`'s samples while the gateway caught up with a 100,000-camera import,
/// 6.2 % with this (`perf`, release, 2026-12-01; serve 24.5 → 20.4 CPU s). The first reader to decode a payload leaves the result in ``DecodedDefinitions``
/// for the others; the bytes are the key, so a hit is the same value a decode would give. A payload
/// that fails to decode is not kept: each reader refuses (logs and counts) it on its own.
package final class DefinitionReader: Sendable {
    private let decoder: MessageDecoder
    private let shared: DecodedDefinitions

    /// - Parameter shared: the process's decoded definitions (another instance only in tests).
    package init(decoder: MessageDecoder, shared: DecodedDefinitions = .process) {
        self.decoder = decoder
        self.shared = shared
        shared.join()
    }

    deinit { shared.leave() }

    /// The definition in `message` (a non-empty payload on a config topic), or `nil` when it was
    /// refused (logged and counted by the decoder).
    package func definition(_ message: MQTTMessage) -> Envelope<CameraDefinition>? {
        if let envelope = shared.take(message.payload) { return envelope }
        guard let envelope = decoder.decode(message, as: CameraDefinition.self, expecting: [.cameraConfig]) else { return nil }
        shared.keep(message.payload, envelope)
        return envelope
    }
}

/// Definitions decoded by one ``DefinitionReader`` and not yet taken by every other reader of the
/// process. An entry goes once the other readers have all taken it, so between imports it holds
/// nothing; at most `capacity` entries are kept (the oldest go first: a reader that lags that far
/// behind, or has stopped, decodes for itself).
package final class DecodedDefinitions: Sendable {
    /// The one every reader of this process shares; 4,096 definitions are a few MB at most. In a
    /// 100,000-camera import 298,280 of the 400,000 reads were hits (75 % is all there can be:
    /// `cctvout_shared_definitions_total`), so the readers of `serve` stay well within that of each other.
    package static let process = DecodedDefinitions(capacity: 4096)

    /// A payload with its hash, computed once, outside the lock.
    private struct Key: Hashable {
        let payload: [UInt8]
        let hash: Int

        init(_ payload: [UInt8]) {
            self.payload = payload
            var hasher = Hasher()
            payload.withUnsafeBytes { hasher.combine(bytes: $0) }
            hash = hasher.finalize()
        }

        static func == (lhs: Key, rhs: Key) -> Bool { lhs.hash == rhs.hash && lhs.payload == rhs.payload }
        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }

    private struct Entry {
        var envelope: Envelope<CameraDefinition>
        var takes: Int
        var sequence: Int
    }

    private struct State {
        var readers = 0
        var entries: [Key: Entry] = [:]
        /// Payloads in the order they were kept, from `head` on, for evicting the oldest.
        var order: [(key: Key, sequence: Int)] = []
        var head = 0
        var sequence = 0
    }

    private let capacity: Int
    private let state = Mutex(State())
    private let hits = Counter(label: "cctvout_shared_definitions_total", dimensions: [("outcome", "hit")])
    private let decodes = Counter(label: "cctvout_shared_definitions_total", dimensions: [("outcome", "decoded")])

    package init(capacity: Int) { self.capacity = capacity }

    func join() { state.withLock { $0.readers += 1 } }

    func leave() {
        state.withLock { state in
            state.readers -= 1
            // What every remaining reader has taken (all of it, for a reader left alone) goes now.
            let others = state.readers - 1
            state.entries = state.entries.filter { $0.value.takes < others }
            if state.entries.isEmpty { state.order.removeAll(); state.head = 0 }
        }
    }

    /// The definition another reader decoded from exactly these bytes, if it is still kept.
    func take(_ payload: [UInt8]) -> Envelope<CameraDefinition>? {
        let key = Key(payload)
        let envelope = state.withLock { state -> Envelope<CameraDefinition>? in
            guard var entry = state.entries[key] else { return nil }
            entry.takes += 1
            // Every other reader has its copy: nobody asks for this one again.
            if entry.takes >= state.readers - 1 {
                state.entries[key] = nil
                if state.entries.isEmpty { state.order.removeAll(); state.head = 0 }
            } else {
                state.entries[key] = entry
            }
            return entry.envelope
        }
        if envelope != nil { hits.increment() }
        return envelope
    }

    /// Keeps what this reader decoded for the others (nothing when it is the only reader).
    func keep(_ payload: [UInt8], _ envelope: Envelope<CameraDefinition>) {
        decodes.increment()
        let key = Key(payload)
        state.withLock { state in
            guard state.readers > 1 else { return }
            state.sequence += 1
            state.entries[key] = Entry(envelope: envelope, takes: 0, sequence: state.sequence)
            state.order.append((key, state.sequence))
            while state.entries.count > capacity, state.head < state.order.count {
                let oldest = state.order[state.head]
                state.head += 1
                if state.entries[oldest.key]?.sequence == oldest.sequence { state.entries[oldest.key] = nil }
            }
            // The order still names taken entries: past twice the capacity it keeps only the kept
            // ones (at most `capacity`), so each appended element is dropped once.
            if state.order.count - state.head > 2 * capacity {
                state.order = state.order[state.head...].filter { state.entries[$0.key]?.sequence == $0.sequence }
                state.head = 0
            }
        }
    }

    /// Definitions kept now (for tests).
    package var count: Int { state.withLock { $0.entries.count } }
}
