import CCTVContract
import Foundation
import Hummingbird

/// REST for API tokens (admin only): list, create (the secret is shown once), revoke.
extension GatewayAPI {
    func addTokenRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/api/tokens") { _, _ in try json(["items": access.accounts.tokens()]) }
        router.post("/api/tokens") { request, context in try await createToken(request, context: context) }
        router.delete("/api/tokens/:id") { _, context in
            do { try access.accounts.revokeToken(id: try context.parameters.require("id"), now: access.now()) } catch let refusal as TokenError {
                throw APIError(.notFound, field: "id", refusal.description)
            }
            return Response(status: .noContent)
        }
    }

    /// `POST /api/tokens {name, role, sites?, expiresInDays?}`: a new token and its secret (201),
    /// signed by whoever creates it.
    func createToken(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        struct Body: Decodable { var name: String; var role: Role; var sites: [String]?; var expiresInDays: Int? }
        guard let body = try await decodeBody(request, as: Body.self) else {
            throw APIError(.badRequest, "the body must be {\"name\", \"role\": \"viewer|operator|admin\", \"sites\"?: [...], \"expiresInDays\"?: 90}")
        }
        let now = access.now()
        let expiry = try body.expiresInDays.map { days -> Date in
            guard (1...3650).contains(days) else { throw APIError(.invalidField, field: "expiresInDays", "expiresInDays must be 1–3650") }
            return now.addingTimeInterval(Double(days) * 86_400)
        }
        do {
            let (token, secret) = try access.accounts.createToken(name: body.name, role: body.role, sites: body.sites, expiresAt: expiry,
                                                                  createdBy: context.principal().actor, now: now)
            struct Created: Encodable { var token: AccountStore.Token; var secret: String; var note: String }
            var response = try json(Created(token: token, secret: secret, note: "shown once: store it now (Authorization: Bearer <secret>)"))
            response.status = .created
            return response
        } catch let refusal as AccountError { throw refusal.apiError() } catch let refusal as TokenError {
            throw APIError(.invalidField, refusal.description)
        }
    }
}
