import ArgumentParser
import Foundation
import Glibc

/// `cctv-out-bench icmp|hls|memory|pipeline|bus|…`: the rerunnable benchmarks behind the README's
/// numbers, in their own executable so the shipping `cctv-out` does not link them (nor the
/// simulated cameras). Loopback only (127.0.0.0/8): no packet of a benchmark leaves the host.
@main
struct CCTVOutBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cctv-out-bench",
        abstract: "Benchmarks on loopback: ICMP sweep vs fping, HLS checks per second, memory with 100,000 cameras, the incident pipeline, a burst into a slow MQTT consumer.",
        discussion: "Build in release mode first: swift build -c release --product cctv-out-bench",
        subcommands: [BenchICMP.self, BenchHLS.self, BenchHLSSlots.self, BenchHLSBytes.self, BenchRTSP.self, BenchONVIF.self, BenchPicture.self, BenchMemory.self,
                      PipelineBenchmark.self, BenchBus.self, BenchBusConsumer.self, BenchHistory.self, BenchDashboard.self, BenchDecode.self])
}

/// Measurements the benchmarks share: CPU time, resident memory, child processes.
enum BenchMeasure {
    static func cpuSeconds(_ who: Int32 = RUSAGE_SELF.rawValue) -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(who), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    static func childCPUSeconds() -> Double { cpuSeconds(RUSAGE_CHILDREN.rawValue) }

    /// VmRSS from /proc/self/status, in kB.
    static func residentKB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
        }
        return -1
    }

    /// Runs a program to completion; stdout and stderr share one pipe so a chatty child
    /// (fping writes a line per host to stderr) cannot deadlock us.
    @discardableResult
    static func run(_ path: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    static func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The `p`-quantile (0…1) of sorted values.
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }
}
