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
        async let woken = signal.wait(upTo: .seconds(60))
        try? await Task.sleep(for: .milliseconds(50))
        signal.signal()
        #expect(await woken)
        #expect(ContinuousClock.now - started < .seconds(30))
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
