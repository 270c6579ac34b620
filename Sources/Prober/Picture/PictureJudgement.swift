import CCTVContract
import Foundation

/// Reads what ffmpeg's `blackdetect` and `freezedetect` filters said about a sample and judges
/// the picture. Pure: the text in, the verdict out.
///
/// Black is judged first: a black picture is also unchanging, and "black" tells the vendor more
/// (lens covered, sensor or video input dead) than "frozen".
package struct PictureJudgement: Sendable, Equatable {
    package var status: PictureStatus
    package var reason: String
    package var detail: String?
    package var blackSeconds: Double
    package var frozenSeconds: Double
    package var sampledSeconds: Double

    /// Share of the sample that must be black (or frozen) to call the picture so.
    package static let coverage = 0.8

    /// - Parameters:
    ///   - log: ffmpeg's stderr at `-loglevel info` (the filters' lines).
    ///   - sampledSeconds: how much video was decoded.
    package init(log: String, sampledSeconds: Double) {
        var black = 0.0
        var openBlack: Double?
        var frozen = 0.0
        var openFreeze: Double?
        for line in log.split(separator: "\n") {
            if line.contains("black_start:") {
                let start = Self.number(after: "black_start:", in: line) ?? 0
                if let end = Self.number(after: "black_end:", in: line) {
                    black += max(0, end - start)
                } else {
                    openBlack = start
                }
            } else if line.contains("freezedetect.freeze_start:") {
                openFreeze = Self.number(after: "freeze_start:", in: line)
            } else if line.contains("freezedetect.freeze_duration:") {
                frozen += Self.number(after: "freeze_duration:", in: line) ?? 0
                openFreeze = nil
            }
        }
        // A stretch still open at the end of the sample lasts until its end.
        if let start = openBlack { black += max(0, sampledSeconds - start) }
        if let start = openFreeze { frozen += max(0, sampledSeconds - start) }
        self.blackSeconds = (black * 100).rounded() / 100
        self.frozenSeconds = (frozen * 100).rounded() / 100
        self.sampledSeconds = sampledSeconds
        let needed = Self.coverage * sampledSeconds
        if sampledSeconds > 0, black >= needed {
            status = .black; reason = "picture_black"
            detail = String(format: "black for %.1f of %.1f s decoded", black, sampledSeconds)
        } else if sampledSeconds > 0, frozen >= needed {
            status = .frozen; reason = "picture_frozen"
            detail = String(format: "unchanged for %.1f of %.1f s decoded", frozen, sampledSeconds)
        } else {
            status = .ok; reason = "ok"; detail = nil
        }
    }

    /// The number after `key` (e.g. `black_end:4.04`, `freeze_duration: 2.5`).
    static func number(after key: String, in line: Substring) -> Double? {
        guard let range = line.range(of: key) else { return nil }
        let rest = line[range.upperBound...].drop { $0 == " " }
        return Double(rest.prefix { $0.isNumber || $0 == "." || $0 == "-" })
    }
}
