import CCTVContract
import FleetFile
import Foundation
import GRDB
@testable import Gateway
import Logging
import MQTTBus
import Testing
import TestSupport

/// History: exact availability from state changes, measurements rolled up into buckets that pack
/// and merge without losing their averages, retention that keeps what availability needs, the
/// recorder writing each change once, and the monthly SLA report in CSV and XLSX.
@Suite("history, availability and the SLA report", .runsAlone)
struct HistoryTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hist-\(UUID().uuidString)").path
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000) // 2027-01-15T08:00:00Z

    @Test("availability is computed from the state intervals exactly; unknown and removed time is not monitored")
    func exactAvailability() {
        let changes: [(at: Date, state: String)] = [
            (Self.t0.addingTimeInterval(-600), "OK"), (Self.t0.addingTimeInterval(3600), "LINE_DOWN"), (Self.t0.addingTimeInterval(3600 + 900), "OK"),
            (Self.t0.addingTimeInterval(7200), "CAMERA_DOWN"), (Self.t0.addingTimeInterval(7200 + 300), "DEGRADED"), (Self.t0.addingTimeInterval(9000), "GONE"),
        ]
        let d = StateDurations.over(changes, from: Self.t0, to: Self.t0.addingTimeInterval(10_800))
        #expect(d.lineDown == 900 && d.cameraDown == 300 && d.degraded == 9000 - 7500 && d.unknown == 1800)
        #expect(d.ok == 3600 + 2700)
        #expect(d.monitored == 9000)
        #expect(d.availability == (9000.0 - 1200) / 9000)
        #expect(d.lineAvailability == (9000.0 - 900) / 9000 && d.cameraAvailability == (9000.0 - 300) / 9000)
        #expect(StateDurations.over([], from: Self.t0, to: Self.t0.addingTimeInterval(60)).availability == nil, "never monitored: no figure, not 100 %")
    }

    @Test("a bucket packs into 20 bytes and merges back with its averages")
    func bucketPacking() {
        var a = MetricBucket()
        a.addICMP(lossPercent: 0, rttAvgMs: 1.5, rttMaxMs: 3.2)
        a.addICMP(lossPercent: 100, rttAvgMs: nil, rttMaxMs: nil)
        a.addHLS(ok: true, latencyMs: 40, bitrateKbps: 2000)
        a.addHLS(ok: false, latencyMs: nil, bitrateKbps: nil)
        let packed = a.packed()
        #expect(packed.count == MetricBucket.packedSize)
        var back = MetricBucket(packed: packed)
        #expect(back.icmpChecks == 2 && back.lossPercent == 50 && back.rttAvgMs == 1.5 && back.rttMax == 3.2)
        #expect(back.hlsChecks == 2 && back.hlsFailures == 1 && back.latencyMs == 40 && back.bitrateKbps == 2000)
        var b = MetricBucket()
        b.addICMP(lossPercent: 0, rttAvgMs: 4.5, rttMaxMs: 5)
        back.merge(b)
        #expect(back.icmpChecks == 3 && back.rttAvgMs == 3.0 && back.rttMax == 5 && abs((back.lossPercent ?? 0) - 100.0 / 3) < 0.01)
    }

    @Test("measurements land in 15-minute, hourly and 4-hour buckets, written or still pending")
    func rollups() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try HistoryStore(dataDir: dir)
        func bucket(_ rtt: Double) -> MetricBucket { var b = MetricBucket(); b.addICMP(lossPercent: 0, rttAvgMs: rtt, rttMaxMs: rtt); return b }
        try store.add([("CAM-1", Self.t0, bucket(2)), ("CAM-1", Self.t0.addingTimeInterval(900), bucket(4)), ("CAM-1", Self.t0.addingTimeInterval(1800), bucket(6))])
        try store.add([("CAM-1", Self.t0, bucket(4))]) // a second flush into the same bucket merges
        let quarter = try store.points(cameraID: "CAM-1", resolution: .quarterHour, from: Self.t0, to: Self.t0.addingTimeInterval(3600))
        #expect(quarter.map(\.rttAvgMs) == [3, 4, 6] && quarter.map(\.icmpChecks) == [2, 1, 1])
        let hourly = try store.points(cameraID: "CAM-1", resolution: .hour, from: Self.t0, to: Self.t0.addingTimeInterval(3600),
                                      pending: [(Self.t0.addingTimeInterval(2700), bucket(9))])
        #expect(hourly.count == 1 && hourly[0].icmpChecks == 5 && hourly[0].rttAvgMs == (2 + 4 + 4 + 6 + 9) / 5.0)
        #expect(try store.points(cameraID: "CAM-1", resolution: .fourHours, from: Self.t0, to: Self.t0.addingTimeInterval(3600)).first?.icmpChecks == 4)
        #expect(try store.points(cameraID: "CAM-2", resolution: .hour, from: Self.t0, to: Self.t0.addingTimeInterval(3600)).isEmpty)
    }

    @Test("a flush of many cameras in any order writes the rows merging each item in turn writes, one camera's items in their order, a damaged row replaced")
    func flushOrder() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let flushed = try HistoryStore(dataDir: dir + "/flushed"), oneByOne = try HistoryStore(dataDir: dir + "/one-by-one")
        func bucket(_ rtt: Double) -> MetricBucket { var b = MetricBucket(); b.addICMP(lossPercent: rtt > 3 ? 20 : 0, rttAvgMs: rtt, rttMaxMs: rtt * 2); return b }
        // Packing rounds RTT to 0.1 ms, so merge order shows: 1.26 then 1.04 makes the hour's RTT
        // 1.2 ms (1.3 + 1.04 over two), 1.04 then 1.26 makes it 1.1 ms (1.0 + 1.26 over two).
        var items: [(cameraID: String, start: Date, bucket: MetricBucket)] = []
        for n in 0..<4500 { // more than two transactions of 2,000 cameras
            let id = "CAM-\((n * 7919) % 4500)" // not in the cameras' order
            items.append((id, Self.t0.addingTimeInterval(900), bucket(n % 2 == 0 ? 1.26 : 1.04)))
            items.append((id, Self.t0, bucket(n % 2 == 0 ? 1.04 : 1.26))) // an earlier quarter after a later one (the clock stepped back)
        }
        for store in [flushed, oneByOne] { // a day of the hourly resolution left damaged (short): it is replaced, not merged into
            try store.database.write { try $0.execute(sql: "INSERT INTO series VALUES ('CAM-7', ?, ?, x'0102')", arguments: [HistoryResolution.hour.rawValue, 1_800_000_000 / 86_400]) }
        }
        try flushed.add(items)
        for item in items { try oneByOne.add([item]) }
        func rows(_ store: HistoryStore) throws -> [[DatabaseValue]] {
            try store.database.read { try Row.fetchAll($0, sql: "SELECT cameraID, resolution, day, data FROM series ORDER BY 1, 2, 3").map { Array($0.databaseValues) } }
        }
        let written = try rows(flushed)
        #expect(written.count == 4500 * 3)
        #expect(written == (try rows(oneByOne)))
        let hourly = { (id: String) in try flushed.points(cameraID: id, resolution: .hour, from: Self.t0, to: Self.t0.addingTimeInterval(1800)) }
        #expect(try hourly("CAM-0").map(\.rttAvgMs) == [1.2] && hourly("CAM-0").map(\.icmpChecks) == [2], "CAM-0: 1.26 first, then 1.04")
        #expect(try hourly("CAM-3419").map(\.rttAvgMs) == [1.1], "CAM-3419 (n = 1): 1.04 first, then 1.26")
        #expect(try hourly("CAM-7").map(\.icmpChecks) == [2], "the damaged row was replaced by the flush's buckets")
    }

    @Test("retention drops old rows but keeps each camera's last state before the cut")
    func retention() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try HistoryStore(dataDir: dir)
        let day: TimeInterval = 86_400
        try store.record([("CAM-1", Self.t0.addingTimeInterval(-40 * day), "OK"), ("CAM-1", Self.t0.addingTimeInterval(-35 * day), "LINE_DOWN"),
                          ("CAM-1", Self.t0.addingTimeInterval(-1 * day), "OK")])
        var old = MetricBucket(); old.addICMP(lossPercent: 0, rttAvgMs: 1, rttMaxMs: 1)
        try store.add([("CAM-1", Self.t0.addingTimeInterval(-10 * day), old)])
        try store.prune(retention: .init(detailDays: 2, hourlyDays: 8, days: 31), now: Self.t0)
        let changes = try store.transitions(cameraID: "CAM-1", from: Self.t0.addingTimeInterval(-31 * day), to: Self.t0)
        #expect(changes.map(\.state) == ["LINE_DOWN", "OK"], "the state at the start of the kept period is still known")
        #expect(try store.points(cameraID: "CAM-1", resolution: .quarterHour, from: Self.t0.addingTimeInterval(-11 * day), to: Self.t0).isEmpty)
        #expect(try store.points(cameraID: "CAM-1", resolution: .fourHours, from: Self.t0.addingTimeInterval(-11 * day), to: Self.t0).count == 1)
        let durations = try store.durations(from: Self.t0.addingTimeInterval(-2 * day), to: Self.t0)
        #expect(durations["CAM-1"]?.lineDown == day && durations["CAM-1"]?.ok == day)
    }

    @Test("the recorder writes each state change once, from the status's own time, and again-seen states after a restart are not new")
    func recorder() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try HistoryStore(dataDir: dir)
        var logger = Logger(label: "history")
        logger.logLevel = .critical
        func status(_ state: CameraState, since: Date) -> MQTTMessage {
            let health = CameraHealth(cameraID: "CAM-1", state: state, since: since, updatedAt: since)
            return MQTTMessage(topic: "cctv/CAM-1/status", payload: ContractCodec.encode(Envelope(type: .cameraStatus, source: "t", data: health)))
        }
        for _ in 0..<2 {
            let recorder = HistoryRecorder(store: store, topics: Topics(), retention: .init(), flushInterval: 3600, logger: logger)
            let running = Task { await recorder.run() }
            recorder.observe(status(.ok, since: Self.t0))
            recorder.observe(status(.ok, since: Self.t0)) // retained again, or a duplicate
            recorder.observe(status(.lineDown, since: Self.t0.addingTimeInterval(60)))
            let result = ICMPResult(cameraID: "CAM-1", address: "a", status: .timeout, reason: "no_reply", sent: 1, received: 0, lossPercent: 100,
                                    startedAt: Self.t0, durationMs: 1, prober: "p")
            recorder.observe(MQTTMessage(topic: "cctv/CAM-1/icmp", payload: ContractCodec.encode(Envelope(type: .probeICMP, source: "p", data: result))))
            #expect(await eventually(timeout: .seconds(10)) { (try? store.transitions(cameraID: "CAM-1", from: Self.t0, to: Self.t0.addingTimeInterval(120)).count) == 2 })
            #expect(recorder.pending("CAM-1").first?.bucket.lossPercent == 100)
            running.cancel()
            await running.value
        }
        #expect(try store.transitions(cameraID: "CAM-1", from: Self.t0.addingTimeInterval(-1), to: Self.t0.addingTimeInterval(120)).map(\.state) == ["OK", "LINE_DOWN"])
        #expect(try store.points(cameraID: "CAM-1", resolution: .hour, from: Date().addingTimeInterval(-3600), to: Date().addingTimeInterval(3600)).first?.icmpChecks == 2,
                "what was pending is written when the recorder stops")
    }

    @Test("results in two quarter hours before one flush are written to both, a result after the clock stepped back joins its quarter, and a removed camera leaves /metrics")
    func bucketsAcrossAFlush() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try HistoryStore(dataDir: dir)
        var logger = Logger(label: "history")
        logger.logLevel = .critical
        let recorder = HistoryRecorder(store: store, topics: Topics(), retention: .init(), flushInterval: 3600, logger: logger)
        func icmp(loss: Double, rtt: Double?) -> MQTTMessage {
            let result = ICMPResult(cameraID: "CAM-1", address: "a", status: loss < 100 ? .success : .timeout, reason: "r", sent: 2,
                                    received: loss < 100 ? 1 : 0, lossPercent: loss, rttAvgMs: rtt, startedAt: Self.t0, durationMs: 1, prober: "p")
            return MQTTMessage(topic: "cctv/CAM-1/icmp", payload: ContractCodec.encode(Envelope(type: .probeICMP, source: "p", data: result)))
        }
        let quarter: TimeInterval = 900
        let first = Self.t0, second = Self.t0.addingTimeInterval(quarter) // t0 starts a quarter hour
        recorder.observe(icmp(loss: 0, rtt: 2), now: first.addingTimeInterval(10))
        recorder.observe(icmp(loss: 100, rtt: nil), now: second.addingTimeInterval(10))
        recorder.observe(icmp(loss: 50, rtt: 4), now: first.addingTimeInterval(20)) // the clock stepped back
        #expect(Set(recorder.pending("CAM-1").map(\.start)) == [first, second])
        #expect(recorder.pending("CAM-1").count == 2)
        #expect(recorder.latestMeasurements()["CAM-1"] == HistoryRecorder.Latest(rttMs: 4, lossPercent: 50, hlsLatencyMs: nil))
        recorder.flush()
        #expect(recorder.pending("CAM-1").isEmpty)
        let points = try store.points(cameraID: "CAM-1", resolution: .quarterHour, from: first, to: second.addingTimeInterval(quarter - 1))
        #expect(points.map(\.t) == [first, second])
        #expect(points.map(\.icmpChecks) == [2, 1])
        #expect(points.map(\.lossPercent) == [25, 100])
        #expect(recorder.latestMeasurements()["CAM-1"] != nil, "the last values outlive a flush")
        recorder.observe(MQTTMessage(topic: "cctv/CAM-1/status", payload: []))
        #expect(recorder.latestMeasurements()["CAM-1"] == nil)
    }

    @Test("the monthly SLA report: each line team by line failures, each vendor by camera failures, with MTTA and MTTR, in CSV and XLSX")
    func slaReport() throws {
        let from = Self.t0, to = Self.t0.addingTimeInterval(10 * 3600)
        var down = StateDurations(); down.ok = 9 * 3600; down.lineDown = 3600
        var broken = StateDurations(); broken.ok = 9.5 * 3600; broken.cameraDown = 1800
        var fine = StateDurations(); fine.ok = 10 * 3600
        let cameras = [SLAReport.CameraFacts(id: "A", site: "본관", lineTeam: "KT-1", vendor: "HANWHA"), .init(id: "B", site: "본관", lineTeam: "KT-1", vendor: "HANWHA"),
                       .init(id: "C", site: "별관", lineTeam: nil, vendor: "AXIS")]
        var incident = IssueRecord(id: "I1", cameraID: "A", site: "본관", kind: .line, state: .resolved, responsible: .lineTeam, responsibleTeam: "KT-1",
                                   reason: "no_reply", openedAt: from.addingTimeInterval(600), updatedAt: from, resolvedAt: from.addingTimeInterval(600 + 3600), version: 3)
        incident.history = [IssueTransition(from: nil, to: .open, actor: "system", at: from.addingTimeInterval(600)),
                            IssueTransition(from: .open, to: .acknowledged, actor: "kim", at: from.addingTimeInterval(600 + 300))]
        var child = incident; child.id = "I2"; child.parentID = "SITE-1"
        let report = SLAReport.build(from: from, to: to, cameras: cameras, durations: ["A": down, "B": broken, "C": fine], incidents: [incident, child])
        let kt = try #require(report.rows.first { $0.kind == "lineTeam" && $0.key == "KT-1" })
        #expect(kt.cameras == 2 && kt.downHours == 1 && abs((kt.availability ?? 0) - 95) < 1e-9, "\(kt)")
        #expect(kt.incidents == 1 && kt.mttaMinutes == 5 && kt.mttrMinutes == 60, "a grouped incident is not counted twice")
        let hanwha = try #require(report.rows.first { $0.kind == "vendor" && $0.key == "HANWHA" })
        #expect(hanwha.downHours == 0.5 && abs((hanwha.availability ?? 0) - 97.5) < 1e-9)
        #expect(report.rows.contains { $0.kind == "lineTeam" && $0.key == "" && $0.availability == 100 }, "cameras naming no line team are reported too")

        let csv = String(decoding: try report.file(.csv, language: .korean), as: UTF8.self)
        #expect(csv.hasPrefix("\u{FEFF}구분,대상,카메라 수") && csv.contains("회선 담당,KT-1,2,20.0,1.00,95.000,1,5.0,60.0"))
        #expect(String(decoding: try report.file(.csv, language: .english), as: UTF8.self).contains("Line team,KT-1"))
        let xlsx = try report.file(.xlsx, language: .english)
        try RequiredTool.requirePythonModule("openpyxl")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sla-\(UUID().uuidString).xlsx").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try xlsx.write(to: URL(fileURLWithPath: path))
        let python = try RequiredTool.path("python3", package: "python3")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import openpyxl,sys; ws=openpyxl.load_workbook(sys.argv[1]).active; print([[c.value for c in r] for r in ws.iter_rows(min_row=2)])", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let row = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(row.contains("['Line team', 'KT-1', 2, 20.0, 1.0, 95.0, 1, 5.0, 60.0"), "openpyxl reads numbers: \(row)")
    }
}
