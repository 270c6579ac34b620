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

    /// Body of a new maintenance window: `until` or `minutes` from now. Created by the signed-in account.
    struct SilenceBody: Decodable {
        var scope: Silence.Scope
        var value: String
        var until: Date?
        var minutes: Int?
        var reason: String?
    }

    func addIssueRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/api/issues/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let issue = try store.issue(id) else { return error(.notFound, ContractError(code: "not_found", field: "id", message: "no incident with id \(id)")) }
            try context.requireSite(issue.site)
            return try json(issue)
        }
        let actions: [(String, IssueCommand.Action)] = [("acknowledge", .acknowledge), ("dispatch", .dispatch), ("fix", .markFixed), ("close", .close), ("note", .note)]
        for (path, action) in actions {
            router.post("/api/issues/:id/\(path)") { request, context in
                let id = try context.parameters.require("id")
                guard let body = try await decodeBody(request, as: LifecycleBody.self) else {
                    return error(.badRequest, ContractError(code: "bad_request", message: "the body must be JSON {\"note\": \"…\"} (or {})"))
                }
                if let issue = try store.issue(id) { try context.requireSite(issue.site) }
                return try await issueCommand(IssueCommand(action: action, issueID: id, actor: context.principal().actor, note: body.note),
                                              visibleTo: context.principal())
            }
        }
        router.get("/api/silences") { _, context in
            try await issueCommand(IssueCommand(action: .unsilence), visibleTo: context.principal())
        }
        router.post("/api/silences") { request, context in
            guard let body = try await decodeBody(request, as: SilenceBody.self) else {
                return error(.badRequest, ContractError(code: "bad_request", message: "the body must be JSON {\"scope\": \"camera|site|tag\", \"value\": \"…\", \"minutes\": 60}"))
            }
            try requireSite(ofSilence: body.scope, value: body.value, context: context)
            let actor = try context.principal().actor
            let until = body.until ?? Date().addingTimeInterval(Double(max(1, min(body.minutes ?? 60, 90 * 24 * 60))) * 60)
            let silence = Silence(scope: body.scope, value: body.value, until: until, reason: body.reason, createdBy: actor)
            return try await issueCommand(IssueCommand(action: .silence, actor: actor, silence: silence), visibleTo: context.principal())
        }
        router.delete("/api/silences/:id") { _, context in
            let id = try context.parameters.require("id")
            let principal = try context.principal()
            if principal.isSiteLimited {
                // Only a window this principal could have made: look it up first.
                let current = try await issueCommands(IssueCommand(action: .unsilence))
                if let silence = current.silences?.first(where: { $0.id == id }) { try requireSite(ofSilence: silence.scope, value: silence.value, context: context) }
            }
            return try await issueCommand(IssueCommand(action: .unsilence, actor: principal.actor, silence: Silence(id: id, scope: .camera, value: "-", until: Date())),
                                          visibleTo: principal)
        }
    }

    /// A site-limited principal may silence only a camera or a site of its own; tags cross sites.
    func requireSite(ofSilence scope: Silence.Scope, value: String, context: GatewayRequestContext) throws {
        guard try context.principal().isSiteLimited else { return }
        switch scope {
        case .site: try context.requireSite(value)
        case .camera: try context.requireSite(try store.camera(value)?.camera.site)
        case .tag: throw HTTPError(.forbidden, message: "tag windows cross sites: only accounts with every site may create or end them")
        }
    }

    /// Whether a site-limited principal may see a maintenance window.
    func isVisible(_ silence: Silence, to principal: Principal) -> Bool {
        guard principal.isSiteLimited else { return true }
        switch silence.scope {
        case .site: return principal.covers(site: silence.value)
        case .camera: return principal.covers(site: (try? store.camera(silence.value))??.camera.site)
        case .tag: return false
        }
    }

    func issueCommand(_ command: IssueCommand, visibleTo principal: Principal) async throws -> Response {
        let reply: IssueReply
        do {
            reply = try await issueCommands(command)
        } catch {
            return self.error(.serviceUnavailable, ContractError(code: "issues_unavailable", message: "the issues service did not answer: \(error)"))
        }
        guard reply.ok else {
            let failure = reply.error ?? ContractError(code: "internal", message: "refused without a reason")
            let status: HTTPResponse.Status = switch failure.code {
            case "not_found": .notFound
            case "illegal_transition": .conflict
            case "internal": .internalServerError
            default: .badRequest
            }
            return self.error(status, failure)
        }
        if let issue = reply.issue { return try json(issue) }
        return try json(["items": (reply.silences ?? []).filter { isVisible($0, to: principal) }])
    }
}
