import CCTVContract
import Foundation
import Synchronization

/// Fans out live changes to every connected browser (Server-Sent Events). Each listener has a
/// bounded buffer: a browser that stops reading loses old events, never slows the others.
package final class LiveHub: Sendable {
    /// One pushed change: SSE event name and its JSON.
    package struct Event: Sendable {
        package var name: String
        package var json: String
    }

    /// Who may receive a change: everyone, or those who may see one site (site-limited accounts
    /// and tokens get only their sites' changes; a camera without a site only reaches those with every site).
    package enum Audience: Sendable {
        case everyone
        case site(String?)
        /// Site-limited listeners covering this site, and nobody else (a camera leaving their sites).
        case onlyLimitedTo(String?)
    }

    struct Listener {
        var continuation: AsyncStream<Event>.Continuation
        /// nil = every site.
        var sites: [String]?

        func receives(_ audience: Audience) -> Bool {
            switch audience {
            case .everyone: return true
            case let .site(site): return sites.map { sites in site.map(sites.contains) ?? false } ?? true
            case let .onlyLimitedTo(site): return sites.map { sites in site.map(sites.contains) ?? false } ?? false
            }
        }
    }

    private let listeners = Mutex<[UUID: Listener]>([:])

    package init() {}

    /// A new listener's stream.
    /// - Parameter sites: only changes of these sites (a site-limited principal); nil = all.
    package func listen(sites: [String]? = nil) -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(1000))
        let id = UUID()
        listeners.withLock { $0[id] = Listener(continuation: continuation, sites: sites) }
        continuation.onTermination = { [weak self] _ in _ = self?.listeners.withLock { $0.removeValue(forKey: id) } }
        return stream
    }

    /// Sends `event` to every listener that may see it.
    package func broadcast(_ name: String, _ value: some Encodable, audience: Audience = .everyone) {
        let targets = listeners.withLock { $0.values.filter { $0.receives(audience) }.map(\.continuation) }
        // Nobody listening: skip the encoding (a 100,000-camera import pushes 100,000 events).
        guard !targets.isEmpty, let data = try? ContractCodec.encodeValue(value), let json = String(data: data, encoding: .utf8) else { return }
        for target in targets { target.yield(Event(name: name, json: json)) }
    }

    /// Sends a keep-alive (empty event name) so idle connections survive proxies.
    package func keepAlive() {
        let targets = listeners.withLock { $0.values.map(\.continuation) }
        for target in targets { target.yield(Event(name: "", json: "")) }
    }

    /// Number of connected listeners.
    package var count: Int { listeners.withLock { $0.count } }

    /// Ends every stream (shutdown).
    package func finishAll() {
        let targets = listeners.withLock { $0.values.map(\.continuation) }
        targets.forEach { $0.finish() }
    }
}

