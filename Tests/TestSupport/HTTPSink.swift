import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real HTTP server on loopback standing in for a webhook endpoint: records every request
/// body and answers with a status the test can change (e.g. 500 for a while).
package final class HTTPSink: Sendable {
    /// One received request.
    package struct Received: Sendable {
        package var path: String
        package var headers: [String: String]
        package var body: Data
        package var at: ContinuousClock.Instant
        /// The body as a JSON object.
        package var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    }

    private final class Storage: Sendable {
        let received = Mutex<[Received]>([])
        let status = Mutex<Int>(200)
        let responseBody = Mutex<String>("")
        let delay = Mutex<Duration>(.zero)
        let location = Mutex<String?>(nil)
    }

    package let port: Int
    private let storage = Storage()
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    package init() async throws {
        let port = try FreePort.find()
        self.port = port
        let storage = storage
        let router = Router()
        // GET too: a heartbeat receiver (Healthchecks.io / Uptime Kuma push URLs are called with GET).
        router.get("/**") { request, _ -> Response in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            storage.received.withLock { $0.append(Received(path: request.uri.path, headers: headers, body: Data(), at: .now)) }
            return Response(status: .init(code: storage.status.withLock { $0 }))
        }
        router.post("/**") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let delay = storage.delay.withLock { $0 }
            if delay > .zero { try await Task.sleep(for: delay) }
            storage.received.withLock { $0.append(Received(path: request.uri.path, headers: headers, body: Data(buffer.readableBytesView), at: .now)) }
            let body = storage.responseBody.withLock { $0 }
            var answer = HTTPFields()
            if let location = storage.location.withLock({ $0 }) { answer[.location] = location }
            return Response(status: .init(code: storage.status.withLock { $0 }), headers: answer, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        var logger = Logger(label: "http-sink")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        // Stopped by graceful shutdown, not by cancelling the serving task: cancelling can trap in
        // NIO ("Deinited NIOAsyncWriter without calling finish()") when an accepted connection is
        // still buffered (apple/swift-nio#3481).
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        self.group = group
        task = Task { try await group.run() }
        for _ in 0..<200 where !FreePort.isListening(port) { try await Task.sleep(for: .milliseconds(20)) }
    }

    deinit { stop() }

    /// The URL of `path` on this sink.
    package func url(_ path: String = "/hook") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Every request so far.
    package var all: [Received] { storage.received.withLock { $0 } }

    /// Sets the status code answered from now on.
    package func respond(with code: Int) { storage.status.withLock { $0 = code } }

    /// Sets the status code and body answered from now on (e.g. Telegram's `{"ok":true}`).
    package func respond(with code: Int, body: String) {
        storage.status.withLock { $0 = code }
        storage.responseBody.withLock { $0 = body }
    }

    /// Answers every request with a redirect `code` (e.g. 307) to `location`, which may be any
    /// text a hostile receiver could send (a port above 65535, another scheme).
    package func redirect(with code: Int, to location: String) {
        storage.status.withLock { $0 = code }
        storage.location.withLock { $0 = location }
    }

    /// Makes every answer wait `delay` first (a slow endpoint); the request is recorded after the wait.
    package func answer(after delay: Duration) { storage.delay.withLock { $0 = delay } }

    /// Waits for a request matching `predicate`.
    package func first(timeout: Duration = .seconds(30), where predicate: (Received) -> Bool) async -> Received? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let found = all.first(where: predicate) { return found }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return all.first(where: predicate)
    }

    /// Shuts the server down gracefully (in the background).
    package func stop() {
        let group = group
        Task { await group.triggerGracefulShutdown() }
    }
}
