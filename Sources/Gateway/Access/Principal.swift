/// Who is making a request: a signed-in person (browser session) or an API token, with the role
/// and the sites it is limited to.
package struct Principal: Sendable, Equatable {
    package enum Kind: String, Sendable, Codable {
        case user, token
    }

    package var kind: Kind
    /// The account name, or the token's name.
    package var name: String
    package var role: Role
    /// The sites this principal may see and change; `nil` means every site.
    package var sites: [String]?
    /// For a browser session: the CSRF token every state change must carry in `X-CSRF-Token`.
    package var csrfToken: String?
    /// For a browser session: its key in the session store (sessions are listed and ended by it).
    var sessionKey: String?

    package init(kind: Kind, name: String, role: Role, sites: [String]? = nil, csrfToken: String? = nil) {
        self.kind = kind; self.name = name; self.role = role; self.sites = sites; self.csrfToken = csrfToken
    }

    /// How this principal appears as the actor of a change (incident history, audit log, registry log).
    package var actor: String { kind == .user ? name : "token:\(name)" }

    /// Whether this principal is limited to some sites.
    package var isSiteLimited: Bool { sites != nil }

    /// Whether this principal may see or change things of `site` (a camera without a site belongs
    /// to no site: only principals with every site may touch it).
    package func covers(site: String?) -> Bool {
        guard let sites else { return true }
        guard let site else { return false }
        return sites.contains(site)
    }

    /// Whether the role is at least `role`.
    package func has(_ role: Role) -> Bool { self.role >= role }
}
