import CCTVContract
import Foundation
import HTTPTypes
import Hummingbird
import MQTTBus
import NIOCore

/// REST changes sent to the registry. A change is never "503, then applied anyway": it carries a
/// command id (the client's `Idempotency-Key`, or one made here), is recorded before it is sent,
/// and when the registry does not answer within `http.command-timeout` the client gets `202`
/// with the id to poll (`GET /api/commands/{id}`); the change is applied when the registry gets
/// it, and a retry with the same key is answered from the record (the registry also drops a
/// command it already applied), never applied twice.
extension GatewayAPI {
    func addCommandRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/api/commands/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let entry = try commands?.entry(id) else {
                throw APIError(.notFound, field: "id", "no command with id \(id) in the last 24 hours")
            }
            return try json(entry)
        }
    }

    /// Sends `command` to the registry on behalf of the signed-in principal (its name is the
    /// command's actor), under the request's `Idempotency-Key` (or a new id), and answers with its
    /// outcome, or `202` when it does not come in time.
    func command(_ command: RegistryCommand, success: HTTPResponse.Status, request: Request, context: GatewayRequestContext) async throws -> Response {
        var command = command
        command.actor = try context.principal().actor
        let key = request.headers[Self.idempotencyKey]
        if let key, !CommandLedger.isValidKey(key) {
            throw APIError(.invalidField, field: "Idempotency-Key", "Idempotency-Key must be 1–128 of A-Z a-z 0-9 . _ : - (a UUID is best)")
        }
        let id = key ?? UUID().uuidString
        if let commands, let earlier = try commands.begin(id: id, command: command, success: Int(success.code)) {
            guard earlier.fingerprint == CommandLedger.fingerprint(command) else {
                throw APIError(.idempotencyKeyReused, field: "Idempotency-Key",
                               "Idempotency-Key \(id) was used for a different request; use a new key for a new change")
            }
            if let reply = earlier.reply { return try respond(reply, to: command, success: success) }
            // Still pending: send it again; the registry answers a command it already applied
            // with its first outcome.
        }
        let reply: RegistryReply
        do {
            reply = try await registry(command, id)
        } catch {
            // Handed to the broker connection, so it may still reach the registry: pending, not failed.
            return try pending(id, because: error)
        }
        try commands?.finish(id: id, reply: reply)
        return try respond(reply, to: command, success: success)
    }

    /// The answer for a registry reply: the refusal with its status, or the success body.
    func respond(_ reply: RegistryReply, to command: RegistryCommand, success: HTTPResponse.Status) throws -> Response {
        guard reply.ok else { throw reply.error.map(APIError.init(relaying:)) ?? .unexplained("registry") }
        if case .bulkDelete = command.action {
            struct Outcome: Encodable { var deleted: [String]; var missing: [String] }
            return try json(Outcome(deleted: reply.deletedIDs ?? [], missing: reply.missingIDs ?? []))
        }
        if success == .noContent { return Response(status: .noContent) }
        var response = try json(reply.camera)
        response.status = success
        if let version = reply.camera?.version { response.headers[.eTag] = "\"\(version)\"" }
        return response
    }

    func pending(_ id: String, because cause: any Error) throws -> Response {
        struct Pending: Encodable { var commandID: String; var state: String; var location: String; var message: String }
        let location = "/api/commands/\(id)"
        let reason = (cause as? MQTTError).map { "\($0)" } ?? "\(cause)"
        var response = try json(Pending(commandID: id, state: "pending", location: location,
                                        message: "the registry has not answered yet (\(reason)); the change is applied when it does. Poll \(location), or retry with Idempotency-Key: \(id)"))
        response.status = .accepted
        response.headers[.location] = location
        response.headers[.retryAfter] = "2"
        return response
    }

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
