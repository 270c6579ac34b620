import CCTVContract
import Foundation
import Hummingbird

/// REST for accounts (admin only): list, create, change role, sites or password, remove.
extension GatewayAPI {
    func addUserRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/api/users") { _, _ in try json(["items": access.accounts.accounts()]) }
        router.post("/api/users") { request, _ in try await createUser(request) }
        router.patch("/api/users/:name") { request, context in try await updateUser(request, context: context) }
        router.delete("/api/users/:name") { _, context in
            do { try access.accounts.removeAccount(name: try context.parameters.require("name")) } catch let refusal as AccountError { throw refusal.apiError() }
            return Response(status: .noContent)
        }
    }

    /// `POST /api/users {name, password, role, sites?}`: a new account (201).
    func createUser(_ request: Request) async throws -> Response {
        struct Body: Decodable { var name: String; var password: String; var role: Role; var sites: [String]? }
        guard let body = try await decodeBody(request, as: Body.self) else {
            throw APIError(.badRequest, "the body must be {\"name\", \"password\", \"role\": \"viewer|operator|admin\", \"sites\"?: [...]}")
        }
        let accounts = access.accounts
        do {
            var response = try json(try await access.offPool { try accounts.addAccount(name: body.name, password: body.password, role: body.role, sites: body.sites) })
            response.status = .created
            return response
        } catch let refusal as AccountError { throw refusal.apiError() }
    }

    /// `PATCH /api/users/{name}` with any of `role`, `sites` (null = every site) and `password`;
    /// answers the account as it is now.
    func updateUser(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        guard let buffer = try? await request.body.collect(upTo: Self.maxBody),
              let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw APIError(.badRequest, "the body must be a JSON object with role, sites (null = every site) and/or password")
        }
        let accounts = access.accounts
        do {
            var role: Role?
            if let text = object["role"] {
                guard let parsed = (text as? String).flatMap(Role.init(rawValue:)) else {
                    throw APIError(.invalidField, field: "role", "role must be viewer, operator or admin")
                }
                role = parsed
            }
            var sites: [String]??
            if let value = object["sites"] {
                if value is NSNull { sites = .some(nil) } else if let list = value as? [String] { sites = .some(list) } else {
                    throw APIError(.invalidField, field: "sites", "sites must be a list of site names or null")
                }
            }
            if let password = object["password"] as? String {
                try await access.offPool { try accounts.setPassword(name: name, password: password) }
            }
            return try json(try accounts.update(name: name, role: role, sites: sites))
        } catch let refusal as AccountError { throw refusal.apiError() }
    }
}
