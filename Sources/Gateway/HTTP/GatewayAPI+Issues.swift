import CCTVContract
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// REST for the incident lifecycle (the seed's steps: acknowledge, site visit, fixed, confirmed)
/// and maintenance windows. Commands go to the issues service over MQTT request/response.
extension GatewayAPI {
    /// Body of a lifecycle command. The actor is the signed-in account (or token), never the body's.
    struct LifecycleBody: Decodable { var note: String? }

    /// Body of a new or edited maintenance window: once (`startsAt`, then `until` or `minutes`) or
    /// weekly (`recurrence`, the series ending at `until`, a year from now by default). Made by the
    /// signed-in account.
    struct SilenceBody: Decodable {
        var scope: Silence.Scope
        var value: String
        var startsAt: Date?
        var until: Date?
        var minutes: Int?
        var recurrence: Recurrence?
        var reason: String?

        func silence(id: String, actor: String, now: Date) -> Silence {
            let until: Date
            if let given = self.until {
                until = given
            } else if recurrence != nil {
                until = now.addingTimeInterval(366 * 86_400)
            } else {
                until = (startsAt ?? now).addingTimeInterval(Double(max(1, min(minutes ?? 60, 90 * 24 * 60))) * 60)
            }
            return Silence(id: id, scope: scope, value: value.trimmingCharacters(in: .whitespaces), startsAt: startsAt, until: until,
                           recurrence: recurrence, reason: reason, createdBy: actor)
        }
    }

    /// A maintenance window as listed: the window and, from ``MaintenanceSchedule``, whether it is in
    /// force now and its current or next occurrence.
    struct SilenceView: Encodable {
        var silence: Silence
        var now: Date
        enum Keys: String, CodingKey { case inForce, nextStart, nextEnd }
        func encode(to encoder: any Encoder) throws {
            try silence.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(MaintenanceSchedule.window(of: silence, containing: now) != nil, forKey: .inForce)
            if let next = MaintenanceSchedule.nextWindow(of: silence, from: now) {
                try container.encode(next.start, forKey: .nextStart)
                try container.encode(next.end, forKey: .nextEnd)
            }
        }
    }

    static let silenceBodyHelp = "the body must be JSON {\"scope\": \"camera|site|tag|lineTeam|vendor\", \"value\": \"…\", \"minutes\": 60} or with \"startsAt\"/\"until\", or \"recurrence\": {\"days\": [7], \"start\": \"02:00\", \"minutes\": 120, \"timeZone\": \"Asia/Seoul\"}"

    /// Incidents (one by id, the lifecycle's actions) and the silences.
    func addIssueRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/api/issues/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let issue = try store.issue(id) else { throw APIError(.notFound, field: "id", "no incident with id \(id)") }
            try context.requireSite(issue.site)
            return try json(issue)
        }
        // The lifecycle's actions and their paths come from the contract's rules (IssueLifecycleRules).
        for name in IssueCommand.Name.allCases {
            guard let path = name.restPath else { continue }
            router.post(RouterPath("/api/issues/:id/\(path)")) { request, context in
                let id = try context.parameters.require("id")
                guard let body = try await decodeBody(request, as: LifecycleBody.self) else {
                    throw APIError(.badRequest, "the body must be JSON {\"note\": \"…\"} (or {})")
                }
                if let issue = try store.issue(id) { try context.requireSite(issue.site) }
                guard let step = IssueCommand.Action.step(name, issueID: id, note: body.note) else { throw APIError(.notFound, "no such action") }
                return try await issueCommand(IssueCommand(step, actor: context.principal().actor),
                                              visibleTo: context.principal())
            }
        }
        addSilenceRoutes(to: router)
    }

    /// Silences (maintenance windows): list, create, change, end early, delete.
    func addSilenceRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/api/silences") { request, context in try await listSilences(request, context: context) }
        router.post("/api/silences") { request, context in
            guard let body = try await decodeBody(request, as: SilenceBody.self) else {
                throw APIError(.badRequest, Self.silenceBodyHelp)
            }
            try requireSite(ofSilence: body.scope, value: body.value, context: context)
            let actor = try context.principal().actor
            return try await issueCommand(IssueCommand(.silence(body.silence(id: UUID().uuidString, actor: actor, now: Date())), actor: actor),
                                          visibleTo: context.principal())
        }
        router.put("/api/silences/:id") { request, context in
            let id = try context.parameters.require("id")
            guard let body = try await decodeBody(request, as: SilenceBody.self) else {
                throw APIError(.badRequest, Self.silenceBodyHelp)
            }
            try requireSite(ofSilence: body.scope, value: body.value, context: context)
            try await requireSite(ofSilenceID: id, context: context)
            let actor = try context.principal().actor
            return try await issueCommand(IssueCommand(.silence(body.silence(id: id, actor: actor, now: Date())), actor: actor),
                                          visibleTo: context.principal())
        }
        // End a window early (kept in the list as ended) or delete it: the same request but for the action.
        router.post("/api/silences/:id/end") { _, context in try await silenceByID({ .endSilence(id: $0) }, context: context) }
        router.delete("/api/silences/:id") { _, context in try await silenceByID({ .unsilence(id: $0) }, context: context) }
    }

    /// `GET /api/silences[?camera=ID]`: the windows the caller may see; with `camera`, only those
    /// about that camera (its id, site, tags, line team or vendor).
    func listSilences(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let principal = try context.principal()
        guard let cameraID = request.uri.queryParameters.get("camera") else {
            return try await issueCommand(IssueCommand(.listSilences), visibleTo: principal)
        }
        let camera = try store.camera(cameraID)?.camera
        try context.requireSite(camera?.site)
        let reply: IssueReply
        do { reply = try await issueCommands(IssueCommand(.listSilences)) } catch {
            throw APIError(.issuesUnavailable, "the issues service did not answer: \(error)")
        }
        let now = Date()
        let mine = (reply.silences ?? []).filter {
            MaintenanceSchedule.covers($0, cameraID: cameraID, site: camera?.site, tags: camera?.tags, lineTeam: camera?.lineTeam, vendor: camera?.vendor)
                && isVisible($0, to: principal)
        }
        return try json(["items": mine.map { SilenceView(silence: $0, now: now) }])
    }

    /// A site-limited principal may touch only a window it could have made: looked up first.
    func requireSite(ofSilenceID id: String, context: GatewayRequestContext) async throws {
        guard try context.principal().isSiteLimited else { return }
        let current = try await issueCommands(IssueCommand(.listSilences))
        if let silence = current.silences?.first(where: { $0.id == id }) { try requireSite(ofSilence: silence.scope, value: silence.value, context: context) }
    }

    /// A site-limited principal may silence only a camera or a site of its own; tags, line teams
    /// and vendors cross sites.
    func requireSite(ofSilence scope: Silence.Scope, value: String, context: GatewayRequestContext) throws {
        guard try context.principal().isSiteLimited else { return }
        switch scope {
        case .site: try context.requireSite(value)
        case .camera: try context.requireSite(try store.camera(value)?.camera.site)
        case .tag, .lineTeam, .vendor: throw APIError(.forbidden, "\(scope.rawValue) windows cross sites: only accounts with every site may create or end them")
        }
    }

    /// Whether a site-limited principal may see a maintenance window.
    func isVisible(_ silence: Silence, to principal: Principal) -> Bool {
        guard principal.isSiteLimited else { return true }
        switch silence.scope {
        case .site: return principal.covers(site: silence.value)
        case .camera: return principal.covers(site: (try? store.camera(silence.value))??.camera.site)
        case .tag, .lineTeam, .vendor: return false
        }
    }

    func issueCommand(_ command: IssueCommand, visibleTo principal: Principal) async throws -> Response {
        let reply: IssueReply
        do {
            reply = try await issueCommands(command)
        } catch {
            throw APIError(.issuesUnavailable, "the issues service did not answer: \(error)")
        }
        guard reply.ok else {
            throw reply.error.map(APIError.init(relaying:)) ?? .unexplained("issues service")
        }
        if let issue = reply.issue { return try json(issue) }
        let now = Date()
        return try json(["items": (reply.silences ?? []).filter { isVisible($0, to: principal) }.map { SilenceView(silence: $0, now: now) }])
    }

    /// `action` (end early or delete) on the window named in the path, for a caller who may see its site.
    func silenceByID(_ action: (_ id: String) -> IssueCommand.Action, context: GatewayRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        try await requireSite(ofSilenceID: id, context: context)
        let principal = try context.principal()
        return try await issueCommand(IssueCommand(action(id), actor: principal.actor),
                                      visibleTo: principal)
    }
}
