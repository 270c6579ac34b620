import CCTVContract
import Foundation
import Hummingbird
import NIOCore

/// REST for the incident lifecycle (the seed's steps: acknowledge, site visit, fixed, confirmed)
/// and maintenance windows. Commands go to the issues service over MQTT request/response.
extension GatewayAPI {
    /// Body of a lifecycle command.
    struct LifecycleBody: Decodable { var actor: String?; var note: String? }

    /// Body of a new maintenance window: `until` or `minutes` from now.
    struct SilenceBody: Decodable {
        var scope: Silence.Scope
        var value: String
        var until: Date?
        var minutes: Int?
        var reason: String?
        var actor: String?
    }

    func addIssueRoutes(to router: Router<BasicRequestContext>) {
        router.get("/api/issues/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let issue = try store.issue(id) else { return error(.notFound, ContractError(code: "not_found", field: "id", message: "no incident with id \(id)")) }
            return try json(issue)
        }
        let actions: [(String, IssueCommand.Action)] = [("acknowledge", .acknowledge), ("dispatch", .dispatch), ("fix", .markFixed), ("close", .close), ("note", .note)]
        for (path, action) in actions {
            router.post("/api/issues/:id/\(path)") { request, context in
                let id = try context.parameters.require("id")
                guard let body = try await decodeBody(request, as: LifecycleBody.self) else {
                    return error(.badRequest, ContractError(code: "bad_request", message: "the body must be JSON {\"actor\": \"…\", \"note\": \"…\"}"))
                }
                return try await issueCommand(IssueCommand(action: action, issueID: id, actor: body.actor, note: body.note))
            }
        }
        router.get("/api/silences") { _, _ in
            try await issueCommand(IssueCommand(action: .unsilence))
        }
        router.post("/api/silences") { request, _ in
            guard let body = try await decodeBody(request, as: SilenceBody.self) else {
                return error(.badRequest, ContractError(code: "bad_request", message: "the body must be JSON {\"scope\": \"camera|site|tag\", \"value\": \"…\", \"minutes\": 60}"))
            }
            let until = body.until ?? Date().addingTimeInterval(Double(max(1, min(body.minutes ?? 60, 90 * 24 * 60))) * 60)
            let silence = Silence(scope: body.scope, value: body.value, until: until, reason: body.reason, createdBy: body.actor)
            return try await issueCommand(IssueCommand(action: .silence, actor: body.actor, silence: silence))
        }
        router.delete("/api/silences/:id") { _, context in
            let id = try context.parameters.require("id")
            return try await issueCommand(IssueCommand(action: .unsilence, silence: Silence(id: id, scope: .camera, value: "-", until: Date())))
        }
    }

    func issueCommand(_ command: IssueCommand) async throws -> Response {
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
        return try json(["items": reply.silences ?? []])
    }
}
