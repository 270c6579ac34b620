import CCTVContract
import Foundation
import Hummingbird

/// REST for the signed-in user's own account: changing the password and setting up or removing
/// the second factor (TOTP). API tokens have neither.
extension GatewayAPI {
    func addOwnAccountRoutes(to router: Router<GatewayRequestContext>) {
        router.put("/api/account/password") { request, context in try await changeOwnPassword(request, context: context) }
        router.post("/api/account/totp") { _, context in
            let principal = try context.principal()
            guard principal.kind == .user else { throw APIError(.forbidden, "API tokens have no second factor") }
            return try json(access.accounts.beginSecondFactor(name: principal.name))
        }
        router.post("/api/account/totp/confirm") { request, context in try await confirmSecondFactor(request, context: context) }
        router.delete("/api/account/totp") { request, context in try await removeSecondFactor(request, context: context) }
    }

    /// `PUT /api/account/password {current, new}`: the current password proves it is the user; every
    /// session of the account ends and this one starts afresh.
    func changeOwnPassword(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        struct Body: Decodable { var current: String; var new: String }
        let principal = try context.principal()
        guard principal.kind == .user else { throw APIError(.forbidden, "API tokens have no password") }
        guard let body = try await decodeBody(request, as: Body.self) else {
            throw APIError(.badRequest, "the body must be {\"current\": \"…\", \"new\": \"…\"}")
        }
        let accounts = access.accounts
        guard try await access.offPool({ try accounts.verify(name: principal.name, password: body.current) }) != nil else {
            throw APIError(.wrongPassword, field: "current", "the current password is wrong")
        }
        do { try await access.offPool { try accounts.setPassword(name: principal.name, password: body.new) } } catch let refusal as AccountError {
            throw refusal.apiError(field: "new")
        }
        // The change ends every session of the account, this one included: start a fresh one.
        if let standing = try accounts.standing(principal.name) { _ = try await access.startSession(standing, request: request, context: context) }
        return Response(status: .noContent)
    }

    /// `POST /api/account/totp/confirm {code}`: the first code from the phone turns the second
    /// factor on (a fresh session starts).
    func confirmSecondFactor(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        struct Body: Decodable { var code: String }
        let principal = try context.principal()
        guard principal.kind == .user else { throw APIError(.forbidden, "API tokens have no second factor") }
        guard let body = try await decodeBody(request, as: Body.self) else {
            throw APIError(.badRequest, "the body must be {\"code\": \"123456\"}")
        }
        guard try access.accounts.confirmSecondFactor(name: principal.name, code: body.code, now: access.now()) else {
            throw APIError(.wrongCode, field: "code", "the code does not match: check the phone's clock and type the newest code")
        }
        if let standing = try access.accounts.standing(principal.name) { _ = try await access.startSession(standing, request: request, context: context) }
        return Response(status: .noContent)
    }

    /// `DELETE /api/account/totp {password}`: turns the second factor off, the password proving it is the user.
    func removeSecondFactor(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        struct Body: Decodable { var password: String }
        let principal = try context.principal()
        guard principal.kind == .user else { throw APIError(.forbidden, "API tokens have no second factor") }
        guard let body = try await decodeBody(request, as: Body.self) else {
            throw APIError(.badRequest, "the body must be {\"password\": \"…\"}")
        }
        let accounts = access.accounts
        guard try await access.offPool({ try accounts.verify(name: principal.name, password: body.password) }) != nil else {
            throw APIError(.wrongPassword, field: "password", "the password is wrong")
        }
        try accounts.removeSecondFactor(name: principal.name)
        return Response(status: .noContent)
    }
}
