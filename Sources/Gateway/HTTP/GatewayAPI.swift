import CCTVContract
import Foundation
import Hummingbird
import MQTTBus
import NIOCore
import ServiceRuntime

/// The REST API, the live event stream, /metrics and the dashboard. Queries read the gateway's
/// own store; commands go to the registry over MQTT v5 request/response. Every route passes
/// ``AccessMiddleware`` first (who may call what: ``RoutePermissions``).
package struct GatewayAPI: Sendable {
    let store: ReadStore
    let hub: LiveHub
    /// Sends a command to the registry under the given command (envelope) id and waits for the reply.
    let registry: @Sendable (RegistryCommand, _ commandID: String) async throws -> RegistryReply
    let issueCommands: @Sendable (IssueCommand) async throws -> IssueReply
    /// The dashboard's pages and files (`Dashboard/` in the bundle, or a folder in development).
    let files: DashboardFiles
    /// REST changes by command id (202 pending, polling, retries); `nil` = not recorded.
    let commands: CommandLedger?
    /// "Monitoring stalled" and each camera's "last checked"; `nil` = not known.
    let monitoring: MonitoringWatch?
    /// Charts, availability and SLA reports (absent in tests of other parts).
    let history: HistoryRecorder?
    let historyStore: HistoryStore?
    /// The gateway's options (Chart.js folder, the check interval and write delay behind "stalled").
    let configuration: GatewayConfiguration
    /// Asks the notifier (contacts, test sends, health); nil where there is none.
    let notifier: (@Sendable (NotifierCommand, Duration) async throws -> NotifierReply)?
    /// The notifier's team directory and channel health as last published.
    let notifierView: NotifierView
    /// Bulk imports in progress and recently finished.
    let imports: ImportJobs
    /// Accounts, tokens, sessions, the audit log.
    let access: AccessControl
    /// Whether the gateway serves HTTPS (HSTS header).
    let https: Bool
    /// Snapshot evidence the prober's picture checks keep (in one installation: the same folder).
    let snapshots: SnapshotStore?
    /// Availability and SLA reports, one at a time (see ``offPoolReport(_:)``).
    let reportGate = SerialGate()

    /// Largest request body accepted.
    static let maxBody = 1 << 20

    /// - Parameters:
    ///   - imports: runs bulk imports; by default one that sends through `registry`.
    ///   - access: authentication and authorization (the gateway's accounts).
    ///   - https: whether the server runs TLS.
    ///   - commands: records REST changes (see ``CommandLedger``); by default the read store's.
    ///   - monitoring: the monitor's own health and "last checked" times.
    ///   - files: the dashboard's files; by default those built into the binary.
    ///   - history, historyStore: charts, availability and SLA reports.
    ///   - notifier: asks the notifier (who is told); `notifierView`: its directory and channel health.
    ///   - snapshots: the picture checks' frames (`GET /api/cameras/{id}/snapshot`).
    package init(store: ReadStore, hub: LiveHub, imports: ImportJobs? = nil, access: AccessControl, https: Bool = false,
                commands: CommandLedger? = nil, monitoring: MonitoringWatch? = nil, files: DashboardFiles = .embedded(),
                history: HistoryRecorder? = nil, historyStore: HistoryStore? = nil, configuration: GatewayConfiguration = GatewayConfiguration(),
                notifierView: NotifierView = NotifierView(), snapshots: SnapshotStore? = nil,
                notifier: (@Sendable (NotifierCommand, Duration) async throws -> NotifierReply)? = nil,
                registry: @escaping @Sendable (RegistryCommand, _ commandID: String) async throws -> RegistryReply,
                issueCommands: @escaping @Sendable (IssueCommand) async throws -> IssueReply) {
        self.store = store
        self.hub = hub
        self.registry = registry
        self.issueCommands = issueCommands
        self.imports = imports ?? ImportJobs { command, _ in try await registry(command, UUID().uuidString) }
        self.access = access
        self.https = https
        self.files = files
        self.commands = commands ?? store.commands
        self.monitoring = monitoring
        self.history = history
        self.historyStore = historyStore
        self.configuration = configuration
        self.notifierView = notifierView
        self.notifier = notifier
        self.snapshots = snapshots
    }

    /// Builds the router. The middlewares come first: they wrap only routes added after them.
    package func router() -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: SecurityHeaders(https: https))
        router.add(middleware: access.sessionMiddleware())
        router.add(middleware: AccessMiddleware(access: access))
        addPageRoutes(to: router)
        addAccessRoutes(to: router)
        router.get("/healthz") { _, _ in Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        router.get("/metrics") { _, _ in
            let console = try ConsoleMetrics.text(store: store, history: history, perCamera: configuration.perCameraMetrics)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: Observability.prometheusText() + console)))
        }
        router.get("/api/summary") { _, context in
            var summary = try store.summary(sites: context.principal().sites)
            summary.monitoring = monitoring?.health(services: summary.services)
            return try json(summary)
        }
        router.get("/api/sites") { _, context in try json(["items": store.sites(limitedTo: context.principal().sites)]) }
        router.get("/api/cameras") { request, context in
            let q = request.uri.queryParameters
            var query = ReadStore.CameraQuery()
            query.offset = max(0, Int(q.get("offset") ?? "") ?? 0)
            query.limit = min(1000, max(1, Int(q.get("limit") ?? "") ?? 100))
            query.text = q.get("q"); query.site = q.get("site"); query.state = q.get("state"); query.group = q.get("group"); query.sort = q.get("sort")
            query.sites = try context.principal().sites
            if let enabled = q.get("enabled") {
                guard let value = Bool(enabled.lowercased()) else {
                    throw APIError(.invalidField, field: "enabled", "enabled must be true or false")
                }
                query.enabled = value
            }
            do {
                var page = try store.cameras(query)
                page.items = page.items.map { ReadStore.CameraRow(camera: $0.camera, status: monitoring?.stamped($0.status) ?? $0.status) }
                return try json(page)
            } catch let refusal as ContractError { throw APIError(relaying: refusal) }
        }
        router.get("/api/cameras/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let row = try store.camera(id) else { throw APIError(.notFound, field: "id", "no camera with id \(id)") }
            try context.requireSite(row.camera.site)
            struct Detail: Encodable {
                var camera: CameraDefinition; var status: CameraHealth?; var issues: [IssueRecord]; var notifications: [NotificationRecord]
                /// The newest ONVIF check: the camera's clock skew and device information.
                var onvif: ONVIFResult?
            }
            return try json(Detail(camera: row.camera, status: monitoring?.stamped(row.status) ?? row.status, issues: store.issues(openOnly: false, cameraID: id, limit: 100),
                                   notifications: store.notifications(cameraID: id, limit: 100), onvif: store.onvif(id)))
        }
        router.get("/api/cameras/:id/status") { _, context in
            let id = try context.parameters.require("id")
            guard let status = try store.status(id) else { throw APIError(.notFound, field: "id", "no status for camera \(id) yet") }
            try context.requireSite(try store.camera(id)?.camera.site)
            return try json(monitoring?.stamped(status) ?? status)
        }
        router.post("/api/cameras") { request, context in
            guard let input = try await decodeBody(request, as: CameraInput.self) else { throw badBody() }
            try context.requireSite(input.site)
            return try await command(RegistryCommand(.create(input)), success: .created, request: request, context: context)
        }
        router.put("/api/cameras/:id") { request, context in
            let id = try context.parameters.require("id")
            guard let input = try await decodeBody(request, as: CameraInput.self) else { throw badBody() }
            try requireSite(ofCamera: id, context: context)
            try context.requireSite(input.site)
            let expected = request.headers[.ifMatch].flatMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))) }
            return try await command(RegistryCommand(.update(id: id, camera: input, expectedVersion: expected)), success: .ok, request: request, context: context)
        }
        router.post("/api/cameras/:id/enable") { request, context in
            let id = try context.parameters.require("id")
            try requireSite(ofCamera: id, context: context)
            return try await command(RegistryCommand(.enable(id: id, expectedVersion: nil)), success: .ok, request: request, context: context)
        }
        router.post("/api/cameras/:id/disable") { request, context in
            let id = try context.parameters.require("id")
            try requireSite(ofCamera: id, context: context)
            return try await command(RegistryCommand(.disable(id: id, expectedVersion: nil)), success: .ok, request: request, context: context)
        }
        router.delete("/api/cameras/:id") { request, context in
            let id = try context.parameters.require("id")
            try requireSite(ofCamera: id, context: context)
            let expected = request.headers[.ifMatch].flatMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))) }
            return try await command(RegistryCommand(.delete(id: id, expectedVersion: expected)), success: .noContent, request: request, context: context)
        }
        router.get("/api/issues") { request, context in
            let q = request.uri.queryParameters
            let limit = min(2000, max(1, Int(q.get("limit") ?? "") ?? 200))
            return try json(["items": store.issues(openOnly: (q.get("state") ?? "open") == "open", cameraID: q.get("camera"), parentID: q.get("parent"), limit: limit,
                                                   sites: context.principal().sites)])
        }
        router.get("/api/notifications") { request, context in
            let q = request.uri.queryParameters
            let limit = min(2000, max(1, Int(q.get("limit") ?? "") ?? 100))
            return try json(["items": store.notifications(cameraID: q.get("camera"), issueID: q.get("issue"), limit: limit,
                                                          sites: context.principal().sites)])
        }
        addIssueRoutes(to: router)
        router.get("/api/events") { _, context in
            let stream = hub.listen(sites: try context.principal().sites)
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: .init { writer in
                    try await writer.write(ByteBuffer(string: "retry: 2000\n: connected\n\n"))
                    for await event in stream {
                        // An empty name is the hub's keep-alive: a comment line proxies will not time out.
                        let text = event.name.isEmpty ? ": keep-alive\n\n" : "event: \(event.name)\ndata: \(event.json)\n\n"
                        try await writer.write(ByteBuffer(string: text))
                    }
                    try await writer.finish(nil)
                })
        }
        addFleetFileRoutes(to: router)
        addBulkEditRoutes(to: router)
        addCommandRoutes(to: router)
        addConsoleRoutes(to: router)
        return router
    }

    func decodeBody<T: Decodable>(_ request: Request, as type: T.Type) async throws -> T? {
        guard let buffer = try? await request.body.collect(upTo: Self.maxBody) else { return nil }
        return try? ContractCodec.decodeValue(type, from: Data(buffer.readableBytesView))
    }

    func badBody() -> APIError {
        APIError(.badRequest, "the body must be a JSON camera of at most 1 MiB with at least \"address\"")
    }

    func json(_ value: some Encodable) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: try ContractCodec.encodeValue(value))))
    }

    /// Refuses (403) when the principal may not act on camera `id`'s site. An unknown camera passes:
    /// the registry then answers 404.
    func requireSite(ofCamera id: String, context: GatewayRequestContext) throws {
        guard try context.principal().isSiteLimited, let row = try store.camera(id) else { return }
        try context.requireSite(row.camera.site)
    }
}
