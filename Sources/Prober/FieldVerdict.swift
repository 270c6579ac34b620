import CCTVContract
import Foundation

/// The technician's verdict, the same table the issues service applies: a line that does not
/// answer hides whatever the camera does, so it is named alone.
public enum FieldVerdict: Sendable, Equatable {
    case ok
    case line
    case degradedLine
    case camera

    /// Judges one ICMP check and, when given, one HLS check.
    public init(icmp: ICMPVerdict, hls: HLSVerdict?) {
        switch icmp.status {
        case .timeout, .fail: self = .line
        case .loss: self = .degradedLine
        case .success: self = (hls.map { $0.status != .success } ?? false) ? .camera : .ok
        }
    }

    /// The process exit status for scripts: 0 OK, 2 line, 3 camera.
    public var exitCode: Int32 {
        switch self {
        case .ok: 0
        case .line, .degradedLine: 2
        case .camera: 3
        }
    }

    /// The verdict in Korean and English, with who to call.
    public var headline: String {
        switch self {
        case .ok: "정상 (OK)"
        case .line: "회선 문제 (network line problem) → 회선 담당 (network line team)"
        case .degradedLine: "회선 품질 저하 (degraded line: packet loss) → 회선 담당 (network line team)"
        case .camera: "카메라 문제 (camera problem) → 카메라 업체 (camera vendor)"
        }
    }

    /// The whole printout: verdict first, then the measurements of both checks.
    public static func report(address: String, hlsURL: String?, icmp: ICMPVerdict, hls: HLSVerdict?, verdict: FieldVerdict) -> String {
        func number(_ value: Double?, _ unit: String) -> String { value.map { String(format: "%.1f %@", $0, unit) } ?? "-" }
        var lines = ["판정 (verdict): \(verdict.headline)", ""]
        lines.append("ICMP  \(address)")
        lines.append("  상태 (status):   \(icmp.status.rawValue)  [\(icmp.reason)]")
        lines.append("  응답 (replies):  \(icmp.received)/\(icmp.sent), 손실 (loss) \(String(format: "%.0f", icmp.lossPercent)) %")
        if icmp.refused > 0 {
            lines.append("  송신 거부 (refused by this host, e.g. local firewall): \(icmp.refused)/\(icmp.sent)")
        }
        lines.append("  RTT min/avg/max: \(number(icmp.rttMinMs, "ms")) / \(number(icmp.rttAvgMs, "ms")) / \(number(icmp.rttMaxMs, "ms"))")
        if let from = icmp.replyFrom, icmp.status != .success { lines.append("  응답 주소 (reply from): \(from)") }
        if let hls, let hlsURL {
            lines.append("")
            lines.append("HLS   \(hlsURL)")
            lines.append("  상태 (status):   \(hls.status.rawValue)  [\(hls.reason)]")
            if let detail = hls.detail { lines.append("  상세 (detail):   \(detail)") }
            if let code = hls.httpStatus { lines.append("  HTTP:            \(code)") }
            lines.append("  플레이리스트 지연 (playlist latency): \(number(hls.playlistLatencyMs, "ms"))")
            lines.append("  세그먼트 경과 (segment age):          \(number(hls.segmentAgeSeconds, "s"))")
            lines.append("  비트레이트 (bitrate):                 \(number(hls.bitrateKbps, "kbit/s"))")
            let size = hls.width.flatMap { width in hls.height.map { "\(width)x\($0)" } } ?? "-"
            lines.append("  코덱/해상도 (codec/resolution):       \(hls.codec ?? "-") \(size)")
        } else {
            lines.append("")
            lines.append("HLS   (--hls 없음: 스트림 미확인 / no --hls given: stream not checked)")
        }
        return lines.joined(separator: "\n")
    }
}
