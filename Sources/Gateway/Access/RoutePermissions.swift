import HTTPTypes

/// Who may call each route: the one table authorization reads. ``AccessMiddleware`` looks a
/// request up by method and Hummingbird's endpoint path (`/api/cameras/{id}`); a route missing
/// from the table is for admins with every site only, so a new route is safe before it has its
/// line, and opening it to viewers or operators is one line here.
package struct RouteRule: Sendable, Equatable {
    /// Who may call the route.
    package enum Access: Sendable, Equatable {
        /// No credential needed (sign-in, setup, static files).
        case anyone
        /// A signed-in person or a token with at least this role.
        case role(Role)
    }

    /// What happens for a principal limited to some sites.
    package enum SiteLimit: Sendable, Equatable {
        /// The handler filters what it returns, or checks the site of what it changes
        /// (`GatewayRequestContext.requireSite`).
        case checkedByRoute
        /// Refused (403): only principals with every site may call it.
        case everySiteOnly
    }

    package var method: HTTPRequest.Method
    /// Hummingbird's endpoint path: parameters written `{name}`, the recursive wildcard `**`.
    package var path: String
    package var access: Access
    /// The action name written into the audit log for a state change.
    package var action: String
    package var siteLimit: SiteLimit
    /// Reachable before the first account exists (the setup page and what it needs).
    package var beforeSetup: Bool

    package init(_ method: HTTPRequest.Method, _ path: String, _ access: Access, _ action: String,
                siteLimit: SiteLimit = .checkedByRoute, beforeSetup: Bool = false) {
        self.method = method; self.path = path; self.access = access; self.action = action
        self.siteLimit = siteLimit; self.beforeSetup = beforeSetup
    }
}

/// The table, plus the two settings that may open `/healthz` and `/metrics` to anyone.
package struct RoutePermissions: Sendable {
    let rules: [String: RouteRule]

    /// - Parameters:
    ///   - openHealth: `/healthz` without a credential (for load balancers and liveness probes).
    ///   - openMetrics: `/metrics` without a credential (otherwise a viewer token: `bearer_token` in Prometheus).
    package init(openHealth: Bool, openMetrics: Bool, extra: [RouteRule] = []) {
        var all = Self.table
        all.append(.init(.get, "/healthz", openHealth ? .anyone : .role(.viewer), "health", beforeSetup: openHealth))
        all.append(.init(.get, "/metrics", openMetrics ? .anyone : .role(.viewer), "metrics", siteLimit: .everySiteOnly))
        all += extra
        rules = Dictionary(all.map { (Self.key($0.method, $0.path), $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The rule for a resolved route; nil when the route is not in the table.
    package func rule(_ method: HTTPRequest.Method, _ endpointPath: String) -> RouteRule? {
        rules[Self.key(method, endpointPath)]
    }

    /// Every rule (for the route × role test and the README table).
    package var all: [RouteRule] { rules.values.sorted { ($0.path, $0.method.rawValue) < ($1.path, $1.method.rawValue) } }

    /// A route without a line: admins with every site only.
    static func fallback(_ method: HTTPRequest.Method, _ path: String) -> RouteRule {
        RouteRule(method, path, .role(.admin), "\(method.rawValue.lowercased()) \(path)", siteLimit: .everySiteOnly)
    }

    static func key(_ method: HTTPRequest.Method, _ path: String) -> String { "\(method.rawValue) \(path)" }

    /// The routes and who may call them.
    static let table: [RouteRule] = [
        // Pages and their files. The pages are static; every piece of data comes from the API.
        .init(.get, "/", .role(.viewer), "page"),
        .init(.get, "/admin", .role(.admin), "page", siteLimit: .everySiteOnly),
        .init(.get, "/login", .anyone, "page"),
        .init(.get, "/setup", .anyone, "page", beforeSetup: true),
        .init(.get, "/ui/**", .anyone, "static", beforeSetup: true),

        // Signing in and out, first start, one's own account.
        .init(.post, "/api/setup", .anyone, "setup", beforeSetup: true),
        .init(.get, "/api/session", .anyone, "session.show"),
        .init(.post, "/api/session", .anyone, "session.login"),
        .init(.delete, "/api/session", .role(.viewer), "session.logout"),
        .init(.put, "/api/account/password", .role(.viewer), "account.password"),
        .init(.post, "/api/account/totp", .role(.viewer), "account.totp.begin"),
        .init(.post, "/api/account/totp/confirm", .role(.viewer), "account.totp.confirm"),
        .init(.delete, "/api/account/totp", .role(.viewer), "account.totp.remove"),

        // Reading: every role; a site-limited principal sees its sites only.
        .init(.get, "/api/summary", .role(.viewer), "summary"),
        .init(.get, "/api/sites", .role(.viewer), "sites"),
        .init(.get, "/api/cameras", .role(.viewer), "camera.list"),
        .init(.get, "/api/cameras/{id}", .role(.viewer), "camera.show"),
        .init(.get, "/api/cameras/{id}/status", .role(.viewer), "camera.status"),
        .init(.get, "/api/cameras/export", .role(.viewer), "camera.export"),
        .init(.get, "/api/cameras/template", .role(.viewer), "camera.template"),
        .init(.get, "/api/issues", .role(.viewer), "issue.list"),
        .init(.get, "/api/issues/{id}", .role(.viewer), "issue.show"),
        .init(.get, "/api/silences", .role(.viewer), "silence.list"),
        .init(.get, "/api/notifications", .role(.viewer), "notification.list"),
        .init(.get, "/api/events", .role(.viewer), "events"),

        // Operators: the incident lifecycle and maintenance windows.
        .init(.post, "/api/issues/{id}/acknowledge", .role(.operator), "issue.acknowledge"),
        .init(.post, "/api/issues/{id}/dispatch", .role(.operator), "issue.dispatch"),
        .init(.post, "/api/issues/{id}/fix", .role(.operator), "issue.fix"),
        .init(.post, "/api/issues/{id}/close", .role(.operator), "issue.close"),
        .init(.post, "/api/issues/{id}/note", .role(.operator), "issue.note"),
        .init(.post, "/api/silences", .role(.operator), "silence.create"),
        .init(.delete, "/api/silences/{id}", .role(.operator), "silence.end"),

        // Admins: the fleet, imports, accounts, tokens, the audit log.
        .init(.post, "/api/cameras", .role(.admin), "camera.create"),
        .init(.put, "/api/cameras/{id}", .role(.admin), "camera.replace"),
        .init(.patch, "/api/cameras/{id}", .role(.admin), "camera.update"),
        .init(.delete, "/api/cameras/{id}", .role(.admin), "camera.delete"),
        .init(.post, "/api/cameras/{id}/enable", .role(.admin), "camera.enable"),
        .init(.post, "/api/cameras/{id}/disable", .role(.admin), "camera.disable"),
        .init(.post, "/api/cameras/bulk-delete", .role(.admin), "camera.bulk-delete"),
        // The outcome of a change answered 202 pending (only those who may make changes).
        .init(.get, "/api/commands/{id}", .role(.admin), "command.show"),
        .init(.post, "/api/imports", .role(.admin), "import.start", siteLimit: .everySiteOnly),
        .init(.get, "/api/imports/{id}", .role(.admin), "import.show", siteLimit: .everySiteOnly),
        .init(.get, "/api/users", .role(.admin), "user.list", siteLimit: .everySiteOnly),
        .init(.post, "/api/users", .role(.admin), "user.create", siteLimit: .everySiteOnly),
        .init(.patch, "/api/users/{name}", .role(.admin), "user.update", siteLimit: .everySiteOnly),
        .init(.delete, "/api/users/{name}", .role(.admin), "user.delete", siteLimit: .everySiteOnly),
        .init(.get, "/api/tokens", .role(.admin), "token.list", siteLimit: .everySiteOnly),
        .init(.post, "/api/tokens", .role(.admin), "token.create", siteLimit: .everySiteOnly),
        .init(.delete, "/api/tokens/{id}", .role(.admin), "token.revoke", siteLimit: .everySiteOnly),
        .init(.get, "/api/audit", .role(.admin), "audit.list", siteLimit: .everySiteOnly),

        // The operator's console: the vocabulary, the problems view and Chart.js for everyone who
        // reads; planned work for operators; availability and SLA reports across sites; who is
        // told for admins (its banner and channel health for every reader).
        .init(.get, "/vendor/chart.js/**", .anyone, "static"),
        .init(.get, "/api/vocabulary", .role(.viewer), "vocabulary"),
        .init(.get, "/api/problems", .role(.viewer), "problem.list"),
        .init(.get, "/api/cameras/{id}/history", .role(.viewer), "camera.history"),
        .init(.get, "/api/cameras/{id}/snapshot", .role(.viewer), "camera.snapshot"),
        .init(.get, "/api/availability", .role(.viewer), "availability", siteLimit: .everySiteOnly),
        .init(.get, "/api/reports/sla", .role(.viewer), "report.sla", siteLimit: .everySiteOnly),
        .init(.put, "/api/silences/{id}", .role(.operator), "silence.update"),
        .init(.post, "/api/silences/{id}/end", .role(.operator), "silence.end-now"),
        .init(.get, "/api/notify/health", .role(.viewer), "notify.health"),
        .init(.get, "/api/notify/contacts", .role(.admin), "notify.contacts.show", siteLimit: .everySiteOnly),
        .init(.put, "/api/notify/contacts", .role(.admin), "notify.contacts.replace", siteLimit: .everySiteOnly),
        .init(.get, "/api/notify/contacts/export", .role(.admin), "notify.contacts.export", siteLimit: .everySiteOnly),
        .init(.post, "/api/notify/contacts/import", .role(.admin), "notify.contacts.import", siteLimit: .everySiteOnly),
        .init(.post, "/api/notify/channels/{id}/test", .role(.admin), "notify.channel.test", siteLimit: .everySiteOnly),
    ]
}
