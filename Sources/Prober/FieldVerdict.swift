import CCTVContract
import Foundation

/// The technician's verdict, the same table the issues service applies: a line that does not
/// answer hides whatever the camera does, so it is named alone.
package enum FieldVerdict: Sendable, Equatable {
    case ok
    case line
    case degradedLine
    case camera
    /// Line and streams fine, the picture black or frozen.
    case picture

    /// Judges one ICMP check and, when given, the stream checks and the picture: the same
    /// table as the issues service (a line down hides the rest; a broken stream hides the picture).
    /// An ONVIF service that fails while the line answers is the camera's (a skewed clock alone is
    /// reported, not a fault).
    package init(icmp: ICMPVerdict, hls: HLSVerdict?, rtsp: RTSPVerdict? = nil, picture: PictureCheck.Outcome? = nil, onvif: ONVIFVerdict? = nil) {
        switch icmp.status {
        case .timeout, .fail: self = .line
        case .loss: self = .degradedLine
        case .success:
            if hls.map({ $0.status != .success }) ?? false || rtsp.map({ $0.status != .success }) ?? false
                || onvif.map({ $0.status != .success }) ?? false {
                self = .camera
            } else if let picture, picture.status == .black || picture.status == .frozen {
                self = .picture
            } else {
                self = .ok
            }
        }
    }

    /// The process exit status for scripts: 0 OK, 2 line, 3 camera.
    package var exitCode: Int32 {
        switch self {
        case .ok: 0
        case .line, .degradedLine: 2
        case .camera, .picture: 3
        }
    }

    /// The verdict in Korean and English, with who to call.
    package var headline: String {
        switch self {
        case .ok: "정상 (OK)"
        case .line: "회선 문제 (network line problem) → 회선 담당 (network line team)"
        case .degradedLine: "회선 품질 저하 (degraded line: packet loss) → 회선 담당 (network line team)"
        case .camera: "카메라 문제 (camera problem) → 카메라 업체 (camera vendor)"
        case .picture: "화면 이상 (picture black or frozen: lens covered, camera turned, sensor dead?) → 카메라 업체 (camera vendor)"
        }
    }

    /// The whole printout: verdict first, then the measurements of both checks.
    package static func report(address: String, hlsURL: String?, icmp: ICMPVerdict, hls: HLSVerdict?, verdict: FieldVerdict,
                              rtspURL: String? = nil, rtsp: RTSPVerdict? = nil, picture: PictureCheck.Outcome? = nil,
                              onvifURL: String? = nil, onvif: ONVIFVerdict? = nil) -> String {
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
        if let rtsp, let rtspURL {
            lines.append("")
            lines.append("RTSP  \(rtspURL)")
            lines.append("  상태 (status):   \(rtsp.status.rawValue)  [\(rtsp.reason)]")
            if let detail = rtsp.detail { lines.append("  상세 (detail):   \(detail)") }
            if let code = rtsp.rtspStatus { lines.append("  RTSP:            \(code)") }
            lines.append("  DESCRIBE 응답 (answer):               \(number(rtsp.describeMs, "ms"))")
            lines.append("  코덱 (codec):                         \(rtsp.codec ?? "-")")
            lines.append("  영상 패킷 (video packets, ~2 s):      \(rtsp.packets.map(String.init) ?? "-")")
        }
        if let onvif, let onvifURL { lines += onvifLines(url: onvifURL, onvif) }
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
        if let picture {
            lines.append("")
            let word = switch picture.status {
            case .ok: "정상 (moving picture)"
            case .black: "검은 화면 (black)"
            case .frozen: "멈춘 화면 (frozen)"
            case .error: "판정 불가 (could not be judged)"
            }
            lines.append("화면 (picture)  \(word)  [\(picture.reason)]")
            if let detail = picture.detail { lines.append("  상세 (detail):   \(detail)") }
            lines.append("  검은/멈춘 구간 (black/frozen): \(number(picture.blackSeconds, "s")) / \(number(picture.frozenSeconds, "s")) of \(number(picture.sampledSeconds, "s"))")
        }
        return lines.joined(separator: "\n")
    }

    /// The ONVIF rung: status with the reason's words in both languages, the clock, the device.
    static func onvifLines(url: String, _ onvif: ONVIFVerdict) -> [String] {
        let words = ReasonWords.words(for: onvif.reason).map { "\($0.ko) (\($0.en))" } ?? onvif.reason
        var lines = ["", "ONVIF \(url)", "  상태 (status):   \(onvif.status.rawValue)  [\(onvif.reason)] \(words)"]
        if let detail = onvif.detail { lines.append("  상세 (detail):   \(detail)") }
        if let code = onvif.httpStatus { lines.append("  HTTP:            \(code)") }
        if let skew = onvif.clockSkewSeconds {
            let judged = onvif.clockSkewed == true ? "어긋남 (off)" : "정상 (OK)"
            lines.append("  시계 차이 (clock skew):               \(skew > 0 ? "+" : "")\(String(format: "%.1f", skew)) s  \(judged)")
        }
        if let device = onvif.device {
            lines.append("  제조사/모델 (maker/model):            \(device.manufacturer ?? "-") \(device.model ?? "-")")
            lines.append("  펌웨어 (firmware):                    \(device.firmware ?? "-")")
            lines.append("  일련번호 (serial):                    \(device.serial ?? "-")")
        }
        return lines
    }
}
