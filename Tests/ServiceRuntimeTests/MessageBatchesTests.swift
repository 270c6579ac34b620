import Testing
@testable import ServiceRuntime

@Suite("message batches")
struct MessageBatchesTests {
    @Test("what arrived while the consumer was busy is the next batch, in order and at most maxBatch long")
    func batchesInOrder() async {
        let batches = MessageBatches<Int>(maxBatch: 4, capacity: 16)
        for n in 0..<10 { await batches.push(n) }
        batches.finish()
        var seen: [[Int]] = []
        while let batch = await batches.next() { seen.append(batch) }
        #expect(seen == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    }

    @Test("an idle consumer gets a lone message at once")
    func loneMessage() async {
        let batches = MessageBatches<Int>(maxBatch: 100)
        async let first = batches.next()
        await batches.push(7)
        #expect(await first == [7])
    }

    @Test("with a linger, what arrives meanwhile joins the batch; a full batch does not wait", .timeLimit(.minutes(1)))
    func linger() async {
        let lingering = MessageBatches<Int>(maxBatch: 100, linger: .milliseconds(300))
        let clock = ContinuousClock()
        let started = clock.now
        async let first = lingering.next()
        await lingering.push(1)
        for n in 2...5 { await lingering.push(n) }
        #expect(await first == [1, 2, 3, 4, 5], "the four that came during the linger joined the first")
        #expect(clock.now - started >= .milliseconds(300))

        let full = MessageBatches<Int>(maxBatch: 3, linger: .seconds(3600))
        for n in 0..<3 { await full.push(n) }
        #expect(await full.next() == [0, 1, 2], "a full batch is handed out at once (else the time limit fails the test)")
        full.finish()
        #expect(await full.next() == nil)
    }

    @Test("a full buffer makes the producer wait instead of dropping anything")
    func backPressure() async {
        let batches = MessageBatches<Int>(maxBatch: 2, capacity: 3)
        let source = AsyncStream<Int> { continuation in
            for n in 0..<20 { continuation.yield(n) }
            continuation.finish()
        }
        let pump = Task {
            await batches.pump(from: source)
            batches.finish()
        }
        // Nothing is consumed yet: the pump stops at the capacity and waits.
        #expect(await eventually { batches.buffered == 3 })
        try? await Task.sleep(for: .milliseconds(50))
        #expect(batches.buffered == 3, "the pump did not go past the capacity")
        var all: [Int] = []
        while let batch = await batches.next() {
            #expect(batch.count <= 2)
            all += batch
        }
        await pump.value
        #expect(all == Array(0..<20), "nothing lost, nothing reordered")
    }

    @Test("two pumps waiting on one full buffer both go on when it drains (the issues service pumps results and definitions into one)",
          .timeLimit(.minutes(1)))
    func twoPumpsWaiting() async {
        let batches = MessageBatches<Int>(maxBatch: 2, capacity: 2)
        let pumps = Task {
            await withDiscardingTaskGroup { group in
                for offset in [0, 1000] {
                    group.addTask {
                        await batches.pump(from: AsyncStream<Int> { continuation in
                            for n in 0..<50 { continuation.yield(offset + n) }
                            continuation.finish()
                        })
                    }
                }
            }
            batches.finish()
        }
        // Both pumps are parked on the full buffer before anything is consumed.
        #expect(await eventually { batches.buffered == 2 })
        try? await Task.sleep(for: .milliseconds(50))
        var all: [Int] = []
        while let batch = await batches.next() { all += batch }
        await pumps.value
        #expect(all.filter { $0 < 1000 } == Array(0..<50), "the first pump's messages, all and in order")
        #expect(all.filter { $0 >= 1000 } == Array(1000..<1050), "the second pump's messages, all and in order")
    }

    private func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
