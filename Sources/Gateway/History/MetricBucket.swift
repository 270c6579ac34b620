import Foundation

/// One camera's check results summed over a time bucket: merged into coarser buckets and stored
/// packed in 20 bytes (ten little-endian UInt16), so a day of 15-minute buckets is 1,920 bytes.
package struct MetricBucket: Sendable, Equatable {
    package var icmpChecks = 0
    package var lossSum = 0.0
    package var rttCount = 0
    package var rttSum = 0.0
    package var rttMax = 0.0
    package var hlsChecks = 0
    package var hlsFailures = 0
    package var hlsMeasured = 0
    package var latencySum = 0.0
    package var bitrateSum = 0.0

    package init() {}

    package var isEmpty: Bool { icmpChecks == 0 && hlsChecks == 0 }

    /// Adds one ICMP check.
    package mutating func addICMP(lossPercent: Double, rttAvgMs: Double?, rttMaxMs: Double?) {
        icmpChecks += 1
        lossSum += max(0, min(100, lossPercent))
        if let rttAvgMs, rttAvgMs.isFinite, rttAvgMs >= 0 {
            rttCount += 1
            rttSum += rttAvgMs
            rttMax = max(rttMax, rttMaxMs.flatMap { $0.isFinite ? $0 : nil } ?? rttAvgMs)
        }
    }

    /// Adds one HLS check.
    package mutating func addHLS(ok: Bool, latencyMs: Double?, bitrateKbps: Double?) {
        hlsChecks += 1
        if !ok { hlsFailures += 1 }
        if ok, let latencyMs, latencyMs.isFinite, latencyMs >= 0 {
            hlsMeasured += 1
            latencySum += latencyMs
            bitrateSum += max(0, bitrateKbps.flatMap { $0.isFinite ? $0 : nil } ?? 0)
        }
    }

    /// Adds `other`'s results.
    package mutating func merge(_ other: MetricBucket) {
        icmpChecks += other.icmpChecks; lossSum += other.lossSum; rttCount += other.rttCount; rttSum += other.rttSum
        rttMax = max(rttMax, other.rttMax); hlsChecks += other.hlsChecks; hlsFailures += other.hlsFailures
        hlsMeasured += other.hlsMeasured; latencySum += other.latencySum; bitrateSum += other.bitrateSum
    }

    /// Average loss %, RTT, HLS latency and bitrate (nil where nothing was measured).
    package var lossPercent: Double? { icmpChecks > 0 ? lossSum / Double(icmpChecks) : nil }
    package var rttAvgMs: Double? { rttCount > 0 ? rttSum / Double(rttCount) : nil }
    package var latencyMs: Double? { hlsMeasured > 0 ? latencySum / Double(hlsMeasured) : nil }
    package var bitrateKbps: Double? { hlsMeasured > 0 ? bitrateSum / Double(hlsMeasured) : nil }

    /// Bytes of one packed bucket.
    package static let packedSize = 20

    /// The bucket as ten UInt16: counts, loss ×100, RTT avg and max ×10 ms, latency ms, bitrate kbps (each at most 65,535).
    package func packed() -> [UInt8] {
        func clamp(_ v: Double) -> UInt16 { v.isFinite ? UInt16(max(0, min(65_535, v.rounded()))) : 0 }
        let fields: [UInt16] = [
            clamp(Double(icmpChecks)), clamp(Double(rttCount)), clamp((lossPercent ?? 0) * 100), clamp((rttAvgMs ?? 0) * 10), clamp(rttMax * 10),
            clamp(Double(hlsChecks)), clamp(Double(hlsFailures)), clamp(Double(hlsMeasured)), clamp(latencyMs ?? 0), clamp(bitrateKbps ?? 0),
        ]
        return fields.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    }

    /// Reads a packed bucket back (sums rebuilt from averages and counts).
    package init<C: Collection<UInt8>>(packed bytes: C) where C.Index == Int {
        var fields = [Double](repeating: 0, count: 10)
        let base = bytes.startIndex
        for i in 0..<10 where base + 2 * i + 1 < base + bytes.count {
            fields[i] = Double(UInt16(bytes[base + 2 * i]) | UInt16(bytes[base + 2 * i + 1]) << 8)
        }
        icmpChecks = Int(fields[0]); rttCount = Int(fields[1]); lossSum = fields[2] / 100 * fields[0]; rttSum = fields[3] / 10 * fields[1]
        rttMax = fields[4] / 10; hlsChecks = Int(fields[5]); hlsFailures = Int(fields[6]); hlsMeasured = Int(fields[7])
        latencySum = fields[8] * fields[7]; bitrateSum = fields[9] * fields[7]
    }
}

/// The bucket sizes history is kept at: 15 minutes (24-hour charts), 1 hour (7 days), 4 hours (30 days).
package enum HistoryResolution: Int, Sendable, CaseIterable, Codable {
    case quarterHour = 900
    case hour = 3600
    case fourHours = 14_400

    /// Buckets in one UTC day.
    package var perDay: Int { 86_400 / rawValue }
    /// Bytes of one day's row.
    package var rowBytes: Int { perDay * MetricBucket.packedSize }

    /// The resolution a chart over `seconds` uses (≈100–200 points).
    package static func forRange(_ seconds: TimeInterval) -> HistoryResolution {
        seconds <= 2 * 86_400 ? .quarterHour : seconds <= 8 * 86_400 ? .hour : .fourHours
    }
}
