import CCTVContract
import Foundation
import Synchronization

/// Fans out live changes to every connected browser (Server-Sent Events). Each listener has a
/// bounded buffer: a browser that stops reading loses old events, never slows the others.
public final class LiveHub: Sendable {
    /// One pushed change: SSE event name and its JSON.
    public struct Event: Sendable {
        public var name: String
        public var json: String
    }

    private let listeners = Mutex<[UUID: AsyncStream<Event>.Continuation]>([:])

    public init() {}

    /// A new listener's stream.
    public func listen() -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(1000))
        let id = UUID()
        listeners.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in _ = self?.listeners.withLock { $0.removeValue(forKey: id) } }
        return stream
    }

    /// Sends `event` to every listener.
    public func broadcast(_ name: String, _ value: some Encodable) {
        // Nobody listening: skip the encoding (a 100,000-camera import pushes 100,000 events).
        guard count > 0 else { return }
        guard let data = try? ContractCodec.encodeValue(value), let json = String(data: data, encoding: .utf8) else { return }
        let targets = listeners.withLock { Array($0.values) }
        for target in targets { target.yield(Event(name: name, json: json)) }
    }

    /// Sends a keep-alive (empty event name) so idle connections survive proxies.
    public func keepAlive() {
        let targets = listeners.withLock { Array($0.values) }
        for target in targets { target.yield(Event(name: "", json: "")) }
    }

    /// Number of connected listeners.
    public var count: Int { listeners.withLock { $0.count } }

    /// Ends every stream (shutdown).
    public func finishAll() {
        let targets = listeners.withLock { Array($0.values) }
        targets.forEach { $0.finish() }
    }
}

