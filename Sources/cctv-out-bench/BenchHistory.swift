import ArgumentParser
import CCTVContract
import FleetFile
import Foundation
import Gateway
import Logging
import MQTTBus

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
    @Option(help: "Cameras whose days go through the gateway's real write path (check results into the recorder, its flushes, its pruning); 0 = skip.") var sampleCameras = 1000
    @Option(help: "Days simulated through the real write path.") var sampleDays = 3
    @Option(help: "Seconds between one camera's checks (one ICMP and one HLS result each) in the simulated days.") var checkInterval = 300
    @Option(help: "Seconds between the recorder's flushes in the simulated days (the gateway's history.flush-interval).") var flushInterval = Int(GatewayConfiguration().historyFlushInterval)
    @Flag(help: "Only the real write path (skip the fleet-scale fill and the SLA report).") var sampleOnly = false
    @Option(help: "Only measure this many measurement flushes of the whole fleet (after filling --days of chart rows), CPU and wall time each; 0 = the full benchmark.")
    var flushesOnly = 0

    func validate() throws {
        guard (1...2_000_000).contains(cameras), (1...366).contains(days) else { throw ValidationError("--cameras 1…2000000, --days 1…366") }
        guard (0...1_000_000).contains(sampleCameras), (1...60).contains(sampleDays), (1...86_400).contains(checkInterval), (5...3600).contains(flushInterval) else {
            throw ValidationError("--sample-cameras 0…1000000, --sample-days 1…60, --check-interval 1…86400, --flush-interval 5…3600")
        }
    }

    func run() async throws {
        let folder = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("bench-history-\(UUID().uuidString)").path
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: folder) } }
        if sampleCameras > 0 {
            // The SQLite default page first (what the history used before), then the history's own.
            for pageSize in [4096, HistoryStore.pageSize] { try realDays(folder: folder + "/sample-\(pageSize)", pageSize: pageSize) }
        }
        if sampleOnly { return }
        if flushesOnly > 0 { return try flushes(folder: folder) }
        let store = try HistoryStore(dataDir: folder)
        let now = Date()
        var rng = SystemRandomNumberGenerator()
        let ids = (0..<cameras).map { String(format: "CAM-%06d", $0) }
        var figures = Figures()

        // 1. Chart buckets at steady state: every resolution's rows for its retention, full days.
        var start = ContinuousClock.now
        try fillSeries(store, ids: ids, today: Int(now.timeIntervalSince1970) / 86_400, rng: &rng)
        figures.seriesSeconds = BenchMeasure.seconds(ContinuousClock.now - start)
        figures.afterSeries = try store.size()

        // 2. State changes: `changesPerDay` per camera per day over the period, alternating down/up.
        start = ContinuousClock.now
        let period = TimeInterval(days) * 86_400
        let from = now.addingTimeInterval(-period)
        figures.changes = try recordChanges(store, ids: ids, from: from, period: period, rng: &rng)
        figures.changeSeconds = BenchMeasure.seconds(ContinuousClock.now - start)
        figures.afterChanges = try store.size()

        // 3. One measurement flush of the whole fleet (every camera's current bucket, read-merge-write at three resolutions).
        start = ContinuousClock.now
        try store.add(ids.map { (cameraID: $0, start: now, bucket: Self.bucket(&rng)) })
        figures.flushSeconds = BenchMeasure.seconds(ContinuousClock.now - start)

        // 4. The monthly SLA report over the period.
        let facts = ids.enumerated().map { SLAReport.CameraFacts(id: $1, site: "site-\($0 % 2000)", lineTeam: "line-\($0 % 50)", vendor: "vendor-\($0 % 20)") }
        let incidents = incidents(ids: ids, from: from, period: period, rng: &rng)
        start = ContinuousClock.now
        let durations = try store.durations(from: from, to: now)
        figures.durationsSeconds = BenchMeasure.seconds(ContinuousClock.now - start)
        let report = SLAReport.build(from: from, to: now, cameras: facts, durations: durations, incidents: incidents)
        figures.xlsxBytes = try report.file(.xlsx, language: .korean).count
        figures.csvBytes = try report.file(.csv, language: .korean).count
        figures.reportSeconds = BenchMeasure.seconds(ContinuousClock.now - start)
        figures.reportRows = report.rows.count
        printSummary(figures, folder: folder)
    }

    /// `--flushes-only N`: N flushes of every camera's current bucket into a history holding
    /// `--days` of chart rows, one every 60 simulated seconds (the same 15-minute bucket, so every
    /// flush reads, merges and rewrites three rows per camera, as `serve`'s 5-minute flush does).
    func flushes(folder: String) throws {
        let store = try HistoryStore(dataDir: folder)
        var rng = SystemRandomNumberGenerator()
        let ids = (0..<cameras).map { String(format: "CAM-%06d", $0) }
        let now = Date(timeIntervalSince1970: Double(Int(Date().timeIntervalSince1970) / 900 * 900))
        let fillStarted = ContinuousClock.now
        try fillSeries(store, ids: ids, today: Int(now.timeIntervalSince1970) / 86_400, rng: &rng)
        print("history flushes of \(cameras) cameras over \(try store.size().seriesRows) chart rows (filled in \(BenchMeasure.format(BenchMeasure.seconds(ContinuousClock.now - fillStarted))) s):")
        // The recorder hands its buckets over in the order of its dictionary, not the cameras' order.
        let shuffled = ids.shuffled(using: &rng)
        for n in 0..<flushesOnly {
            let items = shuffled.map { (cameraID: $0, start: now.addingTimeInterval(Double(n * 60 % 900)), bucket: Self.bucket(&rng)) }
            let cpu0 = BenchMeasure.cpuSeconds(), started = ContinuousClock.now
            try store.add(items)
            let cpu = BenchMeasure.cpuSeconds() - cpu0, wall = BenchMeasure.seconds(ContinuousClock.now - started)
            print("  flush \(n + 1): \(BenchMeasure.format(cpu, 2)) CPU-s, \(BenchMeasure.format(wall, 2)) s wall, \(BenchMeasure.format(cpu * 1e6 / Double(cameras), 1)) µs CPU per camera")
        }
    }

    /// What ``run()`` measured.
    struct Figures {
        typealias Size = (seriesRows: Int, transitions: Int, bytes: Int, freeBytes: Int)
        var afterSeries: Size = (0, 0, 0, 0), afterChanges: Size = (0, 0, 0, 0)
        var changes = 0
        var seriesSeconds = 0.0, changeSeconds = 0.0, flushSeconds = 0.0, durationsSeconds = 0.0, reportSeconds = 0.0
        var xlsxBytes = 0, csvBytes = 0, reportRows = 0
    }

    /// One camera's 15-minute bucket: 15 ICMP and 15 HLS results, mostly good.
    static func bucket(_ rng: inout SystemRandomNumberGenerator) -> MetricBucket {
        var b = MetricBucket()
        for _ in 0..<15 { b.addICMP(lossPercent: Double.random(in: 0...2, using: &rng) < 1.9 ? 0 : 33, rttAvgMs: Double.random(in: 0.3...30, using: &rng), rttMaxMs: 40) }
        for _ in 0..<15 { b.addHLS(ok: true, latencyMs: Double.random(in: 20...400, using: &rng), bitrateKbps: Double.random(in: 500...8000, using: &rng)) }
        return b
    }

    /// Writes every camera's chart rows at each resolution for its retention, full days, in batches.
    func fillSeries(_ store: HistoryStore, ids: [String], today: Int, rng: inout SystemRandomNumberGenerator) throws {
        let retention = HistoryStore.Retention(detailDays: 2, hourlyDays: 8, days: days + 1)
        let template = (0..<96).map { _ in Self.bucket(&rng) }
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
    }

    /// Records each camera's state changes over the period (OK first, then alternating down/up); returns how many.
    func recordChanges(_ store: HistoryStore, ids: [String], from: Date, period: TimeInterval, rng: inout SystemRandomNumberGenerator) throws -> Int {
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
        return total + changes.count
    }

    /// `incidentsPerCamera` resolved incidents per camera over the period, each acknowledged once (for MTTA/MTTR).
    func incidents(ids: [String], from: Date, period: TimeInterval, rng: inout SystemRandomNumberGenerator) -> [IssueRecord] {
        (0..<Int(Double(cameras) * incidentsPerCamera)).map { n -> IssueRecord in
            let opened = from.addingTimeInterval(Double.random(in: 0..<period, using: &rng))
            var issue = IssueRecord(id: "I\(n)", cameraID: ids[n % cameras], site: "site-\(n % 2000)", kind: n % 3 == 0 ? .camera : .line, state: .resolved,
                                    responsible: n % 3 == 0 ? .cameraVendor : .lineTeam, responsibleTeam: n % 3 == 0 ? "vendor-\(n % 20)" : "line-\(n % 50)",
                                    reason: "no_reply", openedAt: opened, updatedAt: opened, resolvedAt: opened.addingTimeInterval(Double.random(in: 300...14_400, using: &rng)), version: 3)
            issue.history = [IssueTransition(from: .open, to: .acknowledged, actor: "op", at: opened.addingTimeInterval(Double.random(in: 30...1800, using: &rng)))]
            return issue
        }
    }

    func printSummary(_ f: Figures, folder: String) {
        let perCamera = Double(f.afterSeries.bytes) / Double(cameras)
        let writtenPerDay = Double(HistoryResolution.allCases.map(\.rowBytes).reduce(0, +))
        let changeBytes = Double(f.afterChanges.bytes - f.afterSeries.bytes)
        print("history for \(cameras) cameras (folder \(folder)):")
        print("  chart buckets at steady state: \(f.afterSeries.seriesRows) rows, \(BenchMeasure.format(Double(f.afterSeries.bytes) / 1_048_576)) MiB "
              + "= \(BenchMeasure.format(perCamera / 1024, 1)) KiB per camera (15 min × 2 d, 1 h × 8 d, 4 h × \(days + 1) d), written in \(BenchMeasure.format(f.seriesSeconds)) s")
        print("  bucket bytes written per camera per day: \(Int(writtenPerDay)) (packed), kept on disk per camera per day of retention: "
              + "\(BenchMeasure.format(perCamera / Double(days + 1), 0)) B")
        print("  state changes: \(f.changes) (\(changesPerDay)/camera/day × \(days) d) = +\(BenchMeasure.format(changeBytes / 1_048_576)) MiB "
              + "(\(BenchMeasure.format(changeBytes / Double(max(f.changes, 1)), 0)) B per change), written in \(BenchMeasure.format(f.changeSeconds)) s")
        print("  total on disk: \(BenchMeasure.format(Double(f.afterChanges.bytes) / 1_048_576)) MiB")
        print("  one measurement flush of all \(cameras) cameras: \(BenchMeasure.format(f.flushSeconds, 2)) s")
        print("  SLA report over \(days) d: availability of every camera from its changes \(BenchMeasure.format(f.durationsSeconds, 2)) s, "
              + "report + XLSX (\(f.xlsxBytes / 1024) KiB) + CSV (\(f.csvBytes / 1024) KiB) \(BenchMeasure.format(f.reportSeconds, 2)) s in all, \(f.reportRows) rows")
    }

    /// Days of a sample fleet through the gateway's own write path: every camera's ICMP and HLS
    /// results and state changes go into a ``HistoryRecorder`` as broker messages (the clock
    /// injected, so a day takes seconds), which flushes every `flushInterval` (read, merge, write
    /// of each camera's bucket at three resolutions) and prunes with the gateway's default
    /// retention at the end of each day; the file's pages are counted after each day.
    func realDays(folder: String, pageSize: Int) throws {
        let configuration = GatewayConfiguration()
        let store = try HistoryStore(dataDir: folder, pageSize: pageSize)
        let recorder = HistoryRecorder(store: store, topics: Topics(), retention: configuration.retention, flushInterval: TimeInterval(flushInterval), logger: Logger(label: "bench"))
        let ids = (0..<sampleCameras).map { String(format: "CAM-%06d", $0) }
        let today = Int(Date().timeIntervalSince1970) / 86_400
        let firstDay = today - sampleDays
        var rng = SystemRandomNumberGenerator()
        func message<T: Codable & Sendable>(_ id: String, _ kind: String, _ data: T, _ type: EventType) throws -> MQTTMessage {
            MQTTMessage(topic: "cctv/\(id)/\(kind)", payload: try ContractCodec.encode(Envelope(type: type, source: "bench", data: data)))
        }
        print("history through the real write path, \(pageSize)-byte pages: \(sampleCameras) cameras × \(sampleDays) d, a check every \(checkInterval) s, "
              + "a flush every \(flushInterval) s, retention \(configuration.retention.detailDays) d / \(configuration.retention.hourlyDays) d / \(configuration.retention.days) d:")
        var before = try store.size().bytes
        var growth: [Double] = []
        let started = ContinuousClock.now
        for day in firstDay..<today {
            let dayStart = Double(day * 86_400)
            var nextFlush = dayStart + Double(flushInterval)
            for tick in stride(from: 0, to: 86_400, by: checkInterval) {
                let now = Date(timeIntervalSince1970: dayStart + Double(tick))
                while now.timeIntervalSince1970 >= nextFlush { recorder.writeChanges(); recorder.flush(); nextFlush += Double(flushInterval) }
                for (n, id) in ids.enumerated() {
                    let lost = Double.random(in: 0..<1, using: &rng) < 0.01
                    let rtt = Double.random(in: 0.3...30, using: &rng)
                    recorder.observe(try message(id, "icmp", ICMPResult(cameraID: id, address: "10.0.0.1", status: lost ? .loss : .success, reason: lost ? "loss" : "ok", sent: 3,
                                                                        received: lost ? 2 : 3, lossPercent: lost ? 33.3 : 0, rttMinMs: rtt * 0.8, rttAvgMs: rtt, rttMaxMs: rtt * 1.3,
                                                                        startedAt: now, durationMs: 2000, prober: "bench"), .probeICMP), now: now)
                    recorder.observe(try message(id, "hls", HLSResult(cameraID: id, url: "http://10.0.0.1/live.m3u8", status: .success, reason: "ok", playlistLatencyMs: Double.random(in: 20...400, using: &rng),
                                                                      bitrateKbps: Double.random(in: 500...8000, using: &rng), startedAt: now, durationMs: 300, prober: "bench"), .probeHLS), now: now)
                    // About two state changes per camera per day (down, then back up), as in the fleet-scale fill.
                    if (tick / checkInterval + n * 7) % max(1, 86_400 / checkInterval / 2) == 0 {
                        let state: CameraState = (tick / checkInterval) % 2 == 0 ? (n % 2 == 0 ? .lineDown : .cameraDown) : .ok
                        let health = CameraHealth(cameraID: id, state: state, icmp: state == .lineDown ? .timeout : .success, hls: state == .cameraDown ? .fail : .success,
                                                  reason: state == .ok ? "ok" : "no_reply", since: now, updatedAt: now)
                        recorder.observe(try message(id, "status", health, .cameraStatus), now: now)
                    }
                }
            }
            recorder.writeChanges()
            recorder.flush()
            try store.prune(retention: configuration.retention, now: Date(timeIntervalSince1970: dayStart + 86_399))
            let size = try store.size()
            growth.append(Double(size.bytes - before) / Double(sampleCameras))
            print("  day \(day - firstDay + 1): file \(BenchMeasure.format(Double(size.bytes) / 1_048_576)) MiB (\(size.seriesRows) chart rows, \(size.transitions) state changes), "
                  + "+\(BenchMeasure.format(growth.last!, 0)) B per camera, \(BenchMeasure.format(Double(size.freeBytes) / 1_048_576)) MiB of it free pages")
            before = size.bytes
        }
        let seconds = BenchMeasure.seconds(ContinuousClock.now - started)
        let tables = try store.tableBytes()
        print("  per camera per day: \(BenchMeasure.format(growth.reduce(0, +) / Double(growth.count), 0)) B on average over \(growth.count) d "
              + "(tables: \(tables.map { "\($0.name) \(BenchMeasure.format(Double($0.bytes) / Double(sampleCameras) / Double(sampleDays), 0)) B" }.joined(separator: ", ")) per camera-day); simulated in \(BenchMeasure.format(seconds)) s")
    }
}
