import CCTVContract
import Foundation
import GRDB
import ServiceRuntime

/// The gateway's history: per-camera check measurements rolled up into 15-minute, hourly and
/// 4-hour buckets (one row per camera, resolution and UTC day, buckets packed), and every state
/// change (for exact availability). Its own SQLite file (`gateway-history.sqlite`) and writer,
/// so history never slows the read store. Old rows go by retention (``Retention``).
package final class HistoryStore: Sendable {
    let database: DatabasePool

    /// How long each kind of row is kept, in days.
    package struct Retention: Sendable, Equatable {
        /// 15-minute buckets (24-hour charts).
        package var detailDays: Int
        /// Hourly buckets (7-day charts).
        package var hourlyDays: Int
        /// 4-hour buckets (30-day charts) and state changes (availability, SLA).
        package var days: Int

        package init(detailDays: Int = 2, hourlyDays: Int = 8, days: Int = 31) {
            self.detailDays = detailDays; self.hourlyDays = hourlyDays; self.days = days
        }

        /// Days kept at `resolution`.
        package func days(for resolution: HistoryResolution) -> Int {
            switch resolution { case .quarterHour: detailDays; case .hour: hourlyDays; case .fourHours: days }
        }
    }

    /// Page size of a new history file.
    package static let pageSize = 8192

    /// Opens (creating if needed) the history in `dataDir`; `pageSize` for a new file (the benchmark compares sizes).
    package init(dataDir: String, pageSize: Int = HistoryStore.pageSize) throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("history v1") { db in
            // WITHOUT ROWID: the key is the row; 100,000 cameras × 41 day-rows stay compact.
            try db.execute(sql: """
                CREATE TABLE series (cameraID TEXT NOT NULL, resolution INTEGER NOT NULL, day INTEGER NOT NULL, data BLOB NOT NULL,
                                     PRIMARY KEY (cameraID, resolution, day)) WITHOUT ROWID
                """)
            try db.execute(sql: "CREATE INDEX series_day ON series (resolution, day)")
            try db.execute(sql: """
                CREATE TABLE transition (cameraID TEXT NOT NULL, at REAL NOT NULL, state TEXT NOT NULL,
                                         PRIMARY KEY (cameraID, at)) WITHOUT ROWID
                """)
            try db.execute(sql: "CREATE INDEX transition_at ON transition (at)")
        }
        // 8 KiB pages: a day of 15-minute buckets (1,920 bytes) fits inside its page. With SQLite's
        // default 4 KiB a WITHOUT ROWID row keeps at most ~1,000 bytes in the page and the rest
        // takes an overflow page of its own: measured through the real write path
        // (`cctv-out-bench history --sample-only`), 5,646 bytes per camera per day at 4 KiB.
        database = try ServiceDatabase.open(dataDir: dataDir, service: "gateway-history", migrator: migrator, pageSize: pageSize)
    }

    // MARK: - Writing

    /// Adds measurements, each into the bucket of its time at every resolution (read, merge, write),
    /// in transactions of at most `batch` cameras so the writer is never held long.
    ///
    /// Why in camera order, with two prepared statements and an upsert: a flush of 100,000 cameras
    /// (300,000 row merges) took 150–167 % of a core for ~30 s every 5 minutes in `serve`, ~10 % of
    /// a core on average (2026-12-01). It parsed two statements per row, visited the cameras in the
    /// recorder's dictionary order (each row on a page far from the last one), and `INSERT OR
    /// REPLACE` deleted each row (zeroed by `secure_delete`) and its `series_day` entry before
    /// inserting them again, where an upsert that changes only `data` rewrites the row in place.
    /// Measured (`cctv-out-bench history --cameras 50000 --days 1 --sample-cameras 0
    /// --flushes-only 3`, release): 7.6 → 1.7 CPU-s per flush of 50,000 cameras (152 → 34 µs per
    /// camera); in `serve` at 50,000 cameras (load 14–18) the flush's CPU above the steady level
    /// went from ≈ 12 CPU-s to ≈ 4 CPU-s. Items of one camera keep their order, so every row is
    /// merged exactly as before (packing rounds, so the order of merges matters).
    package func add(_ buckets: [(cameraID: String, start: Date, bucket: MetricBucket)], batch: Int = 2000) throws {
        let order = buckets.indices.filter { !buckets[$0].bucket.isEmpty }
            .sorted { buckets[$0].cameraID != buckets[$1].cameraID ? buckets[$0].cameraID < buckets[$1].cameraID : $0 < $1 }
        var index = 0
        while index < order.count {
            let slice = order[index..<min(index + batch, order.count)]
            try database.write { db in
                let select = try db.cachedStatement(sql: "SELECT data FROM series WHERE cameraID = ? AND resolution = ? AND day = ?")
                let upsert = try db.cachedStatement(sql: "INSERT INTO series (cameraID, resolution, day, data) VALUES (?, ?, ?, ?) "
                                                        + "ON CONFLICT (cameraID, resolution, day) DO UPDATE SET data = excluded.data")
                for position in slice {
                    let item = buckets[position]
                    let seconds = Int(item.start.timeIntervalSince1970.rounded(.down))
                    let day = seconds.floorDiv(86_400)
                    for resolution in HistoryResolution.allCases {
                        let slot = (seconds - day * 86_400) / resolution.rawValue
                        var data = try Data.fetchOne(select, arguments: [item.cameraID, resolution.rawValue, day]) ?? Data(count: resolution.rowBytes)
                        if data.count != resolution.rowBytes { data = Data(count: resolution.rowBytes) }
                        let range = (slot * MetricBucket.packedSize)..<((slot + 1) * MetricBucket.packedSize)
                        var merged = MetricBucket(packed: Array(data[range]))
                        merged.merge(item.bucket)
                        data.replaceSubrange(range, with: merged.packed())
                        try upsert.execute(arguments: [item.cameraID, resolution.rawValue, day, data])
                    }
                }
            }
            index += batch
        }
    }

    /// Writes whole day rows as they are (packed buckets): for migrations and the history benchmark,
    /// which fills 30 days of a 100,000-camera fleet without going through the recorder.
    package func writeDays(_ rows: [(cameraID: String, resolution: HistoryResolution, day: Int, buckets: [MetricBucket])]) throws {
        try database.write { db in
            for row in rows {
                var data = Data(capacity: row.resolution.rowBytes)
                for slot in 0..<row.resolution.perDay { data.append(contentsOf: (slot < row.buckets.count ? row.buckets[slot] : MetricBucket()).packed()) }
                try db.execute(sql: "INSERT OR REPLACE INTO series (cameraID, resolution, day, data) VALUES (?, ?, ?, ?)",
                               arguments: [row.cameraID, row.resolution.rawValue, row.day, data])
            }
        }
    }

    /// Records state changes (camera, time, state); a change already recorded is kept once.
    package func record(_ changes: [(cameraID: String, at: Date, state: String)]) throws {
        guard !changes.isEmpty else { return }
        try database.write { db in
            for change in changes {
                try db.execute(sql: "INSERT OR IGNORE INTO transition (cameraID, at, state) VALUES (?, ?, ?)",
                               arguments: [change.cameraID, change.at.timeIntervalSince1970, change.state])
            }
        }
    }

    /// The last recorded state of every camera (to notice changes after a restart).
    package func lastStates() throws -> [String: String] {
        try database.read { db in
            var states: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT cameraID, state, MAX(at) FROM transition GROUP BY cameraID") {
                states[row[0]] = row[1]
            }
            return states
        }
    }

    /// Deletes what is older than its retention; keeps each camera's last state change before the
    /// cut so the state at the start of the kept period stays known. Returns rows deleted.
    @discardableResult
    package func prune(retention: Retention, now: Date = Date()) throws -> Int {
        let today = Int(now.timeIntervalSince1970).floorDiv(86_400)
        return try database.write { db in
            var deleted = 0
            for resolution in HistoryResolution.allCases {
                try db.execute(sql: "DELETE FROM series WHERE resolution = ? AND day < ?", arguments: [resolution.rawValue, today - retention.days(for: resolution) + 1])
                deleted += db.changesCount
            }
            let cut = now.timeIntervalSince1970 - Double(retention.days) * 86_400
            try db.execute(sql: """
                DELETE FROM transition WHERE at < ? AND at < (SELECT MAX(t.at) FROM transition t WHERE t.cameraID = transition.cameraID AND t.at < ?)
                """, arguments: [cut, cut])
            deleted += db.changesCount
            return deleted
        }
    }

    // MARK: - Reading

    /// One point of a chart.
    package struct Point: Codable, Sendable, Equatable {
        /// Bucket start.
        package var t: Date
        package var icmpChecks: Int
        package var lossPercent: Double?
        package var rttAvgMs: Double?
        package var rttMaxMs: Double?
        package var hlsChecks: Int
        package var hlsFailures: Int
        package var latencyMs: Double?
        package var bitrateKbps: Double?

        init(t: Date, bucket: MetricBucket) {
            self.t = t; icmpChecks = bucket.icmpChecks; lossPercent = bucket.lossPercent; rttAvgMs = bucket.rttAvgMs
            rttMaxMs = bucket.rttCount > 0 ? bucket.rttMax : nil; hlsChecks = bucket.hlsChecks; hlsFailures = bucket.hlsFailures
            latencyMs = bucket.latencyMs; bitrateKbps = bucket.bitrateKbps
        }
    }

    /// Camera `cameraID`'s buckets at `resolution` from `from` to `to` (empty buckets left out),
    /// with `pending` (not yet written) results merged into their buckets.
    package func points(cameraID: String, resolution: HistoryResolution, from: Date, to: Date, pending: [(start: Date, bucket: MetricBucket)] = []) throws -> [Point] {
        let firstDay = Int(from.timeIntervalSince1970).floorDiv(86_400), lastDay = Int(to.timeIntervalSince1970).floorDiv(86_400)
        var buckets: [Int: MetricBucket] = [:] // bucket start (epoch s) → bucket
        try database.read { db in
            for row in try Row.fetchAll(db, sql: "SELECT day, data FROM series WHERE cameraID = ? AND resolution = ? AND day BETWEEN ? AND ?",
                                        arguments: [cameraID, resolution.rawValue, firstDay, lastDay]) {
                let day: Int = row["day"]
                let data: Data = row["data"]
                guard data.count == resolution.rowBytes else { continue }
                let bytes = [UInt8](data)
                for slot in 0..<resolution.perDay {
                    let bucket = MetricBucket(packed: bytes[(slot * MetricBucket.packedSize)..<((slot + 1) * MetricBucket.packedSize)])
                    if !bucket.isEmpty { buckets[day * 86_400 + slot * resolution.rawValue] = bucket }
                }
            }
        }
        for item in pending where !item.bucket.isEmpty {
            let start = Int(item.start.timeIntervalSince1970).floorDiv(resolution.rawValue) * resolution.rawValue
            buckets[start, default: MetricBucket()].merge(item.bucket)
        }
        let lower = from.timeIntervalSince1970 - Double(resolution.rawValue), upper = to.timeIntervalSince1970
        return buckets.filter { Double($0.key) > lower && Double($0.key) <= upper }.sorted { $0.key < $1.key }
            .map { Point(t: Date(timeIntervalSince1970: Double($0.key)), bucket: $0.value) }
    }

    /// Camera `cameraID`'s state changes in `from..<to`, with the last one before `from` first.
    package func transitions(cameraID: String, from: Date, to: Date) throws -> [(at: Date, state: String)] {
        try database.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT at, state FROM (SELECT at, state FROM transition WHERE cameraID = ? AND at <= ? ORDER BY at DESC LIMIT 1)
                UNION ALL SELECT at, state FROM transition WHERE cameraID = ? AND at > ? AND at < ? ORDER BY at
                """, arguments: [cameraID, from.timeIntervalSince1970, cameraID, from.timeIntervalSince1970, to.timeIntervalSince1970])
            return rows.map { (Date(timeIntervalSince1970: $0["at"]), $0["state"]) }
        }
    }

    /// Every camera's time per state over `from..<to`: one pass over the changes in the table's
    /// own order (camera, time), so nothing is sorted. The last change at or before `from` of each
    /// camera opens its period; older ones are skipped on the way (retention keeps them few).
    package func durations(from: Date, to: Date) throws -> [String: StateDurations] {
        try database.read { db in
            var result: [String: StateDurations] = [:]
            var camera: String? = nil
            var changes: [(at: Date, state: String)] = []
            func finish() { if let camera, !changes.isEmpty { result[camera] = StateDurations.over(changes, from: from, to: to) } }
            let start = from.timeIntervalSince1970
            // NOT INDEXED: walking `transition_at` for the range would hand the rows over out of
            // camera order and need a sort of every change in the period.
            let cursor = try Row.fetchCursor(db, sql: "SELECT cameraID, at, state FROM transition NOT INDEXED WHERE at < ? ORDER BY cameraID, at",
                                             arguments: [to.timeIntervalSince1970])
            while let row = try cursor.next() {
                let id: String = row[0]
                if id != camera { finish(); camera = id; changes.removeAll(keepingCapacity: true) }
                let at: Double = row[1]
                // Only the latest change at or before the start counts: it replaces an earlier one.
                if at <= start, let last = changes.last, last.at.timeIntervalSince1970 <= start { changes.removeLast() }
                changes.append((Date(timeIntervalSince1970: at), row[2]))
            }
            finish()
            return result
        }
    }

    /// Rows and bytes used (the file's pages, and of them the free ones), for the benchmark and `/metrics`.
    package func size() throws -> (seriesRows: Int, transitions: Int, bytes: Int, freeBytes: Int) {
        try database.read { db in
            let series = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM series") ?? 0
            let transitions = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM transition") ?? 0
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            return (series, transitions, pages * pageSize, free * pageSize)
        }
    }

    /// Bytes of pages per table and index (SQLite's `dbstat`), for the benchmark.
    package func tableBytes() throws -> [(name: String, bytes: Int)] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").map { ($0[0], $0[1]) }
        }
    }
}

extension Int {
    /// Division rounding towards minus infinity (days before 1970 stay on their own day).
    func floorDiv(_ d: Int) -> Int { self >= 0 ? self / d : -((-self + d - 1) / d) }
}
