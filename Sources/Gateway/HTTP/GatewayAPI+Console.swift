import CCTVContract
import Foundation
import Hummingbird

/// REST for the operator's console: the vocabulary the dashboard speaks and the problems view.
extension GatewayAPI {
    func addConsoleRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/api/vocabulary") { _, _ in try json(Vocabulary.current) }
        addHistoryRoutes(to: router)
        addSnapshotRoutes(to: router)
        addNotifyRoutes(to: router)
        // Chart.js from Debian's libjs-chart.js (no CDN): /vendor/chart.js/chart.mjs and its chunks.
        let chartFiles = DashboardFiles.folder(configuration.chartDir)
        router.get("/vendor/chart.js/**") { _, context in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            guard let file = chartFiles[path] else { throw APIError(.notFound, field: "path", "no such file") }
            return Response(status: .ok, headers: [.contentType: file.contentType, .cacheControl: "max-age=86400"], body: .init(byteBuffer: file.body))
        }
        router.get("/api/problems") { request, context in
            let q = request.uri.queryParameters
            var query = ReadStore.ProblemQuery()
            query.offset = max(0, Int(q.get("offset") ?? "") ?? 0)
            query.limit = min(1000, max(1, Int(q.get("limit") ?? "") ?? 100))
            query.text = q.get("q"); query.site = q.get("site"); query.state = q.get("state"); query.team = q.get("team")
            query.vendor = q.get("vendor"); query.issueState = q.get("issueState"); query.parent = q.get("parent"); query.sort = q.get("sort")
            query.sites = try context.principal().sites
            query.defaultInterval = configuration.defaultCheckInterval
            query.activitySlack = configuration.historyFlushInterval
            if let state = query.state, !state.isEmpty, state != "STALLED", CameraState(rawValue: state) == nil {
                throw APIError(.invalidField, field: "state",
                               "state must be one of \((CameraState.allCases.map(\.rawValue) + ["STALLED"]).joined(separator: ", "))")
            }
            do { return try json(store.problems(query)) } catch let refusal as ContractError { throw APIError(relaying: refusal) }
        }
    }
}
