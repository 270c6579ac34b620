import CCTVContract
import Foundation
import Hummingbird
import NIOCore

/// REST for the incident lifecycle (the seed's steps: acknowledge, site visit, fixed, confirmed)
/// and maintenance windows. Commands go to the issues service over MQTT request/response.
extension GatewayAPI {
    /// Body of a lifecycle command.
    struct LifecycleBody: Decodable { var actor: String?; var note: String? }

    /// Body of a new or edited maintenance window: once (`startsAt`, then `until` or `minutes`) or
    /// weekly (`recurrence`, the series ending at `until`, a year from now by default).
    struct SilenceBody: Decodable {
        var scope: Silence.Scope
        var value: String
        var startsAt: Date?
        var until: Date?
        var minutes: Int?
        var recurrence: Recurrence?
        var reason: String?
        var actor: String?

        func silence(id: String, now: Date) -> Silence {
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
        router.get("/api/silences") { request, _ in
            // `?camera=ID`: only the windows about that camera (its id, site, tags, line team or vendor).
            guard let cameraID = request.uri.queryParameters.get("camera") else { return try await issueCommand(IssueCommand(action: .listSilences)) }
            let camera = try store.camera(cameraID)?.camera
            let reply: IssueReply
            do { reply = try await issueCommands(IssueCommand(action: .listSilences)) } catch {
                return self.error(.serviceUnavailable, ContractError(code: "issues_unavailable", message: "the issues service did not answer: \(error)"))
            }
            let now = Date()
            let mine = (reply.silences ?? []).filter {
                MaintenanceSchedule.covers($0, cameraID: cameraID, site: camera?.site, tags: camera?.tags, lineTeam: camera?.lineTeam, vendor: camera?.vendor)
            }
            return try json(["items": mine.map { SilenceView(silence: $0, now: now) }])
        }
        router.post("/api/silences") { request, _ in
            guard let body = try await decodeBody(request, as: SilenceBody.self) else {
                return error(.badRequest, ContractError(code: "bad_request", message: Self.silenceBodyHelp))
            }
            return try await issueCommand(IssueCommand(action: .silence, actor: body.actor, silence: body.silence(id: UUID().uuidString, now: Date())))
        }
        router.put("/api/silences/:id") { request, context in
            let id = try context.parameters.require("id")
            guard let body = try await decodeBody(request, as: SilenceBody.self) else {
                return error(.badRequest, ContractError(code: "bad_request", message: Self.silenceBodyHelp))
            }
            return try await issueCommand(IssueCommand(action: .silence, actor: body.actor, silence: body.silence(id: id, now: Date())))
        }
        router.post("/api/silences/:id/end") { _, context in
            let id = try context.parameters.require("id")
            return try await issueCommand(IssueCommand(action: .endSilence, silence: Silence(id: id, scope: .camera, value: "-", until: Date())))
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
        let now = Date()
        return try json(["items": (reply.silences ?? []).map { SilenceView(silence: $0, now: now) }])
    }
}
