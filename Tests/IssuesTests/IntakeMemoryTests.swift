import Foundation
import Testing
@testable import Issues

@Suite("the intake's memory is changed in place and undone when a batch fails")
struct IntakeMemoryTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func entry(site: String, lineDown: Bool) -> FleetTally.Entry {
        FleetTally.Entry(site: site, streamServer: nil, lineDown: lineDown, streamDown: false)
    }

    /// A memory with three cameras, one of them (c) with its line down at site B.
    func threeCameras() -> IntakeMemory {
        var memory = IntakeMemory(outage: MonitorOutage.State(calmAt: t0))
        memory.set("a", entry(site: "A", lineDown: false))
        memory.set("b", entry(site: "A", lineDown: false))
        memory.set("c", entry(site: "B", lineDown: true))
        return memory
    }

    @Test("a failed batch leaves the tally and the outage state exactly as before it")
    func rollBackRestores() {
        var memory = threeCameras()
        let before = memory.tally
        let outageBefore = memory.outage

        memory.begin()
        memory.set("a", entry(site: "A", lineDown: true))
        memory.set("a", entry(site: "B", lineDown: true))
        memory.set("c", nil)
        memory.set("d", entry(site: "C", lineDown: true))
        memory.outage = MonitorOutage.observe(memory.outage, prober: "p1", inconclusive: "icmp_no_route")
        #expect(memory.tally != before)
        #expect(memory.tally.failing(in: .site("B")) == 1)

        memory.rollBack()
        #expect(memory.tally == before)
        #expect(memory.outage == outageBefore)
        #expect(memory.tally.failing(in: .site("A")) == 0)
        #expect(memory.tally.failing(in: .site("B")) == 1)
        #expect(memory.tally.judged == 3)
    }

    @Test("a stored batch stays, and a later roll-back does not undo it")
    func commitKeeps() {
        var memory = threeCameras()
        memory.begin()
        memory.set("a", entry(site: "A", lineDown: true))
        memory.commit()
        memory.rollBack()
        #expect(memory.tally.failing(in: .site("A")) == 1)
        #expect(memory.tally.failing == 2)
    }

    @Test("the cell hands the same memory to every batch (no copy left behind)")
    func cellMutatesInPlace() {
        let cell = IntakeMemoryCell(threeCameras())
        cell.withMemory { memory in
            memory.begin()
            memory.set("b", entry(site: "A", lineDown: true))
            memory.commit()
        }
        #expect(cell.withMemory { $0.tally.failing(in: .site("A")) } == 1)
        cell.withMemory { memory in
            memory.begin()
            memory.set("a", entry(site: "A", lineDown: true))
        }
        cell.withMemory { $0.rollBack() }
        #expect(cell.withMemory { $0.tally.failing(in: .site("A")) } == 1)
    }
}
