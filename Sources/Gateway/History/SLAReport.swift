import CCTVContract
import FleetFile
import Foundation

/// The service-level report for a period: availability from exact state durations, and MTTA/MTTR
/// from incidents, per line team, vendor and site. A line team is measured by line failures on its
/// cameras, a vendor by camera failures on its cameras, a site by both. Pure over its inputs.
package struct SLAReport: Codable, Sendable {
    /// One line of the report.
    package struct Row: Codable, Sendable, Equatable {
        /// `lineTeam`, `vendor` or `site`.
        package var kind: String
        /// The team id or site; empty when the cameras name none.
        package var key: String
        package var cameras: Int
        package var monitoredHours: Double
        /// Hours down that count against this party.
        package var downHours: Double
        /// Percent of monitored time up (nil: never monitored).
        package var availability: Double?
        /// Incidents opened in the period that this party had to act on (site incidents count once).
        package var incidents: Int
        /// Mean minutes from opening to acknowledgement (of the acknowledged ones).
        package var mttaMinutes: Double?
        /// Mean minutes from opening to resolution (of the resolved ones).
        package var mttrMinutes: Double?
    }

    /// A camera as the report needs it.
    package struct CameraFacts: Sendable {
        package var id: String
        package var site: String?
        package var lineTeam: String?
        package var vendor: String?
        package init(id: String, site: String?, lineTeam: String?, vendor: String?) { self.id = id; self.site = site; self.lineTeam = lineTeam; self.vendor = vendor }
    }

    package var from: Date
    package var to: Date
    package var rows: [Row]

    /// Builds the report from per-camera durations, the cameras' teams and the period's incidents.
    package static func build(from: Date, to: Date, cameras: [CameraFacts], durations: [String: StateDurations], incidents: [IssueRecord]) -> SLAReport {
        struct Sums { var cameras = 0; var monitored = 0.0; var down = 0.0; var incidents = 0; var ackSum = 0.0; var acked = 0; var fixSum = 0.0; var fixed = 0 }
        var groups: [String: [String: Sums]] = ["lineTeam": [:], "vendor": [:], "site": [:]]
        for camera in cameras {
            guard let d = durations[camera.id], d.monitored > 0 else { continue }
            for (kind, key, down) in [("lineTeam", camera.lineTeam ?? "", d.lineDown), ("vendor", camera.vendor ?? "", d.cameraDown),
                                      ("site", camera.site ?? "", d.lineDown + d.cameraDown)] {
                groups[kind]![key, default: Sums()].cameras += 1
                groups[kind]![key]!.monitored += d.monitored
                groups[kind]![key]!.down += down
            }
        }
        for issue in incidents where issue.parentID == nil && issue.openedAt >= from && issue.openedAt < to {
            let kind = issue.responsible == .cameraVendor ? "vendor" : "lineTeam"
            var targets = [(kind, issue.responsibleTeam ?? "")]
            if let site = issue.site { targets.append(("site", site)) }
            let acknowledged = issue.history.first { $0.to == .acknowledged || $0.to == .dispatched }?.at
            for (kind, key) in targets {
                groups[kind]![key, default: Sums()].incidents += 1
                if let acknowledged { groups[kind]![key]!.ackSum += acknowledged.timeIntervalSince(issue.openedAt); groups[kind]![key]!.acked += 1 }
                if let resolved = issue.resolvedAt { groups[kind]![key]!.fixSum += resolved.timeIntervalSince(issue.openedAt); groups[kind]![key]!.fixed += 1 }
            }
        }
        var rows: [Row] = []
        for kind in ["lineTeam", "vendor", "site"] {
            for (key, s) in groups[kind]!.sorted(by: { $0.key < $1.key }) {
                rows.append(Row(kind: kind, key: key, cameras: s.cameras, monitoredHours: s.monitored / 3600, downHours: s.down / 3600,
                                availability: s.monitored > 0 ? (s.monitored - s.down) / s.monitored * 100 : nil, incidents: s.incidents,
                                mttaMinutes: s.acked > 0 ? s.ackSum / Double(s.acked) / 60 : nil, mttrMinutes: s.fixed > 0 ? s.fixSum / Double(s.fixed) / 60 : nil))
            }
        }
        return SLAReport(from: from, to: to, rows: rows)
    }

    /// Column headers in Korean or English.
    package static func header(_ language: HeaderLanguage) -> [String] {
        language == .korean
            ? ["구분", "대상", "카메라 수", "감시 시간(시간)", "장애 시간(시간)", "가용률(%)", "장애 건수", "평균 확인 시간(분)", "평균 복구 시간(분)", "기간 시작", "기간 끝"]
            : ["Kind", "Name", "Cameras", "Monitored (h)", "Down (h)", "Availability (%)", "Incidents", "MTTA (min)", "MTTR (min)", "From", "To"]
    }

    static func kindName(_ kind: String, _ language: HeaderLanguage) -> String {
        switch (kind, language) {
        case ("lineTeam", .korean): "회선 담당"
        case ("vendor", .korean): "카메라 업체"
        case ("site", .korean): "현장"
        case ("lineTeam", _): "Line team"
        case ("vendor", _): "Vendor"
        default: "Site"
        }
    }

    /// The rows as text cells (numbers with fixed decimals, times in UTC ISO 8601).
    package func cells(_ language: HeaderLanguage) -> [[String]] {
        let none = language == .korean ? "(미지정)" : "(none)"
        func number(_ value: Double?, _ digits: Int) -> String { value.map { String(format: "%.\(digits)f", $0) } ?? "" }
        let start = from.formatted(.iso8601), end = to.formatted(.iso8601)
        return rows.map { row in
            [Self.kindName(row.kind, language), row.key.isEmpty ? none : row.key, "\(row.cameras)", number(row.monitoredHours, 1), number(row.downHours, 2),
             number(row.availability, 3), "\(row.incidents)", number(row.mttaMinutes, 1), number(row.mttrMinutes, 1), start, end]
        }
    }

    /// The report as a file: `csv` (UTF-8 with BOM, as Korean Excel opens it) or `xlsx`.
    package func file(_ format: FleetFileFormat, language: HeaderLanguage) throws -> Data {
        switch format {
        case .csv: return CSVWriter.write(header: Self.header(language), rows: cells(language))
        case .xlsx: return try XLSXWriter.write(header: Self.header(language), rows: cells(language), sheetName: "SLA", numericColumns: [2, 3, 4, 5, 6, 7, 8])
        }
    }
}
