import ArgumentParser
import CCTVContract
import FleetFile
import Foundation
import Gateway

/// `cctv-out-bench history --cameras 100000 --days 30`: the gateway's history at fleet scale, in a
/// throw-away folder: the disk a fleet's charts and state changes take at steady state (each
/// resolution at its retention), the cost of one measurement flush, and the time to build the
/// monthly SLA report (availability from every state change, MTTA/MTTR, XLSX and CSV).
struct BenchHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "History storage per camera per day, flush cost and SLA report time for N cameras × D days.")

    @Option(help: "Cameras.") var cameras = 100_000
    @Option(help: "Days of state changes (the SLA report's period and the availability retention).") var days = 30
    @Option(help: "State changes per camera per day (on average; half of them down, half back up).") var changesPerDay = 2.0
    @Option(help: "Incidents per camera over the period (for MTTA/MTTR).") var incidentsPerCamera = 1.0
    @Option(help: "Folder for the database (removed afterwards); default: a new temporary folder.") var dir: String?

    func validate() throws {
        guard (1...2_000_000).contains(cameras), (1...366).contains(days) else { throw ValidationError("--cameras 1…2000000, --days 1…366") }
    }

    func run() async throws {
        let folder = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("bench-history-\(UUID().uuidString)").path
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: folder) } }
        let store = try HistoryStore(dataDir: folder)
        let retention = HistoryStore.Retention(detailDays: 2, hourlyDays: 8, days: days + 1)
        let now = Date()
        let today = Int(now.timeIntervalSince1970) / 86_400
        var rng = SystemRandomNumberGenerator()
        func bucket() -> MetricBucket {
            var b = MetricBucket()
            for _ in 0..<15 { b.addICMP(lossPercent: Double.random(in: 0...2, using: &rng) < 1.9 ? 0 : 33, rttAvgMs: Double.random(in: 0.3...30, using: &rng), rttMaxMs: 40) }
            for _ in 0..<15 { b.addHLS(ok: true, latencyMs: Double.random(in: 20...400, using: &rng), bitrateKbps: Double.random(in: 500...8000, using: &rng)) }
            return b
        }
        let ids = (0..<cameras).map { String(format: "CAM-%06d", $0) }

        // 1. Chart buckets at steady state: every resolution's rows for its retention, full days.
        let start = ContinuousClock.now
        let template = (0..<96).map { _ in bucket() }
        var rows: [(cameraID: String, resolution: HistoryResolution, day: Int, buckets: [MetricBucket])] = []
        rows.reserveCapacity(5000)
        for id in ids {
            for resolution in HistoryResolution.allCases {
                for back in 0..<retention.days(for: resolution) {
                    rows.append((id, resolution, today - back, Array(template.prefix(resolution.perDay))))
                }
            }
            if rows.count >= 5000 { try store.writeDays(rows); rows.removeAll(keepingCapacity: true) }
        }
        try store.writeDays(rows)
        let seriesSeconds = BenchMeasure.seconds(ContinuousClock.now - start)
        let afterSeries = try store.size()

        // 2. State changes: `changesPerDay` per camera per day over the period, alternating down/up.
        let changeStart = ContinuousClock.now
        let period = TimeInterval(days) * 86_400
        let from = now.addingTimeInterval(-period)
        var changes: [(cameraID: String, at: Date, state: String)] = []
        var total = 0
        for id in ids {
            changes.append((id, from.addingTimeInterval(-3600), "OK"))
            let count = Int((changesPerDay * Double(days)).rounded())
            let times = (0..<count).map { _ in from.addingTimeInterval(Double.random(in: 0..<period, using: &rng)) }.sorted()
            for (n, at) in times.enumerated() { changes.append((id, at, n % 2 == 0 ? (n % 4 == 0 ? "LINE_DOWN" : "CAMERA_DOWN") : "OK")) }
            if changes.count >= 20_000 { try store.record(changes); total += changes.count; changes.removeAll(keepingCapacity: true) }
        }
        try store.record(changes)
        total += changes.count
        let changeSeconds = BenchMeasure.seconds(ContinuousClock.now - changeStart)
        let afterChanges = try store.size()

        // 3. One measurement flush of the whole fleet (every camera's current bucket, read-merge-write at three resolutions).
        let flushStart = ContinuousClock.now
        try store.add(ids.map { (cameraID: $0, start: now, bucket: bucket()) })
        let flushSeconds = BenchMeasure.seconds(ContinuousClock.now - flushStart)

        // 4. The monthly SLA report over the period.
        let facts = ids.enumerated().map { SLAReport.CameraFacts(id: $1, site: "site-\($0 % 2000)", lineTeam: "line-\($0 % 50)", vendor: "vendor-\($0 % 20)") }
        let incidents = (0..<Int(Double(cameras) * incidentsPerCamera)).map { n -> IssueRecord in
            let opened = from.addingTimeInterval(Double.random(in: 0..<period, using: &rng))
            var issue = IssueRecord(id: "I\(n)", cameraID: ids[n % cameras], site: "site-\(n % 2000)", kind: n % 3 == 0 ? .camera : .line, state: .resolved,
                                    responsible: n % 3 == 0 ? .cameraVendor : .lineTeam, responsibleTeam: n % 3 == 0 ? "vendor-\(n % 20)" : "line-\(n % 50)",
                                    reason: "no_reply", openedAt: opened, updatedAt: opened, resolvedAt: opened.addingTimeInterval(Double.random(in: 300...14_400, using: &rng)), version: 3)
            issue.history = [IssueTransition(from: .open, to: .acknowledged, actor: "op", at: opened.addingTimeInterval(Double.random(in: 30...1800, using: &rng)))]
            return issue
        }
        let reportStart = ContinuousClock.now
        let durations = try store.durations(from: from, to: now)
        let durationsSeconds = BenchMeasure.seconds(ContinuousClock.now - reportStart)
        let report = SLAReport.build(from: from, to: now, cameras: facts, durations: durations, incidents: incidents)
        let xlsx = try report.file(.xlsx, language: .korean)
        let csv = try report.file(.csv, language: .korean)
        let reportSeconds = BenchMeasure.seconds(ContinuousClock.now - reportStart)

        let perCamera = Double(afterSeries.bytes) / Double(cameras)
        let writtenPerDay = Double(HistoryResolution.allCases.map(\.rowBytes).reduce(0, +))
        print("history for \(cameras) cameras (folder \(folder)):")
        print("  chart buckets at steady state: \(afterSeries.seriesRows) rows, \(BenchMeasure.format(Double(afterSeries.bytes) / 1_048_576)) MiB "
              + "= \(BenchMeasure.format(perCamera / 1024, 1)) KiB per camera (15 min × 2 d, 1 h × 8 d, 4 h × \(days + 1) d), written in \(BenchMeasure.format(seriesSeconds)) s")
        print("  bucket bytes written per camera per day: \(Int(writtenPerDay)) (packed), kept on disk per camera per day of retention: "
              + "\(BenchMeasure.format(perCamera / Double(days + 1), 0)) B")
        print("  state changes: \(total) (\(changesPerDay)/camera/day × \(days) d) = +\(BenchMeasure.format(Double(afterChanges.bytes - afterSeries.bytes) / 1_048_576)) MiB "
              + "(\(BenchMeasure.format(Double(afterChanges.bytes - afterSeries.bytes) / Double(max(total, 1)), 0)) B per change), written in \(BenchMeasure.format(changeSeconds)) s")
        print("  total on disk: \(BenchMeasure.format(Double(afterChanges.bytes) / 1_048_576)) MiB")
        print("  one measurement flush of all \(cameras) cameras: \(BenchMeasure.format(flushSeconds, 2)) s")
        print("  SLA report over \(days) d: availability of every camera from its changes \(BenchMeasure.format(durationsSeconds, 2)) s, "
              + "report + XLSX (\(xlsx.count / 1024) KiB) + CSV (\(csv.count / 1024) KiB) \(BenchMeasure.format(reportSeconds, 2)) s in all, \(report.rows.count) rows")
    }
}
