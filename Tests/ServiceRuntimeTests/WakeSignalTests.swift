import ServiceRuntime
import Testing

@Suite("wake signal")
struct WakeSignalTests {
    @Test("a signal before the wait is kept; the wait takes it at once, and the next wait times out")
    func keptSignal() async {
        let signal = WakeSignal()
        signal.signal()
        #expect(await signal.wait(upTo: .seconds(30)))
        #expect(await signal.wait(upTo: .milliseconds(20)) == false)
    }

    @Test("a signal wakes a waiting loop at once, long before its timeout")
    func wakesWaiter() async {
        let signal = WakeSignal()
        let started = ContinuousClock.now
        // The margins are wide on purpose: a test thread starved by other tests (seen on CI: 36 s)
        // must not look like a signal that did not wake. Not woken, it waits the full 600 s and fails.
        async let woken = signal.wait(upTo: .seconds(600))
        try? await Task.sleep(for: .milliseconds(50))
        signal.signal()
        #expect(await woken)
        #expect(ContinuousClock.now - started < .seconds(300))
    }

    @Test("many signals while busy are one wake, not many")
    func signalsCoalesce() async {
        let signal = WakeSignal()
        for _ in 0..<100 { signal.signal() }
        #expect(await signal.wait(upTo: .seconds(30)))
        #expect(await signal.wait(upTo: .milliseconds(20)) == false)
    }

    @Test("a cancelled wait returns")
    func cancelled() async {
        let signal = WakeSignal()
        let waiting = Task { await signal.wait(upTo: .seconds(600)) }
        waiting.cancel()
        #expect(await waiting.value == false)
    }
}
