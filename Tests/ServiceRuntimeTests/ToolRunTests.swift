import Foundation
import ServiceRuntime
import Testing

/// The one way services run outside programs (ffmpeg, ffprobe): bounded output, both pipes
/// drained, killed at the time limit, CPU counted per run.
@Suite("running a tool (ToolRun)")
struct ToolRunTests {
    @Test("output and errors are kept up to their bounds while the program writes far more, and it still ends normally")
    func boundedOutput() async throws {
        // 4 MB on stdout and 200 kB on stderr: a pipe holds 64 kB, so a reader of one pipe only would stall it.
        let ran = try await ToolRun.run("/bin/sh", ["-c", "head -c 200000 /dev/zero >&2; head -c 4000000 /dev/zero; echo done >&2"],
                                        timeout: .seconds(30), maxOutput: 1000, maxErrors: 300_000)
        #expect(ran.succeeded)
        #expect(ran.exitStatus == 0)
        #expect(ran.output.count == 1000)
        #expect(ran.errors.count == 200_005)
        #expect(ran.errors.suffix(5) == Data("done\n".utf8))
    }

    @Test("a program past its time limit is killed and says so")
    func timeout() async throws {
        let started = ContinuousClock.now
        // `sleep 600` and wide margins: when other tests starve this one's threads (seen on CI: 35 s,
        // and a `sleep 30` ended by itself before the kill came), a kill that works must still pass.
        let ran = try await ToolRun.run("/bin/sleep", ["600"], timeout: .milliseconds(300))
        #expect(ran.timedOut)
        #expect(ran.exitStatus == nil)
        #expect(!ran.succeeded)
        #expect(ContinuousClock.now - started < .seconds(300), "the kill did not end it")
    }

    @Test("the exit status and the program's own CPU time are reported")
    func statusAndCPU() async throws {
        let ran = try await ToolRun.run("/bin/sh", ["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exit 3"], timeout: .seconds(60))
        #expect(ran.exitStatus == 3)
        #expect(!ran.timedOut)
        #expect(ran.cpuSeconds > 0.01, "\(ran.cpuSeconds)")
    }
}
