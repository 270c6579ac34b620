import Testing
import TestSupport

@Suite("tests that run alone (the parallel suite's turn)")
struct AloneGateTests {
    private actor Journal {
        private(set) var lines: [String] = []
        func note(_ line: String) { lines.append(line) }
    }

    @Test("one holder at a time, the turn passes in the order asked, and on to the next when a holder throws")
    func turns() async throws {
        struct Thrown: Error {}
        let gate = AloneGate()
        let journal = Journal()
        let (firstMayEnd, endFirst) = AsyncStream<Void>.makeStream()
        let first = Task {
            try await gate.alone {
                await journal.note("first in")
                for await _ in firstMayEnd { break }
                await journal.note("first out")
            }
        }
        while await journal.lines.isEmpty { await Task.yield() }
        let second = Task {
            try await gate.alone {
                await journal.note("second in")
                throw Thrown()
            }
        }
        while await gate.waiting < 1 { await Task.yield() }
        let third = Task { try await gate.alone { await journal.note("third in") } }
        while await gate.waiting < 2 { await Task.yield() }
        #expect(await journal.lines == ["first in"], "the others wait while the first holds the turn")

        endFirst.yield()
        try await first.value
        await #expect(throws: Thrown.self) { try await second.value }
        try await third.value
        #expect(await journal.lines == ["first in", "first out", "second in", "third in"])
        #expect(await gate.waiting == 0)
    }
}
