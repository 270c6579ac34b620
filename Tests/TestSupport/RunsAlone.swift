import Testing

/// A suite or test that must not run beside another such one: it keeps a time budget for a real
/// network answer (HLS, RTSP, ICMP, MQTT reconnects, child processes), burns the CPU (100,000-row
/// imports, storms) or changes machine-wide state (iptables). `swift test` runs everything else in
/// parallel; each test marked `.runsAlone` first takes the process-wide ``AloneGate`` (all test
/// targets run in one process), so these run one at a time, in the order they asked.
///
/// Why: fully parallel on 2 cores, tests in 9 files timed out (2026-11-30); with this gate the
/// parallel `swift test` is green (README, Measured).
///
/// ```swift
/// @Suite("RTSP check against GStreamer's RTSP server", .serialized, .runsAlone)
/// ```
package struct RunsAlone: SuiteTrait, TestTrait, TestScoping {
    /// Applies to every test inside a marked suite, nested suites included.
    package var isRecursive: Bool { true }

    package func provideScope(for test: Test, testCase: Test.Case?,
                              performing function: @Sendable () async throws -> Void) async throws {
        // A suite's own scope is entered once around all its tests: taking the gate there would hold
        // it while a `.serialized` suite's tests wait on each other, so only test cases take it.
        guard testCase != nil else {
            try await function()
            return
        }
        try await AloneGate.shared.alone(function)
    }
}

extension Trait where Self == RunsAlone {
    /// Run one at a time with every other `.runsAlone` test (see ``RunsAlone``).
    package static var runsAlone: Self { RunsAlone() }
}

/// The process-wide turn for ``RunsAlone`` tests: one holder at a time, waiters served first come,
/// first served (an actor's `await` alone would let a later arrival overtake).
package actor AloneGate {
    package static let shared = AloneGate()

    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// A gate of its own (tests of the gate); tests share ``shared``.
    package init() {}

    /// How many wait for their turn.
    package var waiting: Int { waiters.count }

    /// Runs `body` while holding the turn; the turn passes on even when `body` throws.
    package func alone(_ body: @Sendable () async throws -> Void) async throws {
        if held {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            held = true
        }
        defer { passOn() }
        try await body()
    }

    private func passOn() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
