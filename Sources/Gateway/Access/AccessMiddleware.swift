import CCTVContract
import Foundation
import HTTPTypes
import Hummingbird

/// Authentication, authorization, CSRF and the audit log for every route, in that order:
///
/// 1. Before the first account exists only the setup page and what it needs are served.
/// 2. The principal: an API token (`Authorization: Bearer`) or the browser session.
/// 3. The route's rule (``RoutePermissions``): 401 without a valid credential (a browser asking
///    for a page is sent to `/login`), 403 without the role, or for a site-limited principal on a
///    route for principals with every site.
/// 4. A state change in a browser session needs `X-CSRF-Token` (the session's token) and, when the
///    browser says where the request comes from (`Origin`), this gateway's own origin.
/// 5. Every state change is written to the audit log with its outcome (refusals included).
struct AccessMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let access: AccessControl

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let path = request.uri.path
        let isAPI = path == "/api" || path.hasPrefix("/api/")
        let changes = ![.get, .head, .options].contains(request.method)
        let rule = context.endpointPath.map { access.permissions.rule(request.method, $0) ?? RoutePermissions.fallback(request.method, $0) }

        guard try access.isSetUp() else {
            if rule?.beforeSetup == true { return try await next(request, context) }
            if isAPI || request.method != .get {
                return Self.refuse(.setupRequired, "no account exists yet: open /setup with the code from the log, or run `cctv-out users add NAME --role admin`")
            }
            return Self.wantsPage(request) ? Self.redirect("/setup") : Self.refuse(.setupRequired, "no account exists yet: open /setup")
        }

        switch try await access.identify(request, context: context) {
        case .anonymous: break
        case let .principal(principal): context.identity = principal
        case let .refused(reason):
            if changes { audit(request, context, action: rule?.action ?? "unknown", outcome: 401, detail: reason) }
            return Self.refuse(.invalidCredential, reason)
        }

        guard let rule else {
            // No such route: say so only to someone signed in.
            if context.identity == nil, isAPI { return Self.refuse(.unauthenticated, "sign in or send an API token") }
            return try await next(request, context)
        }

        if case let .role(needed) = rule.access,
           let refusal = roleRefusal(request, context, rule: rule, needed: needed, changes: changes, isAPI: isAPI) {
            return refusal
        }
        if changes, let refusal = crossSiteRefusal(request, context, rule: rule) { return refusal }
        return try await forwardAudited(request, context, rule: rule, changes: changes, next: next)
    }

    /// Step 3 for a route that needs a role: the refusal (401, or a browser asking for a page sent to
    /// `/login`; 403 without the role or for a site-limited principal on an every-site route), or nil.
    func roleRefusal(_ request: Request, _ context: Context, rule: RouteRule, needed: Role, changes: Bool, isAPI: Bool) -> Response? {
        guard let principal = context.identity else {
            if changes { audit(request, context, action: rule.action, outcome: 401, detail: nil) }
            if !isAPI, request.method == .get, Self.wantsPage(request) { return Self.redirect("/login") }
            return Self.refuse(.unauthenticated, "sign in or send an API token (Authorization: Bearer …)")
        }
        guard principal.has(needed) else {
            if changes { audit(request, context, action: rule.action, outcome: 403, detail: "needs \(needed.rawValue)") }
            return Self.refuse(.forbidden, "\(rule.action) needs the \(needed.rawValue) role; \(principal.actor) is \(principal.role.rawValue)")
        }
        if principal.isSiteLimited, rule.siteLimit == .everySiteOnly {
            if changes { audit(request, context, action: rule.action, outcome: 403, detail: "site-limited") }
            return Self.refuse(.forbidden, "\(rule.action) is only for accounts and tokens with every site")
        }
        return nil
    }

    /// Step 4 for a state change: the refusal of a foreign `Origin` or, in a browser session, a
    /// missing or wrong `X-CSRF-Token` (both audited), or nil.
    func crossSiteRefusal(_ request: Request, _ context: Context, rule: RouteRule) -> Response? {
        if let origin = request.headers[.origin], !isOwnOrigin(origin, request: request) {
            audit(request, context, action: rule.action, outcome: 403, detail: "foreign origin \(origin.prefix(100))")
            return Self.refuse(.csrf, "cross-site request refused (Origin \(origin.prefix(100)))")
        }
        if let expected = context.identity?.csrfToken {
            let sent = request.headers[Self.csrfHeader] ?? ""
            guard AccountStore.constantTimeEqual(sent, expected) else {
                audit(request, context, action: rule.action, outcome: 403, detail: "missing or wrong CSRF token")
                return Self.refuse(.csrf, "the X-CSRF-Token header is missing or wrong: reload the page")
            }
        }
        return nil
    }

    /// Step 5: runs the route and writes a state change to the audit log with its outcome, thrown
    /// errors included (unless the route writes its own entry).
    func forwardAudited(_ request: Request, _ context: Context, rule: RouteRule, changes: Bool,
                        next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            if changes, !Self.auditedByRoute.contains(rule.action) { audit(request, context, action: rule.action, outcome: Int(error.status.code), detail: nil) }
            throw error
        }
        if changes, !Self.auditedByRoute.contains(rule.action) {
            audit(request, context, action: rule.action, outcome: Int(response.status.code), detail: nil)
        }
        return response
    }

    /// Sign-in, sign-out and setup write their own, richer entries.
    static let auditedByRoute: Set<String> = ["session.login", "session.logout", "setup"]

    func audit(_ request: Request, _ context: Context, action: String, outcome: Int, detail: String?) {
        access.audit(.init(at: access.now(), actor: context.identity?.actor ?? "anonymous", action: action,
                           target: request.uri.path, outcome: outcome, address: context.remoteAddress, detail: detail))
    }

    /// Whether `origin` (`scheme://host[:port]`) is this gateway: the Host the request was sent to,
    /// or one of the configured public origins.
    func isOwnOrigin(_ origin: String, request: Request) -> Bool {
        guard let url = URL(string: origin), let host = url.host else { return false }
        let authority = url.port.map { "\(host):\($0)" } ?? host
        if let requested = request.head.authority, requested.lowercased() == authority.lowercased() { return true }
        return access.options.trustedOrigins.contains { $0.lowercased() == origin.lowercased() }
    }

    static func refuse(_ code: APIErrorCode, _ message: String) -> Response {
        APIError(code, message).response
    }

    /// A browser asking for a page (sent to the sign-in page) rather than a tool (answered 401).
    static func wantsPage(_ request: Request) -> Bool {
        request.headers[.accept]?.contains("text/html") ?? false
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}
