import CCTVContract
import Foundation
import Hummingbird
import MQTTBus
import NIOCore
import ServiceRuntime

/// The REST API, the live event stream, /metrics and the dashboard. Queries read the gateway's
/// own store; commands go to the registry over MQTT v5 request/response.
public struct GatewayAPI: Sendable {
    let store: ReadStore
    let hub: LiveHub
    let registry: @Sendable (RegistryCommand) async throws -> RegistryReply
    let issueCommands: @Sendable (IssueCommand) async throws -> IssueReply
    /// The dashboard's static files.
    let files: DashboardFiles
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

    /// Largest request body accepted.
    static let maxBody = 1 << 20

    /// - Parameters:
    ///   - imports: runs bulk imports; by default one that sends through `registry`.
    ///   - files: the dashboard's files; by default those built into the binary.
    public init(store: ReadStore, hub: LiveHub, imports: ImportJobs? = nil, files: DashboardFiles = .embedded(),
                history: HistoryRecorder? = nil, historyStore: HistoryStore? = nil, configuration: GatewayConfiguration = GatewayConfiguration(),
                notifierView: NotifierView = NotifierView(),
                notifier: (@Sendable (NotifierCommand, Duration) async throws -> NotifierReply)? = nil,
                registry: @escaping @Sendable (RegistryCommand) async throws -> RegistryReply,
                issueCommands: @escaping @Sendable (IssueCommand) async throws -> IssueReply) {
        self.store = store
        self.hub = hub
        self.registry = registry
        self.issueCommands = issueCommands
        self.imports = imports ?? ImportJobs { command, _ in try await registry(command) }
        self.files = files
        self.history = history
        self.historyStore = historyStore
        self.configuration = configuration
        self.notifierView = notifierView
        self.notifier = notifier
    }

    /// Builds the router.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/") { _, _ in files.response("index.html") }
        for folder in ["js", "css", "img", "sounds"] {
            router.get("/\(folder)/**") { request, _ in files.response(request.uri.path) }
        }
        router.get("/healthz") { _, _ in Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        router.get("/metrics") { _, _ in
            let console = try ConsoleMetrics.text(store: store, history: history, perCamera: configuration.perCameraMetrics)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: Observability.prometheusText() + console)))
        }
        router.get("/api/summary") { _, _ in try json(store.summary()) }
        router.get("/api/sites") { _, _ in try json(["items": store.sites()]) }
        router.get("/api/cameras") { request, _ in
            let q = request.uri.queryParameters
            var query = ReadStore.CameraQuery()
            query.offset = max(0, Int(q.get("offset") ?? "") ?? 0)
            query.limit = min(1000, max(1, Int(q.get("limit") ?? "") ?? 100))
            query.text = q.get("q"); query.site = q.get("site"); query.state = q.get("state"); query.group = q.get("group"); query.sort = q.get("sort")
            if let enabled = q.get("enabled") {
                guard let value = Bool(enabled.lowercased()) else {
                    return error(.badRequest, ContractError(code: "invalid_field", field: "enabled", message: "enabled must be true or false"))
                }
                query.enabled = value
            }
            do { return try json(store.cameras(query)) } catch let refusal as ContractError { return error(.badRequest, refusal) }
        }
        router.get("/api/cameras/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let row = try store.camera(id) else { return error(.notFound, ContractError(code: "not_found", field: "id", message: "no camera with id \(id)")) }
            struct Detail: Encodable { var camera: CameraDefinition; var status: CameraHealth?; var issues: [IssueRecord]; var notifications: [NotificationRecord] }
            return try json(Detail(camera: row.camera, status: row.status, issues: store.issues(openOnly: false, cameraID: id, limit: 100),
                                   notifications: store.notifications(cameraID: id, limit: 100)))
        }
        router.get("/api/cameras/:id/status") { _, context in
            let id = try context.parameters.require("id")
            guard let status = try store.status(id) else { return error(.notFound, ContractError(code: "not_found", field: "id", message: "no status for camera \(id) yet")) }
            return try json(status)
        }
        router.post("/api/cameras") { request, _ in
            guard let input = try await decodeBody(request, as: CameraInput.self) else { return badBody() }
            return try await command(RegistryCommand(action: .create, camera: input), success: .created)
        }
        router.put("/api/cameras/:id") { request, context in
            let id = try context.parameters.require("id")
            guard let input = try await decodeBody(request, as: CameraInput.self) else { return badBody() }
            let expected = request.headers[.ifMatch].flatMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))) }
            return try await command(RegistryCommand(action: .update, id: id, camera: input, expectedVersion: expected), success: .ok)
        }
        router.post("/api/cameras/:id/enable") { _, context in
            try await command(RegistryCommand(action: .enable, id: context.parameters.require("id")), success: .ok)
        }
        router.post("/api/cameras/:id/disable") { _, context in
            try await command(RegistryCommand(action: .disable, id: context.parameters.require("id")), success: .ok)
        }
        router.delete("/api/cameras/:id") { request, context in
            let expected = request.headers[.ifMatch].flatMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))) }
            return try await command(RegistryCommand(action: .delete, id: context.parameters.require("id"), expectedVersion: expected), success: .noContent)
        }
        router.get("/api/issues") { request, _ in
            let q = request.uri.queryParameters
            let limit = min(2000, max(1, Int(q.get("limit") ?? "") ?? 200))
            return try json(["items": store.issues(openOnly: (q.get("state") ?? "open") == "open", cameraID: q.get("camera"), parentID: q.get("parent"), limit: limit)])
        }
        router.get("/api/notifications") { request, _ in
            let q = request.uri.queryParameters
            let limit = min(2000, max(1, Int(q.get("limit") ?? "") ?? 100))
            return try json(["items": store.notifications(cameraID: q.get("camera"), issueID: q.get("issue"), limit: limit)])
        }
        addIssueRoutes(to: router)
        router.get("/api/events") { _, _ in
            let stream = hub.listen()
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
        addConsoleRoutes(to: router)
        return router
    }

    func command(_ command: RegistryCommand, success: HTTPResponse.Status) async throws -> Response {
        let reply: RegistryReply
        do {
            reply = try await registry(command)
        } catch {
            return self.error(.serviceUnavailable, ContractError(code: "registry_unavailable", message: "the registry did not answer: \(error)"))
        }
        guard reply.ok else {
            let failure = reply.error ?? ContractError(code: "internal", message: "registry refused without a reason")
            let status: HTTPResponse.Status = switch failure.code {
            case "not_found": .notFound
            case "duplicate_address", "duplicate_id", "version_conflict": .conflict
            case "internal": .internalServerError
            default: .badRequest
            }
            return self.error(status, failure)
        }
        if success == .noContent { return Response(status: .noContent) }
        var response = try json(reply.camera ?? reply.cameras.map { _ in nil } ?? nil)
        response.status = success
        if let version = reply.camera?.version { response.headers[.eTag] = "\"\(version)\"" }
        return response
    }

    func decodeBody<T: Decodable>(_ request: Request, as type: T.Type) async throws -> T? {
        guard let buffer = try? await request.body.collect(upTo: Self.maxBody) else { return nil }
        return try? ContractCodec.decodeValue(type, from: Data(buffer.readableBytesView))
    }

    func badBody() -> Response {
        error(.badRequest, ContractError(code: "bad_request", message: "the body must be a JSON camera of at most 1 MiB with at least \"address\""))
    }

    func json(_ value: some Encodable) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: try ContractCodec.encodeValue(value))))
    }

    func error(_ status: HTTPResponse.Status, _ failure: ContractError) -> Response {
        struct Body: Encodable { var error: ContractError }
        let data = (try? ContractCodec.encodeValue(Body(error: failure))) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
