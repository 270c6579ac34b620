import CCTVContract
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// REST for who is told (admin): the notifier's contacts — teams, channels, routing defaults per
/// role and site, escalation — read and replaced without a restart, imported and exported as the
/// contacts file's JSON, a test send through one channel with the endpoint's answer, and every
/// channel's health with the coverage problems behind the dashboard's banner.
extension GatewayAPI {
    func addNotifyRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/api/notify/contacts") { _, _ in
            try await notifierCommand(NotifierCommand(action: .getContacts)) { reply in try rawJSON(reply.contactsJSON ?? "{}") }
        }
        router.put("/api/notify/contacts") { request, context in try await putContacts(request, actor: context.principal().actor) }
        router.post("/api/notify/contacts/import") { request, context in try await putContacts(request, actor: context.principal().actor) }
        router.get("/api/notify/contacts/export") { _, _ in
            try await notifierCommand(NotifierCommand(action: .getContacts)) { reply in
                var response = try rawJSON(reply.contactsJSON ?? "{}")
                response.headers[.contentDisposition] = "attachment; filename=\"contacts-\(Self.day()).json\""
                return response
            }
        }
        router.post("/api/notify/channels/:id/test") { request, context in
            let id = try context.parameters.require("id")
            let event = request.uri.queryParameters.get("event") ?? "opened"
            return try await notifierCommand(NotifierCommand(action: .testChannel, channelID: id, event: event), timeout: .seconds(60)) { reply in
                try json(reply.test)
            }
        }
        router.get("/api/notify/health") { _, _ in
            struct Answer: Encodable {
                var directory: TeamDirectory?
                var health: NotifierHealth?
                var coverage: [NotificationCoverage.Problem]
            }
            let directory = notifierView.directory
            var coverage: [NotificationCoverage.Problem] = []
            if let directory {
                var lineTeams: [String: Int] = [:], vendors: [String: Int] = [:]
                for camera in try store.cameraFacts() { lineTeams[camera.lineTeam ?? "", default: 0] += 1; vendors[camera.vendor ?? "", default: 0] += 1 }
                coverage = NotificationCoverage.problems(directory: directory, lineTeams: lineTeams, vendors: vendors)
            }
            return try json(Answer(directory: directory, health: notifierView.health, coverage: coverage))
        }
    }

    /// Replaces the contacts with the request's body (the contacts file's JSON).
    func putContacts(_ request: Request, actor: String) async throws -> Response {
        guard let buffer = try? await request.body.collect(upTo: Self.maxBody), buffer.readableBytes > 0 else {
            throw APIError(.badRequest, "the body must be the contacts as JSON (at most 1 MiB), as in docs/contacts.example.json")
        }
        return try await notifierCommand(NotifierCommand(action: .putContacts, contactsJSON: String(buffer: buffer), actor: actor)) { reply in
            try rawJSON(reply.contactsJSON ?? "{}")
        }
    }

    /// Sends a notifier command and renders its reply (or the refusal, with its field).
    func notifierCommand(_ command: NotifierCommand, timeout: Duration = .seconds(15), success: (NotifierReply) throws -> Response) async throws -> Response {
        guard let notifier else { throw APIError(.notifierUnavailable, "this gateway has no notifier to ask") }
        let reply: NotifierReply
        do { reply = try await notifier(command, timeout) } catch {
            throw APIError(.notifierUnavailable, "the notifier did not answer: \(error)")
        }
        guard reply.ok else {
            throw reply.error.map(APIError.init(relaying:)) ?? .unexplained("notifier")
        }
        return try success(reply)
    }

    func rawJSON(_ text: String) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
