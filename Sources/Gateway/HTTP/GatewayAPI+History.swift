import CCTVContract
import FleetFile
import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import ServiceRuntime

/// REST for history: a camera's charts and state timeline, availability for any period grouped by
/// camera, site, line team or vendor, and the monthly SLA report (JSON, CSV or XLSX, Korean or English).
extension GatewayAPI {
    func addHistoryRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/api/cameras/:id/history") { request, context in try cameraHistory(request, context: context) }
        router.get("/api/availability") { request, _ in try await availability(request) }
        router.get("/api/reports/sla") { request, _ in try await slaReport(request) }
    }

    /// `GET /api/cameras/{id}/history?range=24h|7d|30d`: the camera's chart points at the range's
    /// resolution, its state changes, and the time spent in each state.
    func cameraHistory(_ request: Request, context: GatewayRequestContext) throws -> Response {
        guard let historyStore else { throw historyOff() }
        let id = try context.parameters.require("id")
        try requireSite(ofCamera: id, context: context)
        let q = request.uri.queryParameters
        let now = Date()
        let span: TimeInterval
        switch q.get("range") ?? "24h" {
        case "24h": span = 86_400
        case "7d": span = 7 * 86_400
        case "30d": span = 30 * 86_400
        default: throw APIError(.invalidField, field: "range", "range must be 24h, 7d or 30d")
        }
        let from = now.addingTimeInterval(-span)
        let resolution = HistoryResolution.forRange(span)
        struct Answer: Encodable {
            var from: Date; var to: Date; var resolution: Int
            var points: [HistoryStore.Point]
            var states: [State]; var durations: StateDurations
            struct State: Encodable { var at: Date; var state: String }
        }
        let changes = try historyStore.transitions(cameraID: id, from: from, to: now)
        return try json(Answer(from: from, to: now, resolution: resolution.rawValue,
                               points: try historyStore.points(cameraID: id, resolution: resolution, from: from, to: now, pending: history?.pending(id) ?? []),
                               states: changes.map { .init(at: $0.at, state: $0.state) }, durations: StateDurations.over(changes, from: from, to: now)))
    }

    /// `GET /api/availability?by=camera|site|lineTeam|vendor`: availability over the period per
    /// group, worst first.
    func availability(_ request: Request) async throws -> Response {
        guard let historyStore else { throw historyOff() }
        let q = request.uri.queryParameters
        let period: (Date, Date)
        switch Self.period(q) { case let .success(p): period = p; case let .failure(refusal): throw refusal }
        let by = q.get("by") ?? "camera"
        guard ["camera", "site", "lineTeam", "vendor"].contains(by) else {
            throw APIError(.invalidField, field: "by", "by must be camera, site, lineTeam or vendor")
        }
        let limit = min(10_000, max(1, Int(q.get("limit") ?? "") ?? 500))
        let store = store
        let groups = try await offPoolReport { () -> [String: (cameras: Int, durations: StateDurations)] in
            let durations = try historyStore.durations(from: period.0, to: period.1)
            var groups: [String: (cameras: Int, durations: StateDurations)] = [:]
            for camera in try store.cameraFacts() {
                guard let d = durations[camera.id] else { continue }
                let key = switch by { case "site": camera.site ?? ""; case "lineTeam": camera.lineTeam ?? ""; case "vendor": camera.vendor ?? ""; default: camera.id }
                groups[key, default: (0, StateDurations())].cameras += 1
                groups[key]!.durations.add(d)
            }
            return groups
        }
        struct Item: Encodable { var key: String; var cameras: Int; var availability: Double?; var lineAvailability: Double?; var cameraAvailability: Double?; var durations: StateDurations }
        // Worst first: what the reader came to find.
        let items = groups.map { Item(key: $0.key, cameras: $0.value.cameras, availability: $0.value.durations.availability.map { $0 * 100 },
                                      lineAvailability: $0.value.durations.lineAvailability.map { $0 * 100 },
                                      cameraAvailability: $0.value.durations.cameraAvailability.map { $0 * 100 }, durations: $0.value.durations) }
            .sorted { ($0.availability ?? 101, $0.key) < ($1.availability ?? 101, $1.key) }
        struct Answer: Encodable { var from: Date; var to: Date; var by: String; var total: Int; var items: [Item] }
        return try json(Answer(from: period.0, to: period.1, by: by, total: items.count, items: Array(items.prefix(limit))))
    }

    /// `GET /api/reports/sla?format=json|csv|xlsx&lang=`: the SLA report of the period, as JSON or
    /// as a file to download.
    func slaReport(_ request: Request) async throws -> Response {
        guard let historyStore else { throw historyOff() }
        let q = request.uri.queryParameters
        let period: (Date, Date)
        switch Self.period(q) { case let .success(p): period = p; case let .failure(refusal): throw refusal }
        let format = (q.get("format") ?? "json").lowercased()
        var options: (FleetFileFormat, HeaderLanguage)? = nil
        if format != "json" {
            switch Self.fileOptions(format: format, lang: q.get("lang")) { case let .success(o): options = o; case let .failure(refusal): throw refusal }
        }
        let store = store, file = options
        let (report, bytes) = try await offPoolReport { () -> (SLAReport, Data?) in
            let report = SLAReport.build(from: period.0, to: period.1, cameras: try store.cameraFacts(),
                                         durations: try historyStore.durations(from: period.0, to: period.1),
                                         incidents: try store.issues(openedFrom: period.0, to: period.1))
            return (report, try file.map { try report.file($0.0, language: $0.1) })
        }
        guard let options, let bytes else { return try json(report) }
        let name = "sla-" + (q.get("month") ?? Self.day())
        return Self.download(bytes, format: options.0, name: name)
    }

    /// Runs a report's work (every state change of the period: seconds at 100,000 cameras × 30 days)
    /// on NIO's thread pool, one report at a time, so it never holds one of the cooperative pool's
    /// few threads the other routes and the event stream share.
    func offPoolReport<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await reportGate.run { try await NIOThreadPool.singleton.runIfActive(work) }
    }

    func historyOff() -> APIError {
        APIError(.historyUnavailable, "history is not kept by this gateway")
    }

    /// The period of a request: `month=YYYY-MM` (in `tz`, default UTC), or `from` and `to` (ISO 8601), or the last 30 days.
    static func period(_ q: Parameters) -> Result<(Date, Date), APIError> {
        if let month = q.get("month") {
            let parts = month.split(separator: "-")
            let zone = TimeZone(identifier: q.get("tz") ?? "UTC")
            guard parts.count == 2, let year = Int(parts[0]), let number = Int(parts[1]), (2000...2200).contains(year), (1...12).contains(number), let zone else {
                return .failure(APIError(.invalidField, field: "month", "month must be YYYY-MM (and tz a zone name such as Asia/Seoul)"))
            }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            guard let start = calendar.date(from: DateComponents(year: year, month: number, day: 1)),
                  let end = calendar.date(byAdding: .month, value: 1, to: start) else {
                return .failure(APIError(.invalidField, field: "month", "month must be YYYY-MM"))
            }
            return .success((start, end))
        }
        func parse(_ key: String) -> Date? { q.get(key).flatMap { try? Date($0, strategy: .iso8601) } }
        let to = q.get("to") == nil ? Date() : parse("to")
        let from = q.get("from") == nil ? to?.addingTimeInterval(-30 * 86_400) : parse("from")
        guard let from, let to else { return .failure(APIError(.invalidField, field: q.get("from") != nil && parse("from") == nil ? "from" : "to", "from and to must be ISO 8601 times, e.g. 2026-11-01T00:00:00Z")) }
        guard from < to, to.timeIntervalSince(from) <= 400 * 86_400 else {
            return .failure(APIError(.invalidField, field: "from", "from must be before to, at most 400 days apart"))
        }
        return .success((from, to))
    }
}
