import CCTVContract
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Pages, signing in and out, first start, and the admin screens' API (one's own account in
/// `GatewayAPI+OwnAccount.swift`, accounts in `GatewayAPI+Users.swift`, API tokens in
/// `GatewayAPI+Tokens.swift`, the audit log here).
extension GatewayAPI {
    func addPageRoutes(to router: Router<GatewayRequestContext>) {
        for (path, file) in [("/", "index.html"), ("/login", "login.html"), ("/setup", "setup.html"), ("/admin", "admin.html")] {
            router.get(RouterPath(path)) { _, _ in
                guard let page = files[file] else { throw APIError(.notFound, field: "path", "no such file") }
                return Response(status: .ok, headers: [.contentType: page.contentType, .cacheControl: "no-cache"], body: .init(byteBuffer: page.body))
            }
        }
        router.get("/ui/**") { _, context in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            guard !path.contains(".."), let file = files[path] else { throw APIError(.notFound, field: "path", "no such file") }
            return Response(status: .ok, headers: [.contentType: file.contentType, .cacheControl: "no-cache"], body: .init(byteBuffer: file.body))
        }
    }

    /// What the dashboard knows about whoever is signed in.
    struct Me: Encodable {
        var kind: Principal.Kind
        var name: String
        var role: Role
        var sites: [String]?
        /// Send it back in `X-CSRF-Token` with every change (browser sessions only).
        var csrfToken: String?
        var secondFactor: Bool?
    }

    func me(_ principal: Principal) throws -> Me {
        let account = principal.kind == .user ? try access.accounts.account(principal.name) : nil
        return Me(kind: principal.kind, name: principal.name, role: principal.role, sites: principal.sites,
                  csrfToken: principal.csrfToken, secondFactor: account?.secondFactor)
    }

    func addAccessRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/api/session") { _, context in
            guard let principal = context.identity else {
                throw APIError(.signedOut, "not signed in")
            }
            return try json(me(principal))
        }
        router.post("/api/session") { request, context in try await signIn(request, context: context) }
        router.delete("/api/session") { _, context in
            let principal = try context.principal()
            context.sessions.clearSession()
            access.audit(.init(at: access.now(), actor: principal.actor, action: "session.logout", target: nil, outcome: 204, address: context.remoteAddress))
            return Response(status: .noContent)
        }
        router.post("/api/setup") { request, context in try await setUp(request, context: context) }

        addOwnAccountRoutes(to: router)
        addAdminRoutes(to: router)
    }

    /// `POST /api/session {name, password, code?}`. A wrong name and a wrong password get the same
    /// answer after the same bcrypt work; the throttle counts both.
    func signIn(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        struct Body: Decodable { var name: String; var password: String; var code: String? }
        guard let body = try await decodeBody(request, as: Body.self), body.name.utf8.count <= 200 else {
            throw APIError(.badRequest, "the body must be {\"name\": \"…\", \"password\": \"…\"}")
        }
        let now = access.now(), address = context.remoteAddress
        func record(_ outcome: Int, actor: String = "anonymous", _ detail: String) {
            access.audit(.init(at: now, actor: actor, action: "session.login", target: String(body.name.prefix(64)), outcome: outcome, address: address, detail: detail))
        }
        if let until = access.throttle.withLock({ $0.lockedUntil(account: body.name, address: address, now: now) }) {
            record(429, "throttled")
            throw tooManyAttempts(until: until, now: now)
        }
        let accounts = access.accounts
        guard let standing = try await access.offPool({ try accounts.verify(name: body.name, password: body.password) }) else {
            access.throttle.withLock { $0.failed(account: body.name, address: address, now: now) }
            record(401, "wrong name or password")
            throw APIError(.loginFailed, "wrong name or password")
        }
        if standing.account.secondFactor {
            guard let code = body.code, !code.isEmpty else {
                throw APIError(.secondFactorRequired, field: "code", "enter the 6-digit code from the authenticator app")
            }
            guard try accounts.verifySecondFactor(name: standing.account.name, code: code, now: now) else {
                access.throttle.withLock { $0.failed(account: body.name, address: address, now: now) }
                record(401, actor: standing.account.name, "wrong second-factor code")
                throw APIError(.loginFailed, field: "code", "wrong code")
            }
        }
        access.throttle.withLock { $0.succeeded(account: body.name) }
        let session = try await access.startSession(standing, request: request, context: context)
        record(200, actor: standing.account.name, "signed in")
        let principal = Principal(kind: .user, name: standing.account.name, role: standing.account.role, sites: standing.account.sites, csrfToken: session.csrf)
        return try json(me(principal))
    }

    /// `POST /api/setup {code, name, password}`: the first admin, with the code from the log.
    func setUp(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        struct Body: Decodable { var code: String; var name: String; var password: String }
        let now = access.now(), address = context.remoteAddress
        guard try !access.isSetUp() else {
            throw APIError(.alreadySetUp, "an account exists already: sign in at /login")
        }
        guard let body = try await decodeBody(request, as: Body.self) else {
            throw APIError(.badRequest, "the body must be {\"code\": \"…\", \"name\": \"…\", \"password\": \"…\"}")
        }
        if let until = access.throttle.withLock({ $0.lockedUntil(account: "(setup)", address: address, now: now) }) {
            throw tooManyAttempts(until: until, now: now)
        }
        do {
            try AccountRules.check(name: body.name)
            try AccountRules.check(password: body.password, name: body.name)
        } catch let refusal as AccountError {
            throw refusal.apiError()
        }
        guard access.consumeSetupCode(body.code) else {
            access.throttle.withLock { $0.failed(account: "(setup)", address: address, now: now) }
            access.audit(.init(at: now, actor: "anonymous", action: "setup", target: nil, outcome: 403, address: address, detail: "wrong setup code"))
            throw APIError(.wrongSetupCode, field: "code", "wrong setup code: copy it from the gateway's log (it changes on every start)")
        }
        let accounts = access.accounts
        _ = try await access.offPool { try accounts.addAccount(name: body.name, password: body.password, role: .admin) }
        guard try access.isSetUp(), let standing = try accounts.standing(body.name) else { throw APIError(.internal, "the first admin was not stored") }
        let session = try await access.startSession(standing, request: request, context: context)
        access.audit(.init(at: now, actor: body.name, action: "setup", target: body.name, outcome: 201, address: address, detail: "first admin created"))
        var response = try json(me(Principal(kind: .user, name: body.name, role: .admin, csrfToken: session.csrf)))
        response.status = .created
        return response
    }

    func tooManyAttempts(until: Date, now: Date) -> APIError {
        let seconds = max(1, Int(until.timeIntervalSince(now).rounded(.up)))
        var refusal = APIError(.tooManyAttempts, "too many failed sign-ins: try again in \(seconds) s")
        refusal.headers[.retryAfter] = "\(seconds)"
        return refusal
    }

    /// The admin screens' API: accounts, API tokens and the audit log.
    func addAdminRoutes(to router: Router<GatewayRequestContext>) {
        addUserRoutes(to: router)
        addTokenRoutes(to: router)
        router.get("/api/audit") { request, _ in
            let q = request.uri.queryParameters
            let limit = min(1000, max(1, Int(q.get("limit") ?? "") ?? 100))
            return try json(["items": access.accounts.audit(limit: limit, before: q.get("before").flatMap { Int64($0) }, actor: q.get("actor"))])
        }
    }
}
