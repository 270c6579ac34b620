import CCTVContract
import Foundation
import Hummingbird
import HummingbirdAuth
import Logging
import NIOPosix
import Synchronization

/// Authentication for the gateway: accounts, tokens, browser sessions, the sign-in throttle and
/// the first-start setup code, shared by ``AccessMiddleware`` and the sign-in routes.
package final class AccessControl: Sendable {
    /// Session lifetimes, cookie flags and which monitoring routes are open.
    package struct Options: Sendable {
        /// A session unused this long ends (the dashboard's own polling keeps an open tab alive).
        package var idleTimeout: TimeInterval = 8 * 3600
        /// A session ends this long after sign-in, used or not.
        package var absoluteTimeout: TimeInterval = 7 * 86_400
        /// `Secure` on the session cookie: on when the gateway serves HTTPS, or behind a TLS proxy.
        package var secureCookies = false
        /// `/healthz` without a credential.
        package var openHealth = true
        /// `/metrics` without a credential.
        package var openMetrics = false
        /// Origins besides the request's own host accepted on state changes (the public URL behind a proxy).
        package var trustedOrigins: [String] = []
        var throttle = LoginThrottle.Policy()

        package init() {}
    }

    package let accounts: AccountStore
    package let options: Options
    let permissions: RoutePermissions
    let sessionStore: SessionStore
    let logger: Logger
    let now: @Sendable () -> Date
    private let setupCode = Mutex<String?>(nil)
    private let setUp = Atomic<Bool>(false)
    let throttle: Mutex<LoginThrottle>

    /// The session cookie's name.
    package static let cookieName = "cctvout_session"
    static let sessionKeyPrefix = "s."

    package init(accounts: AccountStore, options: Options = Options(), logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.accounts = accounts
        self.options = options
        self.permissions = RoutePermissions(openHealth: options.openHealth, openMetrics: options.openMetrics)
        self.sessionStore = SessionStore(database: accounts.database)
        self.logger = logger
        self.now = now
        self.throttle = Mutex(LoginThrottle(policy: options.throttle))
    }

    /// When no account exists yet: the one-time setup code for the setup page (a new one on every
    /// start; it stops working once the first admin exists). Nil once set up.
    package func setupCodeIfNeeded() throws -> String? {
        guard try !isSetUp() else { return nil }
        return setupCode.withLock { code in
            if let code { return code }
            let groups = (0..<3).map { _ in AccountStore.randomText(count: 4, alphabet: Self.codeAlphabet) }
            code = groups.joined(separator: "-")
            return code
        }
    }

    /// Whether at least one account exists (checked in the database until it does, then remembered:
    /// the last admin cannot be removed).
    func isSetUp() throws -> Bool {
        if setUp.load(ordering: .relaxed) { return true }
        let done = try accounts.accountCount() > 0
        if done { setUp.store(true, ordering: .relaxed); setupCode.withLock { $0 = nil } }
        return done
    }

    /// Checks the setup code (constant time) and uses it up.
    func consumeSetupCode(_ offered: String) -> Bool {
        setupCode.withLock { code in
            guard let expected = code else { return false }
            let normalised = offered.uppercased().filter { !$0.isWhitespace }
            guard AccountStore.constantTimeEqual(normalised, expected) else { return false }
            code = nil
            return true
        }
    }

    /// The hummingbird-auth session middleware over ``SessionStore``: HttpOnly, SameSite=Strict,
    /// Secure when configured, expiring after the idle time (extended as the session is used).
    func sessionMiddleware() -> SessionMiddleware<GatewayRequestContext> {
        SessionMiddleware(storage: sessionStore, configuration: SessionMiddlewareConfiguration(
            sessionCookieParameters: .init(name: Self.cookieName, path: "/", secure: options.secureCookies, sameSite: .strict),
            keyPrefix: Self.sessionKeyPrefix,
            defaultSessionExpiration: .seconds(Int64(options.idleTimeout))))
    }

    /// Who the request comes from.
    enum Identification {
        case anonymous
        case principal(Principal)
        /// A credential was sent but is not valid: answer 401 with this reason.
        case refused(String)
    }

    /// A bearer token when `Authorization` is sent, else the browser session (checked against the
    /// account's current state and both expiries, and extended once a minute while in use).
    func identify(_ request: Request, context: GatewayRequestContext) async throws -> Identification {
        let now = now()
        if request.headers[.authorization] != nil {
            guard let bearer = request.headers.bearer else { return .refused("use Authorization: Bearer <API token>") }
            let accounts = accounts
            guard let principal = try await NIOThreadPool.singleton.runIfActive({ try accounts.authenticate(bearer: bearer.token, now: now) }) else {
                return .refused("the API token is unknown, revoked or expired")
            }
            return .principal(principal)
        }
        guard var session = context.sessions.session else { return .anonymous }
        guard let standing = try accounts.standing(session.user), standing.epoch == session.epoch,
              now.timeIntervalSince(session.createdAt) < options.absoluteTimeout,
              now.timeIntervalSince(session.lastSeen) < options.idleTimeout else {
            context.sessions.clearSession()
            return .anonymous
        }
        if now.timeIntervalSince(session.lastSeen) >= 60 {
            session.lastSeen = now
            _ = context.sessions.updateSession(session, expiresIn: .seconds(Int64(options.idleTimeout)))
        }
        return .principal(Principal(kind: .user, name: session.user, role: standing.account.role, sites: standing.account.sites,
                                    csrfToken: session.csrf))
    }

    /// Starts a browser session for `account` (a fresh id: a session cookie planted before sign-in is worthless).
    func startSession(_ standing: AccountStore.Standing, request: Request, context: GatewayRequestContext) async throws -> BrowserSession {
        if let old = request.cookies[Self.cookieName]?.value {
            try? await sessionStore.remove(key: Self.sessionKeyPrefix + String(old))
        }
        let now = now()
        let session = BrowserSession(user: standing.account.name, epoch: standing.epoch,
                                     csrf: AccountStore.randomText(count: 43, alphabet: AccountStore.urlSafe),
                                     createdAt: now, lastSeen: now, address: context.remoteAddress)
        context.sessions.createSession(session, expiresIn: .seconds(Int64(options.idleTimeout)))
        return session
    }

    /// Records an audit entry; a failure to write is logged, never fails the request.
    func audit(_ entry: AccountStore.AuditEntry) {
        do { try accounts.record(entry) } catch {
            logger.error("could not write the audit log", metadata: ["action": "\(entry.action)", "error": "\(error)"])
        }
    }

    /// Runs slow password work (bcrypt) off the cooperative pool.
    func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }

    /// No 0/O or 1/I: the code is read off a log and typed.
    static let codeAlphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
}
