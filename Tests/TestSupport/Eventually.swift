import Foundation
import Synchronization

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
/// Tests assert on the result, never on how long it took.
package func eventually(
    timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(50),
    _ condition: @Sendable () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

/// Drains an async sequence in the background and keeps everything it yields, so a test can
/// wait for "a message like this" without cancelling (and so ending) the sequence itself.
package final class Collector<Element: Sendable>: Sendable {
    private final class Storage: Sendable {
        let items = Mutex<[Element]>([])
    }
    private let storage = Storage()
    private let task: Task<Void, Never>

    package init<S: AsyncSequence & Sendable>(_ sequence: S) where S.Element == Element {
        let storage = storage
        task = Task {
            do {
                for try await item in sequence { storage.items.withLock { $0.append(item) } }
            } catch {}
        }
    }

    /// Keeps everything `produce` hands to `keep`, until the collector is dropped (which
    /// cancels `produce`).
    package init(producing produce: @escaping @Sendable (_ keep: @escaping @Sendable (Element) -> Void) async -> Void) {
        let storage = storage
        task = Task { await produce { item in storage.items.withLock { $0.append(item) } } }
    }

    deinit { task.cancel() }

    /// Everything collected so far.
    package var all: [Element] { storage.items.withLock { $0 } }

    /// Waits until an element satisfies `predicate`; returns it, or `nil` after `timeout`.
    package func first(timeout: Duration = .seconds(10), where predicate: @escaping @Sendable (Element) -> Bool) async -> Element? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let found = all.first(where: predicate) { return found }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return all.first(where: predicate)
    }

    /// Waits until at least `count` elements arrived; returns all of them (maybe fewer after `timeout`).
    package func wait(forCount count: Int, timeout: Duration = .seconds(10)) async -> [Element] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline && all.count < count {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return all
    }
}

/// Values a test server or callback records, read by the test: thread-safe and shareable by reference.
package final class Recorder<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    package init() {}
    package func append(_ element: Element) { items.withLock { $0.append(element) } }
    package var all: [Element] { items.withLock { $0 } }
}
