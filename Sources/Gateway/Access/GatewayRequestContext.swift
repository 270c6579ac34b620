import Foundation
import Hummingbird
import HummingbirdAuth
import NIOCore

/// What a browser session remembers (stored server-side in ``SessionStore``; the cookie holds only
/// a random id).
package struct BrowserSession: Codable, Sendable, Equatable {
    package var user: String
    /// The account's epoch when signing in: a password, role or site change ends the session.
    package var epoch: Int
    /// Sent back in `X-CSRF-Token` with every state change.
    package var csrf: String
    package var createdAt: Date
    package var lastSeen: Date
    package var address: String?
}

/// The gateway's request context: hummingbird-auth's identity (the ``Principal``) and session,
/// plus the client's address for the audit log and the sign-in throttle.
package struct GatewayRequestContext: AuthRequestContext, SessionRequestContext, RequestContext {
    package var coreContext: CoreRequestContextStorage
    package var identity: Principal?
    package let sessions: SessionContext<BrowserSession>
    /// The peer's IP address (no port), when known.
    package var remoteAddress: String?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        sessions = .init()
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The principal, which ``AccessMiddleware`` guarantees on every route that needs a role.
    package func principal() throws -> Principal {
        guard let identity else { throw APIError(.unauthenticated, "sign in or send an API token") }
        return identity
    }

    /// Refuses (403) when the principal is limited to sites that do not include `site`.
    package func requireSite(_ site: String?) throws {
        let principal = try principal()
        guard principal.covers(site: site) else {
            throw APIError(.forbidden, site.map { "\(principal.actor) may not act on site \($0)" } ?? "\(principal.actor) may not act on cameras without a site")
        }
    }
}
